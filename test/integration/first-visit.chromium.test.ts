/**
 * What a first visit costs the shop's page in requests (issue 16: the widget's whole first visit, loader,
 * chunks, WASM, model and catalog, in at most 10 requests). The production widget (`dist/`, `npm run
 * build`) loads cross-origin from the real edge server (`test/support/widget-shop.ts`) into a shop page in
 * a fresh Chromium profile (nothing cached) without a GPU, so tfjs runs on WASM, and the test waits until
 * the model ranks the rows. It counts every request to the edge server and the depth of the longest chain
 * of requests, each started by the script the previous one delivered (Chromium's initiator), and prints the
 * bytes per kind of request (as the server sent them and, for the catalog, as JSON).
 */
import type { CDPSession, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium, SOFTWARE_GPU_ARGS } from '../support/chromium.ts';
import { useWidgetShop } from '../support/widget-shop.ts';

/** Issue 16's goal for a first visit: the loader, chunks, WASM, model and catalog in at most 10 requests. */
const MAX_REQUESTS = 10;
/**
 * The kinds of request that goal names. The one other request of a first visit is `GET /v1/popular`
 * (the trending and bestseller lists copy reads), counted and printed apart.
 */
const GOAL_KINDS = new Set(['loader', 'chunk', 'wasm', 'model', 'catalog']);
/** Loader → engine chunk → tfjs chunk → `.wasm`: requests that wait for the one before. */
const MAX_CHAIN = 4;

interface Seen {
  url: string;
  method: string;
  /** The URL of the script (or document) whose code started this request, if Chromium tells it. */
  parent: string | undefined;
  /** Bytes received for it, headers included (`encodedDataLength`). */
  wire: number;
  /** Bytes of the body after any content decoding. */
  body: number;
}

/** The script that started a request: the innermost frame of its initiator's stack, else its `url`. */
function initiatorUrl(initiator: { url?: string; stack?: Stack }): string | undefined {
  for (let stack: Stack | undefined = initiator.stack; stack; stack = stack.parent) {
    const frame = stack.callFrames.find((f) => f.url);
    if (frame) return frame.url;
  }
  return initiator.url || undefined;
}
interface Stack {
  callFrames: Array<{ url: string }>;
  parent?: Stack;
}

/** What kind of widget request a URL is, for the report. */
function kind(url: URL, method: string): string {
  const path = url.pathname;
  if (path.endsWith('/edge-recs.js')) return 'loader';
  if (path.endsWith('.js')) return 'chunk';
  if (path.endsWith('.wasm')) return 'wasm';
  if (path.startsWith('/v1/catalog')) return 'catalog';
  // The manifest, then the files it names (content-addressed blobs).
  if (path.startsWith('/v1/models/') || path.startsWith('/v1/blobs/')) return 'model';
  return `${method} ${path}`;
}

async function record(cdp: CDPSession): Promise<Map<string, Seen>> {
  const seen = new Map<string, Seen>();
  await cdp.send('Network.enable');
  cdp.on('Network.requestWillBeSent', (e) => {
    seen.set(e.requestId, { url: e.request.url, method: e.request.method, parent: initiatorUrl(e.initiator as never), wire: 0, body: 0 });
  });
  cdp.on('Network.dataReceived', (e) => {
    const s = seen.get(e.requestId);
    if (s) s.body += e.dataLength;
  });
  cdp.on('Network.loadingFinished', (e) => {
    const s = seen.get(e.requestId);
    if (s) s.wire = e.encodedDataLength;
  });
  return seen;
}

/** Length of the longest chain of requests ending at `url`, each started by the one before (the page is 0). */
function depth(url: string, byUrl: ReadonlyMap<string, Seen>, pageUrl: string, guard = 0): number {
  if (url === pageUrl || guard > 100) return 0;
  const s = byUrl.get(url);
  if (!s || s.parent === undefined) return 1;
  return 1 + depth(s.parent, byUrl, pageUrl, guard + 1);
}

/** Waits until the model ranks every row and the network is quiet; returns the backend the model runs on. */
async function modelRanked(page: Page): Promise<string | undefined> {
  await page.waitForFunction(() => (window as unknown as { edgeRecs?: { state: { status: string } } }).edgeRecs?.state.status === 'ready', undefined, { timeout: 30_000 });
  await page.waitForFunction(() => Array.from(document.querySelectorAll('edge-recs')).every((el) => el.shadowRoot?.querySelector('li[part="card"]')), undefined, { timeout: 30_000 });
  await page.waitForLoadState('networkidle');
  return page.evaluate(() => (window as unknown as { edgeRecs: { state: { backend?: string } } }).edgeRecs.state.backend);
}

