/**
 * The heavy work in its worker and on the page, in real Chromium against the real edge server
 * (`test/support/browser/edge-server.ts`): the same catalog and the same top-10s either way, a worker that
 * cannot load leaves the work to the page, and `dispose` ends the worker.
 */
import { deleteDB } from 'idb';
import { deepEqual, equal, ok } from '../../test/support/browser/assert.ts';
import { WASM_PATH } from '../../test/support/browser/backends.ts';
import { PRODUCT_IDS } from '../../test/support/browser/shop-fixture.ts';
import { afterEach, describe, it } from '../../test/support/browser/mocha.ts';
import { money, rememberMoney } from '../copy/money.ts';
import type { BackendName } from '../loader/backends.ts';
import { DB_NAME, openProfileStore, type ProfileStore } from '../storage/store.ts';
import type { HeavyReply } from './heavy-protocol.ts';
import { mainThreadWork, type HeavyWork } from './heavy-work.ts';
import { workerWork } from './worker-work.ts';

const ASSETS = new URL(WASM_PATH, location.href).href;
const HISTORIES: string[][] = [[], ['p01'], ['p01', 'p04', 'p02'], PRODUCT_IDS.slice(0, 12), ['p03', 'unknown-id', 'p05']];

/** Loads the catalog and the model through `work`, starts it on `backend` and ranks every history. */
async function rankAll(work: HeavyWork, backend: BackendName, cache?: ProfileStore['cache']) {
  const signal = new AbortController().signal;
  work.preload();
  const { catalog } = await work.loadCatalog({ server: '', cache, signal });
  const facts = await work.loadModel({ server: '', model: 'default', trusted: [], cache, signal });
  const runtime = await work.startModel({ backend, assetBase: ASSETS, signal });
  const tops: string[][] = [];
  for (const history of HISTORIES) tops.push((await runtime.recommend(history, 10, new Set(['p02']))).map((s) => s.id));
  return { catalog, facts, runtime, tops, basis: HISTORIES.map((h) => runtime.basis(h)) };
}

/** Wraps `Worker` to keep every worker the page starts, so a test can talk to one directly. */
function recordWorkers(): { made: Worker[]; restore(): void } {
  const Original = window.Worker;
  const made: Worker[] = [];
  window.Worker = class extends Original {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      made.push(this);
    }
  };
  return { made, restore: () => void (window.Worker = Original) };
}

/** Whether `worker` answers a `recommend` within `ms` (a terminated worker never does). */
function answers(worker: Worker, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    worker.addEventListener('message', (e: MessageEvent<HeavyReply>) => {
      if ('id' in e.data && e.data.id === 1e6) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    worker.postMessage({ op: 'recommend', id: 1e6, history: ['p01'], k: 3, exclude: [] });
  });
}

