/**
 * The widget as shoppers get it, in real headless Chromium (Debian `/usr/bin/chromium` through Playwright,
 * the flags of `web-test-runner.config.mjs`), against the real edge server app serving a freshly built
 * production widget, a signed uint8 12k-item SASRec (2 blocks, dim 64, length 50) and a 12k-product
 * catalog:
 *
 * - event-to-new-top-10: `edgeRecs.track('view_item')` until the `<edge-recs count="10">` row has re-ranked
 *   (`edge-recs:render`): validation, IndexedDB write and read, profile, model, ranking, copy. Each event on
 *   a page at rest (`settled`: after the last render's frame and 30 ms idle, as a shopper's events come),
 *   and the same number back to back (`backToBack`: the next event at once, so the previous render's
 *   layout and paint fall into the next event's time). Per backend
 *   (`data-backend`); the backend that actually ran is reported, since a forced GPU backend that cannot
 *   start falls back.
 * - load: time from navigation start to the first cards and to the first model-ranked cards, in a fresh
 *   browser profile (nothing cached) and on the visits after it (model in IndexedDB, manifest revalidated;
 *   the median of `REPEAT_VISITS`). Seen cards are not swapped, so on the first visit the model's cards
 *   come with the shopper's next action: the bench sends one more view once the model is ready.
 * - bundle sizes: the loader and each lazy chunk, gzip.
 *
 *   npm run bench -- widget        writes bench/results/widget.json
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { buildArtifact } from '../core/artifact/artifact.ts';
import { generateKeyFile } from '../core/artifact/signing.ts';
import type { Catalog, Product } from '../core/catalog.ts';
import { initWeights } from '../core/model/weights.ts';
import { widgetDir } from '../edge-server/adapters/node/widget-dir.ts';
import { createApp } from '../edge-server/app.ts';
import { catalogJson, createMemoryCatalog } from '../edge-server/catalog/store.ts';
import { createMemoryStorage } from '../edge-server/models/memory-storage.ts';
import { publishArtifact } from '../edge-server/models/registry.ts';
import { LOADER_BUDGET_BYTES } from '../widget/loader/budget.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, SOFTWARE_GPU_ARGS } from '../test/support/chromium.ts';

const CONFIG = { numItems: 12_000, dim: 64, blocks: 2, heads: 1, maxLen: 50 };
/** Runs per backend: the software GPU backends (SwiftShader here) take seconds per run. */
const RUNS: Record<string, number> = { wasm: 100, cpu: 20, webgl: 10, webgpu: 5 };
/**
 * Events before the timed ones (`WIDGET_BENCH_WARMUP`, default 3). V8 compiles the tfjs WASM module's hot
 * functions again in the background for some tens of events (tiering up); on two cores those compiles
 * share the CPU with the first timed events. `WIDGET_BENCH_WARMUP=60` times the steady state.
 */
const WARMUP = Number(process.env.WIDGET_BENCH_WARMUP ?? 3);
/**
 * `WIDGET_BENCH_BASELINE=DIR` (another checkout of this repository, e.g. a `git worktree` of an older
 * commit, with `node_modules` reachable from it): its widget is built and served beside this one, and the
 * settled event-to-new-top-10 loop runs on both WASM pages in one Chromium, taking turns
 * (`BASELINE_ROUNDS` rounds of `BASELINE_EVENTS` events, after a 60-event warm-up each), so that a change's
 * effect is read against its baseline in the same run, under the same load.
 */
const BASELINE = process.env.WIDGET_BENCH_BASELINE;
const BASELINE_ROUNDS = 8;
const BASELINE_EVENTS = 20;
/** Repeat visits measured (the median is reported). */
const REPEAT_VISITS = 7;
/** `WIDGET_BENCH_BACKENDS=wasm,cpu` measures a subset. */
const BACKENDS = (process.env.WIDGET_BENCH_BACKENDS?.split(',') ?? ['webgpu', 'webgl', 'wasm', 'cpu']).filter((b) => ['webgpu', 'webgl', 'wasm', 'cpu'].includes(b));

