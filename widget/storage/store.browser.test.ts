import { deleteDB } from 'idb';
import type { ShopEvent } from '../../core/events.ts';
import { deepEqual, equal, ok } from '../../test/support/browser/assert.ts';
import { afterEach, beforeEach, describe, it } from '../../test/support/browser/mocha.ts';
import { BLOCKED_MS, DB_NAME, DB_VERSION, openProfileStore, type ProfileStore } from './store.ts';

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

  it('migrates a version 1 database to the current schema and keeps its events', async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('events', { keyPath: 'id', autoIncrement: true }).createIndex('ts', 'ts');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    await new Promise<void>((resolve) => {
      const tx = db.transaction('events', 'readwrite');
      tx.objectStore('events').add(view('old', Date.now() - 1000));
      tx.oncomplete = () => resolve();
    });
    db.close();
    store = await openProfileStore();
    equal(store.kind, 'indexeddb', 'backing store');
    deepEqual((await store.events()).map((e) => e.items[0]!.item_id), ['old'], 'events kept by the migration');
    await store.setMeta('bandit', { a: { shown: 1, clicked: 0 } });
    deepEqual(await store.getMeta('bandit'), { a: { shown: 1, clicked: 0 } }, 'meta written in the new schema');
    await store.cache!.putBlob('ab'.repeat(32), new Uint8Array([1, 2, 3]));
    deepEqual([...((await store.cache!.blob('ab'.repeat(32))) ?? [])], [1, 2, 3], 'cached blob');
    await store.cache!.putCatalog('/v1/catalog', { etag: '"c1"', body: '{}' });
    deepEqual(await store.cache!.catalog('/v1/catalog'), { etag: '"c1"', body: '{}' }, 'cached catalog (v3)');
    const versions = await indexedDB.databases();
    equal(versions.find((d) => d.name === DB_NAME)?.version, DB_VERSION, 'schema version');
  });

  it('goes on in memory when another tab blocks the upgrade, instead of waiting for it', async () => {
    // An old tab holds a version 1 connection and ignores versionchange.
    const old = await new Promise<IDBDatabase>((resolve) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('events', { keyPath: 'id', autoIncrement: true }).createIndex('ts', 'ts');
      req.onsuccess = () => resolve(req.result);
    });
    try {
      const started = performance.now();
      store = await openProfileStore();
      equal(store.kind, 'memory', 'backing store while blocked');
      ok(performance.now() - started < BLOCKED_MS + 3000, 'did not wait for the other tab');
      await store.add(view('m', Date.now()));
      deepEqual((await store.events()).map((e) => e.items[0]!.item_id), ['m'], 'memory events');
    } finally {
      old.close();
    }
  });

  it('keeps working in memory, with the events it had, when another tab upgrades the database mid-page', async () => {
    store = await openProfileStore();
    await store.add(view('a', Date.now() - 10));
    await store.events();
    const newer = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 99);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    try {
      await store.add(view('b', Date.now()));
      equal(store.kind, 'memory', 'backing store after the other tab upgraded');
      deepEqual((await store.events()).map((e) => e.items[0]!.item_id), ['a', 'b'], 'events');
    } finally {
      newer.close();
    }
  });

  it('reopens after the database was deleted under it, and keeps storing', async () => {
    store = await openProfileStore();
    await store.add(view('a', Date.now() - 10));
    await new Promise<void>((resolve) => {
      const req = indexedDB.deleteDatabase(DB_NAME);
      req.onsuccess = () => resolve();
    });
    await store.add(view('b', Date.now()));
    equal(store.kind, 'indexeddb', 'backing store');
    deepEqual((await store.events()).map((e) => e.items[0]!.item_id), ['b'], 'events after the deletion');
  });

  it('frees the model cache and retries when the disk is full (QuotaExceededError)', async () => {
    store = await openProfileStore();
    await store.cache!.putBlob('cd'.repeat(32), new Uint8Array(16));
    const add = IDBObjectStore.prototype.add;
    let thrown = 0;
    IDBObjectStore.prototype.add = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>) {
      if (this.name === 'events' && thrown++ === 0) throw new DOMException('full', 'QuotaExceededError');
      return add.apply(this, args);
    };
    try {
      await store.add(view('q', Date.now()));
    } finally {
      IDBObjectStore.prototype.add = add;
    }
    equal(thrown, 2, 'add attempts');
    deepEqual((await store.events()).map((e) => e.items[0]!.item_id), ['q'], 'stored after the retry');
    equal(await store.cache!.blob('cd'.repeat(32)), undefined, 'cached model file given up');
  });

  it('rejects one call whose transaction aborts, and the next call works', async () => {
    store = await openProfileStore();
    const add = IDBObjectStore.prototype.add;
    IDBObjectStore.prototype.add = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>) {
      const req = add.apply(this, args);
      this.transaction.abort();
      return req;
    };
    let failed = false;
    try {
      await store.add(view('lost', Date.now()));
    } catch (e) {
      failed = (e as Error).name === 'AbortError';
    } finally {
      IDBObjectStore.prototype.add = add;
    }
    ok(failed, 'the aborted add rejects with AbortError');
    await store.add(view('kept', Date.now()));
    deepEqual((await store.events()).map((e) => e.items[0]!.item_id), ['kept'], 'events');
    equal(store.kind, 'indexeddb', 'still on IndexedDB');
  });

  it('clear() erases events, meta and the model cache', async () => {
    store = await openProfileStore();
    await store.add(view('x', Date.now()));
    await store.setMeta('paused', true);
    await store.cache!.putManifest('default', { etag: '"e"', body: '{}' });
    await store.clear();
    deepEqual(await store.events(), [], 'events');
    equal(await store.getMeta('paused'), undefined, 'meta');
    equal(await store.cache!.manifest('default'), undefined, 'cached manifest');
  });
});
