/**
 * The event log on the hot path, in real Chromium against the real edge server (production build): an event
 * re-ranks from the engine's in-memory log at once while its IndexedDB write commits in the background, the
 * write still lands, and two tabs of the shop stay coherent (each sees what the other stored).
 */
import { deepEqual } from '../../test/support/browser/assert.ts';
import { afterEach, beforeEach, describe, it } from '../../test/support/browser/mocha.ts';
import { brief, cardIds, DB_NAME, deleteDb, nextRender, openShop, storedEvents, until, type ShopFrame } from '../../test/support/browser/shop-frame.ts';

/**
 * Holds a read-write transaction on the `events` store open (by chaining requests) until `release()`:
 * IndexedDB runs overlapping read-write transactions one after another, so no write to the log can commit
 * while it is held.
 */
async function holdEventStore(): Promise<{ release(): Promise<void> }> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(DB_NAME);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const tx = db.transaction('events', 'readwrite');
  const store = tx.objectStore('events');
  let held = true;
  const spin = (): void => {
    if (held) store.count().onsuccess = spin;
  };
  spin();
  const done = new Promise<void>((resolve) => {
    tx.oncomplete = tx.onabort = tx.onerror = () => {
      db.close();
      resolve();
    };
  });
  return {
    release: () => {
      held = false;
      return done;
    },
  };
}

describe('event log: re-rank from memory, write in the background', () => {
  const frames: ShopFrame[] = [];
  const open = async (): Promise<ShopFrame> => {
    const s = await openShop({ build: 'prod', body: '<edge-recs placement="recently-viewed" count="4"></edge-recs>' });
    frames.push(s);
    await s.api.ready();
    await until(() => s.api.state.status !== 'loading', 'the model never finished loading');
    return s;
  };
  const row = (s: ShopFrame): Element => s.doc.querySelector('edge-recs')!;
  const view = (s: ShopFrame, id: string, ts: number): void => s.api.track('view_item', { ts, items: [{ item_id: id }] });

  beforeEach(async () => {
    await deleteDb();
    sessionStorage.clear();
  });

  afterEach(async () => {
    for (const s of frames.splice(0)) s.close();
    await deleteDb();
  });

  it('re-ranks after an event while its IndexedDB write cannot commit yet, and the write still lands', async () => {
    const s = await open();
    const t = Date.now() - 10_000;
    view(s, 'p01', t);
    await until(async () => (await storedEvents()).length === 1, 'the first view is stored');
    await until(() => cardIds(row(s)).join() === 'p01', 'the row shows the first view');

    const hold = await holdEventStore();
    try {
      const rendered = nextRender(row(s));
      view(s, 'p02', t + 1);
      deepEqual(await rendered, ['p02', 'p01'], 'the row re-ranked with the new view while the store was held');
    } finally {
      await hold.release();
    }
    await until(async () => (await storedEvents()).length === 2, 'the held write commits once the store is free');
    deepEqual(brief(await storedEvents()), ['view_item:p01', 'view_item:p02'], 'stored log');
    deepEqual(brief(await s.api.events()), ['view_item:p01', 'view_item:p02'], 'edgeRecs.events() reads what was stored');
  });

  it('writes an event after the re-rank it started: the row renders before the write begins', async () => {
    const s = await open();
    const t = Date.now() - 10_000;
    view(s, 'p01', t);
    await until(async () => (await storedEvents()).length === 1, 'the first view is stored');
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(DB_NAME);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    try {
      // A read begun as the row renders sees every write begun before it (IndexedDB orders a read after
      // the read-write transactions created before it), so it tells whether the event's write had begun.
      const atRender = new Promise<number>((resolve) =>
        row(s).addEventListener('edge-recs:render', () => {
          const req = db.transaction('events').objectStore('events').count();
          req.onsuccess = () => resolve(req.result);
        }, { once: true }),
      );
      view(s, 'p02', t + 1);
      deepEqual(await atRender, 1, 'events stored when the row rendered');
      await until(async () => (await storedEvents()).length === 2, 'the write lands after the render');
    } finally {
      db.close();
    }
  });

  it('keeps two tabs coherent: each re-ranks with what the other stored', async () => {
    const a = await open();
    const b = await open();
    const t = Date.now() - 10_000;
    view(a, 'p01', t);
    await until(() => cardIds(row(b)).join() === 'p01', 'tab B shows the view made in tab A');

    view(b, 'p02', t + 1);
    await until(() => cardIds(row(b)).join() === 'p02,p01', 'tab B adds its own view to what tab A stored');
    await until(() => cardIds(row(a)).join() === 'p02,p01', 'tab A shows the view made in tab B');
    deepEqual(a.errors.concat(b.errors), [], 'page errors');
  });
});