const CATEGORIES = Array.from({ length: 24 }, (_, i) => `Department ${i % 6} > Type ${i}`);

const PIXEL = '/img/pixel.svg';

function catalog(): Catalog {
  const products: Product[] = Array.from({ length: CONFIG.numItems }, (_, i) => ({
    id: `sku-${String(i + 1).padStart(5, '0')}`,
    title: `Product ${i + 1}`,
    link: `/p/${i + 1}`,
    // One small image for every card, from the bench page's own origin: catalog images must be http(s)
    // URLs (a `data:` URL is refused as a catalog link), and one URL is fetched once.
    image_link: PIXEL,
    price: 5 + (i % 90),
    ...(i % 7 === 0 ? { sale_price: 4 + (i % 90) } : {}),
    ...(i % 11 === 0 ? { stock: 1 + (i % 9) } : {}),
    currency: 'EUR',
    availability: i % 41 === 0 ? 'out_of_stock' : 'in_stock',
    product_type: CATEGORIES[i % CATEGORIES.length]!,
  }));
  return { updatedAt: new Date(0).toISOString(), products };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (x: number): number => Math.round(x * 10) / 10;

function page(backend?: string): string {
  return `<!doctype html><html><head><meta charset="utf-8">
<script>window.__t = {}; addEventListener('edge-recs:render', (e) => {
  const state = e.target.getAttribute('state');
  window.__t.first ??= performance.now();
  if (state === 'ready') window.__t.model ??= performance.now();
});</script>
<script type="module" src="/widget/edge-recs.js"${backend ? ` data-backend="${backend}"` : ''}></script>
</head><body><edge-recs placement="for-you" count="10"></edge-recs></body></html>`;
}

/**
 * `runs` events, each timed from `track` to the row's `edge-recs:render`. `settled`: each event on a page
 * at rest (after the last render's frame and 30 ms idle), as a shopper's events come; else back to back,
 * the next event at once (the previous render's layout and paint then fall into the next event's time).
 */
async function eventToRecs(p: Page, runs: number, ids: string[], settled: boolean): Promise<number[]> {
  return p.evaluate(
    async ({ runs, ids, settled }) => {
      const el = document.querySelector('edge-recs')!;
      const api = (window as unknown as { edgeRecs: { track(n: string, p: unknown): void } }).edgeRecs;
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        if (settled) {
          await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
          await new Promise((resolve) => setTimeout(resolve, 30));
        }
        const rendered = new Promise((resolve) => el.addEventListener('edge-recs:render', resolve, { once: true }));
        const t0 = performance.now();
        api.track('view_item', { items: [{ item_id: ids[i % ids.length] }] });
        await rendered;
        times.push(performance.now() - t0);
      }
      return times;
    },
    { runs, ids, settled },
  );
}

type Spread = { p50: number; p95: number; mean: number };

const spread = (times: number[]): Spread => {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), mean: round(times.reduce((a, b) => a + b, 0) / times.length) };
};

/** The settled loop on this tree's page and the baseline's (WASM), in turns (`WIDGET_BENCH_BASELINE`). */
async function againstBaseline(browser: Browser, url: string, baselineUrl: string, ids: string[]): Promise<{ events: number; thisTree: Spread; baseline: Spread }> {
  const pages: Page[] = [];
  for (const u of [url, baselineUrl]) {
    const p = await browser.newPage();
    await p.goto(`${u}/shop?backend=wasm`);
    await p.waitForFunction(() => (window as unknown as { edgeRecs: { state: { status: string } } }).edgeRecs.state.status === 'ready', undefined, { timeout: 300_000 });
    await eventToRecs(p, 60, ids.slice(300), false);
    pages.push(p);
  }
  const times: number[][] = [[], []];
  for (let round = 0; round < BASELINE_ROUNDS; round++) {
    // Each round's first page alternates, so neither always follows the other.
    for (const i of round % 2 ? [1, 0] : [0, 1]) {
      await pages[i]!.bringToFront();
      times[i]!.push(...(await eventToRecs(pages[i]!, BASELINE_EVENTS, ids.slice(round * BASELINE_EVENTS), true)));
    }
  }
  await Promise.all(pages.map((p) => p.close()));
  return { events: times[0]!.length, thisTree: spread(times[0]!), baseline: spread(times[1]!) };
}