describe('heavy work: in a worker, else on the page (real Chromium, real edge server)', () => {
  const works: HeavyWork[] = [];
  afterEach(async () => {
    for (const w of works.splice(0)) w.dispose();
    await deleteDB(DB_NAME);
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`ranks the same top-10s in the worker as on the page (${backend})`, async () => {
      const inWorker = workerWork();
      const onPage = mainThreadWork({ yielding: true });
      works.push(inWorker, onPage);
      equal(await inWorker.place, 'worker', 'the worker started');
      const a = await rankAll(inWorker, backend);
      const b = await rankAll(onPage, backend);
      equal(a.runtime.backend, backend, 'the worker runs the backend asked for');
      deepEqual(a.catalog, b.catalog, 'the same catalog');
      deepEqual(a.facts, b.facts, 'the same model facts');
      deepEqual(a.tops, b.tops, 'the same top-10 for every history');
      deepEqual(a.basis, b.basis, 'the same basis');
      ok(a.tops.every((t) => t.length === 10 && !t.includes('p02')), `ten ranked, the excluded never (${JSON.stringify(a.tops)})`);
      equal(a.runtime.modelVersion, b.runtime.modelVersion, 'the same model version');
    });
  }

  it('formats every catalog price in the page\'s locale in the worker, so cards build no price formatter on the page', async () => {
    const work = workerWork();
    works.push(work);
    equal(await work.place, 'worker', 'the worker started');
    const { catalog, money: texts } = await work.loadCatalog({ server: '', locale: 'de-DE', signal: new AbortController().signal });
    ok(texts !== undefined && texts.length > 0, 'prices came back as text');
    const asked = new Set(catalog.products.flatMap((p) => [`${p.currency}|${p.price}`, ...(p.sale_price === undefined ? [] : [`${p.currency}|${p.sale_price}`])]));
    deepEqual(new Set(texts!.map(([c, v]) => `${c}|${v}`)), asked, 'each distinct price and sale price once');
    for (const [currency, value, text] of texts!) equal(text, new Intl.NumberFormat('de-DE', { style: 'currency', currency }).format(value), `${value} ${currency}`);
    // The page keeps them: `money` answers from them without a formatter of its own.
    const Original = Intl.NumberFormat;
    let built = 0;
    Intl.NumberFormat = function (this: unknown, ...args: ConstructorParameters<typeof Intl.NumberFormat>) {
      built++;
      return new Original(...args);
    } as unknown as typeof Intl.NumberFormat;
    try {
      rememberMoney('de-DE', texts!);
      const [currency, value, text] = texts![0]!;
      equal(money('de-DE', currency, value), text, 'the worker\'s text');
      equal(built, 0, 'no formatter built on the page');
    } finally {
      Intl.NumberFormat = Original;
    }
    const onPage = await mainThreadWork({ yielding: true }).loadCatalog({ server: '', locale: 'de-DE', signal: new AbortController().signal });
    equal(onPage.money, undefined, 'on the page, cards format their own prices');
  });

  it('with storage, the worker keeps the model in the page\'s IndexedDB cache: a repeat load downloads no model bytes', async () => {
    const store = await openProfileStore();
    try {
      const first = workerWork();
      works.push(first);
      equal((await rankAll(first, 'cpu', store.cache)).runtime.loadStats.manifest, 'network', 'first load');
      first.dispose();
      // Written in the background by the worker: wait until the page's connection sees the manifest.
      for (let i = 0; i < 100 && !(await store.cache!.manifest('default')); i++) await new Promise((r) => setTimeout(r, 50));
      const second = workerWork();
      works.push(second);
      const stats = (await rankAll(second, 'cpu', store.cache)).runtime.loadStats;
      deepEqual({ manifest: stats.manifest, filesFetched: stats.filesFetched }, { manifest: 'revalidated', filesFetched: 0 }, 'repeat load from the cache');
    } finally {
      store.close();
    }
  });

  it('errors in the worker are the same outcomes as on the page: an unknown model rejects with the same message', async () => {
    const messages: string[] = [];
    for (const work of [workerWork(), mainThreadWork()]) {
      works.push(work);
      const error = await work.loadModel({ server: '', model: 'no-such-model', trusted: [] }).then(
        () => undefined,
        (e: unknown) => e,
      );
      ok(error instanceof Error, `rejected with an Error (${String(error)})`);
      messages.push((error as Error).message);
    }
    equal(messages[0], messages[1], 'the same message');
  });

  it('dispose terminates the worker: it answers before, never after, and pending calls reject', async () => {
    const workers = recordWorkers();
    try {
      const work = workerWork();
      works.push(work);
      const { runtime } = await rankAll(work, 'cpu');
      const worker = workers.made.at(-1);
      ok(worker, 'a worker was started');
      ok(await answers(worker, 5000), 'the worker answers while in use');
      const pending = runtime.recommend(['p01'], 10, new Set());
      work.dispose();
      const error = await pending.then(
        () => undefined,
        (e: unknown) => e,
      );
      equal((error as DOMException | undefined)?.name, 'AbortError', 'the pending call rejects as cancelled');
      equal(await answers(worker, 1000), false, 'the worker no longer answers');
    } finally {
      workers.restore();
    }
  });

  // Last: a worker that failed to start keeps later ones on this page from being tried (`workers/start.ts`).
  it('where the worker module does not load, the page does the work and still ranks', async () => {
    const work = workerWork({ url: 'http://127.0.0.1:9/widget/assets/heavy-worker.js' });
    works.push(work);
    equal(await work.place, 'main', 'fell back to the page');
    const { tops } = await rankAll(work, 'cpu');
    equal(tops[2]!.length, 10, 'ranked on the page');
    equal(await workerWork().place, 'main', 'a later worker is not tried');
  });
});