describe('a first visit', () => {
  const started = useWidgetShop();

  it(`loads the widget, model-ranked, with its loader, chunks, WASM, model and catalog in at most ${MAX_REQUESTS} requests, ${MAX_CHAIN} deep`, { timeout: 90_000 }, async () => {
    const { shop, browser } = started;
    const context = await browser.newContext();
    const page = await context.newPage();
    const seen = await record(await context.newCDPSession(page));
    const pageUrl = `${shop.shopUrl}/p/sku-03`;
    await page.goto(pageUrl);
    const backend = await modelRanked(page);
    await context.close();

    const edge = new URL(shop.edgeUrl).origin;
    const widget = [...seen.values()].filter((s) => new URL(s.url).origin === edge && s.method === 'GET');
    const byUrl = new Map(widget.map((s) => [s.url, s]));
    const chain = Math.max(...widget.map((s) => depth(s.url, byUrl, pageUrl)));
    const kinds = new Map<string, { n: number; wire: number; body: number }>();
    for (const s of widget) {
      const k = kind(new URL(s.url), s.method);
      const t = kinds.get(k) ?? { n: 0, wire: 0, body: 0 };
      kinds.set(k, { n: t.n + 1, wire: t.wire + s.wire, body: t.body + s.body });
    }
    const total = [...kinds.values()].reduce((a, t) => ({ n: a.n + t.n, wire: a.wire + t.wire, body: a.body + t.body }), { n: 0, wire: 0, body: 0 });
    const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;
    console.log(
      [
        `first visit on ${backend}: ${total.n} requests to the widget's server, ${kb(total.wire)} received, ${kb(total.body)} of bodies; longest request chain ${chain}`,
        ...[...kinds].map(([k, t]) => `  ${k}: ${t.n} requests, ${kb(t.wire)} received, ${kb(t.body)} body`),
        ...widget.map((s) => `  ${depth(s.url, byUrl, pageUrl)} ${s.url.slice(edge.length)} ${s.body} ← ${s.parent?.slice(s.parent.startsWith(edge) ? edge.length : 0) ?? '?'}`),
      ].join('\n'),
    );

    expect(backend).toBe('wasm');
    expect(kinds.get('wasm')?.n, 'one WASM binary per visit').toBe(1);
    const goal = [...kinds].filter(([k]) => GOAL_KINDS.has(k)).reduce((n, [, t]) => n + t.n, 0);
    expect(goal, 'loader, chunks, WASM, model and catalog').toBeLessThanOrEqual(MAX_REQUESTS);
    expect(kinds.get('chunk')?.n, 'chunks: the engine, its shared attribution rules, tfjs with the WASM backend').toBeLessThanOrEqual(3);
    expect([...kinds.keys()].filter((k) => !GOAL_KINDS.has(k)), 'no other kind of request').toEqual(['GET /v1/popular']);
    expect(chain, 'longest chain of requests').toBeLessThanOrEqual(MAX_CHAIN);
  });

  describe('on a GPU backend', () => {
    let gpu: Awaited<ReturnType<typeof launchChromium>> | undefined;
    afterAll(async () => gpu?.close());

    it('loads its backend as one more lazy chunk, beside tfjs, and no WASM binary', { timeout: 90_000 }, async () => {
      const { shop } = started;
      gpu = await launchChromium(SOFTWARE_GPU_ARGS);
      shop.page({ attributes: 'data-backend="webgl"' });
      try {
        const context = await gpu.newContext();
        const page = await context.newPage();
        const urls: string[] = [];
        page.on('request', (r) => void (r.url().startsWith(shop.edgeUrl) && urls.push(new URL(r.url()).pathname)));
        await page.goto(`${shop.shopUrl}/`);
        expect(await modelRanked(page)).toBe('webgl');
        await context.close();
        const chunks = urls.filter((u) => u.includes('/chunks/')).map((u) => u.replace(/^.*\/chunks\/|-[\w-]+\.js$/g, ''));
        expect(chunks.sort()).toEqual(['app', 'attribution', 'dist', 'tfjs']);
        expect(urls.filter((u) => u.endsWith('.wasm'))).toEqual([]);
      } finally {
        shop.page({ attributes: '' });
      }
    });
  });
});