export interface BenchServer {
  url: string;
  /** The built widget's folder. */
  out: string;
  modelBytes: number;
  close(): Promise<void>;
}

/**
 * Builds the production widget (`minify: false` keeps function names, for a CPU profile) and serves it
 * from the real edge server app with the 12k-item model and catalog; `/shop` is the bench page.
 * `widgetRoot`: build the widget of another checkout (its own sources and build config) instead, served
 * by this checkout's server (`WIDGET_BENCH_BASELINE`).
 */
async function startBenchServer(options: { minify?: boolean; widgetRoot?: string } = {}): Promise<BenchServer> {
  const root = options.widgetRoot ?? join(import.meta.dirname, '..');
  const out = await mkdtemp(join(tmpdir(), 'edge-recs-bench-widget-'));
  const minify = options.minify === false ? { rollupOptions: { output: { minify: false } } } : {};
  await build({ root, configFile: join(root, 'vite.config.ts'), mode: 'production', logLevel: 'silent', build: { outDir: out, sourcemap: false, ...minify } });
  const key = await generateKeyFile();
  const trustedKeys = [{ keyId: key.keyId, publicKey: key.publicKey }];
  const storage = createMemoryStorage();
  const shop = catalog();
  const artifact = await buildArtifact(
    { name: 'default', version: 'bench', config: CONFIG, itemIds: shop.products.map((p) => p.id), weights: initWeights(CONFIG, 3), quantization: 'uint8' },
    key,
  );
  await publishArtifact(storage, artifact, { trusted: trustedKeys });
  const catalogStore = createMemoryCatalog();
  await catalogStore.put(catalogJson(shop));
  const app = createApp({
    storage,
    trustedKeys,
    catalog: catalogStore,
    widget: widgetDir(out),
    mount: (a) => {
      a.get('/shop', (c) => c.html(page(c.req.query('backend'))));
      a.get(PIXEL, (c) => c.body('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>', 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'max-age=3600' }));
    },
  });
  const modelBytes = [...artifact.files.values()].reduce((n, b) => n + b.byteLength, 0);
  return new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        out,
        modelBytes,
        close: async () => {
          s.close();
          await rm(out, { recursive: true, force: true });
        },
      }),
    );
  });
}

