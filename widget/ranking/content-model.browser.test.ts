/**
 * A model with content features in real Chromium against the real edge server
 * (`test/support/browser/edge-server.ts`, model `content`): the catalog's products it was not trained on
 * are ranked from their features, in the worker and on the page alike, marked as such, and read in a
 * history; without a catalog it ranks its own items only.
 */
import { deepEqual, equal, ok } from '../../test/support/browser/assert.ts';
import { WASM_PATH } from '../../test/support/browser/backends.ts';
import { afterEach, describe, it } from '../../test/support/browser/mocha.ts';
import { CONTENT_MODEL, CONTENT_MODEL_ITEMS, PRODUCT_IDS } from '../../test/support/browser/shop-fixture.ts';
import { mainThreadWork, type HeavyWork } from './heavy-work.ts';
import { workerWork } from './worker-work.ts';

const ASSETS = new URL(WASM_PATH, location.href).href;
const NEW = PRODUCT_IDS.filter((id) => !CONTENT_MODEL_ITEMS.includes(id));

/** Loads the catalog (unless told not to) and the content model through `work`, and ranks every item after `p01`. */
async function rank(work: HeavyWork, withCatalog = true) {
  const signal = new AbortController().signal;
  if (withCatalog) await work.loadCatalog({ server: '', signal });
  await work.loadModel({ server: '', model: CONTENT_MODEL, trusted: [], signal });
  const runtime = await work.startModel({ backend: 'cpu', assetBase: ASSETS, signal });
  const all = await runtime.recommend(['p01'], PRODUCT_IDS.length, new Set());
  return { runtime, all, fromContent: all.filter((r) => r.fromContent).map((r) => r.id).sort() };
}

describe('a model with content features (real Chromium, real edge server)', () => {
  const works: HeavyWork[] = [];
  afterEach(() => {
    for (const w of works.splice(0)) w.dispose();
  });

  it('ranks the catalog\'s products it has no row for from their features, the same in the worker as on the page', async () => {
    const inWorker = workerWork();
    const onPage = mainThreadWork({ yielding: true });
    works.push(inWorker, onPage);
    equal(await inWorker.place, 'worker', 'the worker started');
    const a = await rank(inWorker);
    const b = await rank(onPage);
    deepEqual([...a.runtime.newItems], NEW, 'the new products, in catalog order');
    deepEqual([...b.runtime.newItems], NEW, 'the same on the page');
    // Every product is ranked; the new ones and the held-out p08 from their content alone.
    deepEqual(a.all.map((r) => r.id).sort(), [...PRODUCT_IDS].sort(), 'every product ranked');
    deepEqual(a.fromContent, ['p08', ...NEW].sort(), 'marked: ranked from content');
    deepEqual(a.all, b.all, 'the same ranking and marks in the worker and on the page');
    // A new product in the history is read (its features), so copy may name it.
    deepEqual(a.runtime.basis(['p01', 'p10', 'nope']), ['p01', 'p10'], 'a new product is read in a history');
    deepEqual(b.runtime.basis(['p01', 'p10', 'nope']), ['p01', 'p10'], 'the same on the page');
    const after = await a.runtime.recommend(['p10'], 3, new Set());
    equal(after.length, 3, 'ranks after a history of a new product');
  });

  it('ranks only its own items where no catalog was loaded', async () => {
    const work = mainThreadWork();
    works.push(work);
    const { runtime, all, fromContent } = await rank(work, false);
    deepEqual([...runtime.newItems], [], 'no new products');
    ok(all.every((r) => CONTENT_MODEL_ITEMS.includes(r.id)), `its own items only (${all.map((r) => r.id).join(', ')})`);
    deepEqual(fromContent, ['p08'], 'the held-out item still ranked from its content');
  });
});
