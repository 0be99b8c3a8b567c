import { deleteDB } from 'idb';
import { deepEqual, equal, ok } from '../../test/support/browser/assert.ts';
import { afterEach, beforeEach, describe, it } from '../../test/support/browser/mocha.ts';
import { fetchCatalog } from './catalog.ts';
import { DB_NAME, openProfileStore, type ProfileStore } from '../storage/store.ts';

/** Refuses connections at once (the discard port): an edge server that is down. */
const DOWN = 'http://127.0.0.1:9';
const URL_HERE = '/v1/catalog';

describe('catalog kept on the device (real IndexedDB, the test edge server)', () => {
  let store: ProfileStore;

  beforeEach(async () => {
    await deleteDB(DB_NAME);
    store = await openProfileStore();
    equal(store.kind, 'indexeddb', 'backing store');
  });

  afterEach(async () => {
    store.close();
    await deleteDB(DB_NAME);
  });

  /** Resolves once the background write of the catalog at `url` has landed. */
  async function storedCopy(url: string): Promise<{ etag: string; body: string }> {
    for (let i = 0; i < 100; i++) {
      const copy = await store.cache!.catalog(url);
      if (copy) return copy;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no catalog stored for ${url}`);
  }

  it('stores the first answer with its ETag, then revalidates it with a 304', async () => {
    const first = await fetchCatalog({ server: '', cache: store.cache });
    equal(first.load, 'network', 'first visit');
    ok(first.catalog.products.length > 0, 'products');
    const copy = await storedCopy(URL_HERE);
    ok(copy.etag.length > 0, 'ETag kept');
    const again = await fetchCatalog({ server: '', cache: store.cache });
    equal(again.load, 'revalidated', 'next visit');
    deepEqual(again.catalog, first.catalog, 'the stored catalog');
  });

  it('uses the stored catalog when the edge server is down, and fails without one', async () => {
    const { catalog } = await fetchCatalog({ server: '', cache: store.cache });
    await store.cache!.putCatalog(`${DOWN}/v1/catalog`, await storedCopy(URL_HERE));
    const offline = await fetchCatalog({ server: DOWN, cache: store.cache });
    equal(offline.load, 'offline', 'server down');
    deepEqual(offline.catalog, catalog, 'the stored catalog');
    const refused = await fetchCatalog({ server: DOWN }).then(() => 'resolved', () => 'rejected');
    equal(refused, 'rejected', 'no cache, server down');
  });

  it('never uses a stored catalog the parser rejects: refetched in full while the server answers, an error while it is down', async () => {
    await fetchCatalog({ server: '', cache: store.cache });
    const good = await storedCopy(URL_HERE);
    // Same ETag: were it sent, the server would answer 304 and point at the broken copy.
    for (const body of ['{"products": [', '{"updatedAt": "x", "products": [{"id": 7}]}']) {
      await store.cache!.putCatalog(URL_HERE, { etag: good.etag, body });
      const fresh = await fetchCatalog({ server: '', cache: store.cache });
      equal(fresh.load, 'network', `refetched over ${body}`);
      ok(fresh.catalog.products.length > 0, 'products');
      for (let i = 0; i < 100 && (await store.cache!.catalog(URL_HERE))?.body !== good.body; i++) await new Promise((r) => setTimeout(r, 20));
      equal((await store.cache!.catalog(URL_HERE))?.body, good.body, 'the broken copy replaced');

      await store.cache!.putCatalog(`${DOWN}/v1/catalog`, { etag: good.etag, body });
      const down = await fetchCatalog({ server: DOWN, cache: store.cache }).then(() => 'resolved', () => 'rejected');
      equal(down, 'rejected', `server down, only ${body} stored`);
    }
  });

  it('is erased with the rest of the profile (forget)', async () => {
    await fetchCatalog({ server: '', cache: store.cache });
    await storedCopy(URL_HERE);
    await store.clear();
    equal(await store.cache!.catalog(URL_HERE), undefined, 'after clear');
  });
});