export async function run(): Promise<Record<string, unknown>> {
  const server = await startBenchServer();
  const { out } = server;

  const bundles: Record<string, number> = { 'edge-recs.js': gzipSync(await readFile(join(out, 'edge-recs.js'))).byteLength };
  for (const name of (await readdir(join(out, 'chunks'))).sort()) {
    if (name.endsWith('.js')) bundles[`chunks/${name}`] = gzipSync(await readFile(join(out, 'chunks', name))).byteLength;
  }
  for (const name of await readdir(out)) if (name.endsWith('.wasm')) bundles[name] = gzipSync(await readFile(join(out, name))).byteLength;

  const baseline = BASELINE ? await startBenchServer({ widgetRoot: BASELINE }) : undefined;
  let inTurns: Awaited<ReturnType<typeof againstBaseline>> | undefined;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, ...SOFTWARE_GPU_ARGS] });
  const ids = Array.from({ length: 400 }, (_, i) => `sku-${String(((i * 7919) % CONFIG.numItems) + 1).padStart(5, '0')}`);
  const latency: Record<string, { ranOn: string; runs: number; settled: Spread; backToBack: Spread }> = {};
  const load: Record<
    string,
    {
      firstCardsMs: number;
      modelCardsMs: number;
      loadEventMs: number;
      firstCardsAfterLoadMs: number;
      modelCardsAfterLoadMs: number;
      modelBytesDownloaded: number;
      modelLoad: unknown;
      visits?: number;
      firstCardsAfterLoadMsEach?: number[];
      modelCardsAfterLoadMsEach?: number[];
    }
  > = {};
  const loadedChunks: string[] = [];
  try {
    // Cold and cached loads, automatic backend choice (what shoppers get).
    const context = await browser.newContext();
    const p = await context.newPage();
    type Visit = { firstCardsMs: number; modelCardsMs: number; loadEventMs: number; modelBytesDownloaded: number; modelLoad: unknown; chunks: string[] };
    const visit = async (): Promise<Visit> => {
      await p.goto(`${server.url}/shop`);
      // One event of history, so the row needs the model to be ranked.
      await p.evaluate(() => (window as unknown as { edgeRecs: { track(n: string, p: unknown): void } }).edgeRecs.track('view_item', { items: [{ item_id: 'sku-00042' }] }));
      // Seen cards are not swapped: on a first visit the row keeps its fallback when the model becomes
      // ready, and shows the model's cards at the shopper's next action (here, one more view).
      await p.waitForFunction(() => (window as unknown as { edgeRecs: { state: { status: string } } }).edgeRecs.state.status === 'ready', undefined, { timeout: 120_000 });
      if (await p.evaluate(() => (window as unknown as { __t: { model?: number } }).__t.model === undefined)) {
        await p.evaluate(() => (window as unknown as { edgeRecs: { track(n: string, p: unknown): void } }).edgeRecs.track('view_item', { items: [{ item_id: 'sku-00043' }] }));
      }
      await p.waitForFunction(() => (window as unknown as { __t: { model?: number } }).__t.model !== undefined, undefined, { timeout: 120_000 });
      return p.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        const t = (window as unknown as { __t: { first: number; model: number } }).__t;
        // The widget's own count: its model files are fetched in the heavy-work worker, whose requests
        // are not among the page's resource entries.
        const modelLoad = (window as unknown as { edgeRecs: { state: { modelLoad?: { bytesFetched?: number } } } }).edgeRecs.state.modelLoad;
        return {
          firstCardsMs: t.first,
          modelCardsMs: t.model,
          loadEventMs: nav.loadEventEnd,
          modelBytesDownloaded: modelLoad?.bytesFetched ?? 0,
          modelLoad,
          chunks: performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((n) => n.startsWith('/widget/')),
        };
      });
    };
    const figures = (v: Visit) => ({
      firstCardsMs: round(v.firstCardsMs),
      modelCardsMs: round(v.modelCardsMs),
      loadEventMs: round(v.loadEventMs),
      modelBytesDownloaded: v.modelBytesDownloaded,
      modelLoad: v.modelLoad,
      firstCardsAfterLoadMs: round(v.firstCardsMs - v.loadEventMs),
      modelCardsAfterLoadMs: round(v.modelCardsMs - v.loadEventMs),
    });
    const cold = await visit();
    load['cold (nothing cached)'] = figures(cold);
    loadedChunks.push(...cold.chunks);
    // Repeat visits vary by tens of milliseconds on shared cores: the visit with the median time to
    // model-ranked cards is reported, beside every visit's figure.
    const repeats: Visit[] = [];
    for (let i = 0; i < REPEAT_VISITS; i++) repeats.push(await visit());
    const byModel = [...repeats].sort((a, b) => a.modelCardsMs - a.loadEventMs - (b.modelCardsMs - b.loadEventMs));
    load['repeat visit (model cached)'] = {
      ...figures(byModel[Math.floor(byModel.length / 2)]!),
      visits: repeats.length,
      firstCardsAfterLoadMsEach: repeats.map((v) => round(v.firstCardsMs - v.loadEventMs)),
      modelCardsAfterLoadMsEach: repeats.map((v) => round(v.modelCardsMs - v.loadEventMs)),
    };
    await context.close();

    for (const backend of BACKENDS) {
      const ctx = await browser.newContext();
      const bp = await ctx.newPage();
      await bp.goto(`${server.url}/shop?backend=${backend}`);
      await bp.waitForFunction(() => (window as unknown as { edgeRecs: { state: { status: string } } }).edgeRecs.state.status !== 'loading', undefined, { timeout: 300_000 });
      const ranOn = await bp.evaluate(() => (window as unknown as { edgeRecs: { state: { backend?: string } } }).edgeRecs.state.backend ?? 'none');
      await eventToRecs(bp, WARMUP, ids.slice(300), false);
      const settled = await eventToRecs(bp, RUNS[backend]!, ids, true);
      const backToBack = await eventToRecs(bp, RUNS[backend]!, ids.slice(100), false);
      latency[backend] = { ranOn, runs: settled.length, settled: spread(settled), backToBack: spread(backToBack) };
      await ctx.close();
    }
    if (baseline) inTurns = await againstBaseline(browser, server.url, baseline.url, ids);
  } finally {
    await browser.close();
    await server.close();
    await baseline?.close();
  }

  if (inTurns) console.log(`\nin turns with ${BASELINE} (settled, WASM, ${inTurns.events} events each): this tree p50 ${inTurns.thisTree.p50} / p95 ${inTurns.thisTree.p95} ms, baseline p50 ${inTurns.baseline.p50} / p95 ${inTurns.baseline.p95} ms`);
  const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;
  console.log('\nevent-to-new-top-10 (ms), 12k-item SASRec, real Chromium:');
  console.log('| backend | ran on | runs | settled p50 | settled p95 | back-to-back p50 | back-to-back p95 |\n|---|---|---|---|---|---|---|');
  for (const [b, r] of Object.entries(latency)) console.log(`| ${b} | ${r.ranOn} | ${r.runs} | ${r.settled.p50} | ${r.settled.p95} | ${r.backToBack.p50} | ${r.backToBack.p95} |`);
  console.log('\nload (ms from navigation start):');
  console.log('| visit | load event | first cards (after load) | model-ranked cards (after load) | model bytes downloaded |\n|---|---|---|---|---|');
  for (const [v, r] of Object.entries(load)) {
    console.log(`| ${v} | ${r.loadEventMs} | ${r.firstCardsMs} (+${r.firstCardsAfterLoadMs}) | ${r.modelCardsMs} (+${r.modelCardsAfterLoadMs}) | ${r.modelBytesDownloaded} |`);
    if (r.modelCardsAfterLoadMsEach) console.log(`|   each of ${r.visits} visits | | ${r.firstCardsAfterLoadMsEach!.join(', ')} | ${r.modelCardsAfterLoadMsEach.join(', ')} | |`);
  }
  console.log('\nbundles (gzip):');
  for (const [n, b] of Object.entries(bundles)) console.log(`  ${n}: ${kb(b)}${loadedChunks.includes(`/widget/${n}`) ? ' (loaded on the automatic WASM path)' : ''}`);
  return {
    benchmark: 'widget',
    what: 'event-to-new-top-10 latency per backend, load to first cards cold and cached, bundle sizes; headless Debian Chromium, SwiftShader for WebGPU/WebGL',
    config: CONFIG,
    catalogProducts: CONFIG.numItems,
    modelBytes: server.modelBytes,
    latencyMs: latency,
    ...(inTurns && { againstBaseline: { baselineDir: BASELINE, ...inTurns } }),
    warmupEvents: WARMUP,
    loadMs: load,
    bundlesGzipBytes: bundles,
    loaderBudgetBytes: LOADER_BUDGET_BYTES,
    loadedOnWasmPath: loadedChunks,
  };
}
