import { deleteDB } from 'idb';
import type { ShopEvent } from '../core/events.ts';
import { deepEqual, equal, ok } from '../test/browser/support/assert.ts';
import { afterEach, beforeEach, describe, it } from '../test/browser/support/mocha.ts';
import { DB_NAME, openProfileStore, type ProfileStore } from './store.ts';

const view = (id: string, ts: number): ShopEvent => ({ name: 'view_item', ts, items: [{ item_id: id }] });

describe('profile store (real IndexedDB)', () => {
  let store: ProfileStore | undefined;

  beforeEach(async () => {
    await deleteDB(DB_NAME);
  });

  afterEach(async () => {
    store?.close();
    store = undefined;
    await deleteDB(DB_NAME);
  });

  it('keeps events across a close and reopen, oldest first', async () => {
    store = await openProfileStore();
    equal(store.kind, 'indexeddb', 'backing store');
    const now = Date.now();
    await store.add(view('b', now - 10));
    await store.add(view('a', now - 20));
    store.close();
    store = await openProfileStore();
    deepEqual((await store.events()).map((e) => e.items[0]!.item_id), ['a', 'b'], 'events after reopen');
  });

  it('drops the oldest events beyond maxEvents and events older than maxAgeDays', async () => {
    store = await openProfileStore({ maxEvents: 3, maxAgeDays: 1 });
    const now = Date.now();
    await store.add(view('ancient', now - 3 * 86_400_000));
    for (let i = 0; i < 5; i++) await store.add(view(`v${i}`, now - 1000 + i));
    deepEqual((await store.events()).map((e) => e.items[0]!.item_id), ['v2', 'v3', 'v4'], 'kept events');
  });

  it('clear() erases every stored event', async () => {
    store = await openProfileStore();
    await store.add(view('x', Date.now()));
    await store.clear();
    deepEqual(await store.events(), [], 'events after clear');
  });

  it('falls back to memory when IndexedDB cannot be opened, and still works', async () => {
    const original = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB')!;
    // Private modes and blocked storage make indexedDB.open throw; simulate exactly that failure.
    Object.defineProperty(globalThis, 'indexedDB', {
      configurable: true,
      get: () => ({ open: () => { throw new DOMException('denied', 'SecurityError'); } }),
    });
    try {
      store = await openProfileStore();
    } finally {
      Object.defineProperty(globalThis, 'indexedDB', original);
    }
    equal(store.kind, 'memory', 'backing store');
    await store.add(view('m', Date.now()));
    deepEqual((await store.events()).map((e) => e.items[0]!.item_id), ['m'], 'memory events');
  });

  it('steps aside when another tab upgrades the database instead of blocking it', async () => {
    store = await openProfileStore();
    const upgraded = await new Promise<boolean>((resolve) => {
      const req = indexedDB.open(DB_NAME, 99);
      req.onsuccess = () => {
        req.result.close();
        resolve(true);
      };
      req.onerror = () => resolve(false);
      req.onblocked = () => setTimeout(() => resolve(false), 2000);
    });
    ok(upgraded, 'a newer schema in another connection could open');
  });
});
