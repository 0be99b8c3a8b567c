/**
 * A merchant's shop for the widget's Chromium tests (`widget/*.chromium.test.ts`), on loopback: a shop
 * origin serving server-rendered pages (home and product pages, or a single-page app shell whose router
 * reads `href` in a document click listener, as `demo/app/index.ts` does) with the README's cross-origin
 * script tag and pinned key, and a separate edge-server origin running the real `createApp` with the
 * production widget build (`dist/`, as it was when the shop started: `widget-snapshot.ts`), a signed model
 * and the catalog. Federated learning is off unless asked for. Nothing of ours is mocked.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from './chromium.ts';
import { buildArtifact, type ArtifactInput } from '../../core/artifact/artifact.ts';
import type { NextSteps } from '../../core/artifact/next-steps.ts';
import { generateKeyFile } from '../../core/artifact/signing.ts';
import { signCatalog } from '../../core/catalog-signature.ts';
import type { Catalog, Product } from '../../core/catalog.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { initWeights } from '../../core/model/weights.ts';
import { createApp } from '../../edge-server/app.ts';
import { catalogJson, createMemoryCatalog } from '../../edge-server/catalog/store.ts';
import { createFederation } from '../../edge-server/federated/federation.ts';
import { createAdmission } from '../../edge-server/federated/admission.ts';
import { nodeRsaRaw } from '../../edge-server/adapters/node/rsa-raw.ts';
import { memoryRoundStore } from '../../edge-server/federated/store.ts';
import { createMemoryStorage } from '../../edge-server/models/memory-storage.ts';
import { publishArtifact } from '../../edge-server/models/registry.ts';
import { listen } from './listen.ts';
import { snapshotWidget } from './widget-snapshot.ts';

export const DIST = join(fileURLToPath(new URL('../..', import.meta.url)), 'dist');
export const ADMIN_TOKEN = 'widget-shop-admin-token-0123456789';

const CATEGORIES = ['Beauty > Skin care', 'Beauty > Hair', 'Kitchen > Knives', 'Home > Candles'];
/** On the shop's origin (catalog images are http(s) only, `core/catalog.ts` `catalogUrl`). */
const IMAGE = '/img.svg';
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>';

/** Forty products `sku-00`..`sku-39`, links on the shop's origin. */
export const PRODUCTS: Product[] = Array.from({ length: 40 }, (_, i) => {
  const id = `sku-${String(i).padStart(2, '0')}`;
  return { id, title: `Product ${i}`, link: `/p/${id}`, image_link: IMAGE, price: 10 + i, currency: 'EUR', availability: 'in_stock', product_type: CATEGORIES[i % CATEGORIES.length]! };
});
/** What the model was trained on: all but the last four products, which came into the catalog later. */
const MODEL_ITEMS = PRODUCTS.slice(0, 36).map((p) => p.id);
/** Products in the catalog that the model has never seen. */
export const NEW_ITEMS = PRODUCTS.slice(36).map((p) => p.id);
/**
 * The model's chosen-next table (`next-steps.json`): after `sku-03`, shoppers chose the odd-numbered
 * products; after nothing else. So a row ranked after `sku-03` holds cards with and without that evidence.
 */
const CHOSEN_NEXT: NextSteps = {
  window: 1,
  minUsers: 5,
  perItem: 20,
  next: new Map([['sku-03', MODEL_ITEMS.filter((id, i) => i % 2 === 1 && id !== 'sku-03')]]),
};

const CATALOG: Catalog = { updatedAt: '2026-01-01T00:00:00.000Z', products: PRODUCTS };
const MODEL: ModelConfig = { numItems: MODEL_ITEMS.length, dim: 8, blocks: 1, heads: 1, maxLen: 10 };

/**
 * `mpa`: server-rendered pages, links followed by the browser. `spa-bubble` / `spa-capture`: one shell
 * whose router listens for clicks on `document` (bubble or capture phase), reads the link's `href`
 * from `composedPath()` (cards are links in open shadow roots), records it in `window.__routed`,
 * cancels the navigation and renders the product itself after `history.pushState`.
 */
export type ShopMode = 'mpa' | 'spa-bubble' | 'spa-capture';

export interface WidgetShopOptions {
  /** Federated learning on the edge server (`POST /v1/updates`). Default off. */
  federated?: boolean;
  /** Serve the catalog signed by the shop's key (`edge-recs catalog upload --sign-key`). Default unsigned. */
  signedCatalog?: boolean;
  /** The catalog's products instead of `PRODUCTS` (e.g. some on sale); the model knows the ids of `PRODUCTS`. */
  products?: Product[];
  /** The model instead of the default one (e.g. one with content features): what of `buildArtifact`'s input differs. */
  model?: Partial<Pick<ArtifactInput, 'config' | 'itemIds' | 'weights' | 'features' | 'coldItems' | 'nextSteps'>>;
}

export interface WidgetShop {
  shopUrl: string;
  edgeUrl: string;
  /** `METHOD path status` of every request the edge server answered, in order. */
  log: string[];
  /** The body of every `POST /v1/metrics` the edge server accepted, in order (batches sent as a page unloads too). */
  metrics: string[];
  /** How the shop serves its pages from now on. */
  mode(mode: ShopMode): void;
  /** Replaces the catalog the edge server serves (as `edge-recs catalog upload` would): a product added after training. */
  setProducts(products: Product[]): Promise<void>;
  /**
   * Where pages load the widget from (and so, by default, its data) from now on, e.g. a proxy in front of
   * `edgeUrl`; extra attributes for the script tag (e.g. `data-require-signed-catalog`).
   */
  page(options: { edgeUrl?: string; attributes?: string; /** Markup in place of the rows (server-rendered pages). */ rows?: string; /** More CSS for the page. */ style?: string; /** A whole page around the script tag (a static README-snippet page), instead of the shop's own pages. */ document?: (scriptTag: string) => string }): void;
  stop(): Promise<void>;
}

const ROWS = (itemId: string): string =>
  itemId
    ? `<edge-recs id="similar" placement="similar" item-id="${itemId}" count="4"></edge-recs>
<edge-recs id="for-you" placement="for-you" item-id="${itemId}" count="4"></edge-recs>`
    : `<edge-recs id="for-you" placement="for-you" count="4"></edge-recs>
<edge-recs id="trending" placement="trending" count="4"></edge-recs>`;

/** The single-page app's router and renderer (plain JS in the page). */
const SPA_SCRIPT = (capture: boolean): string => `<script>
  window.__routed = [];
  const render = () => {
    const m = /^\\/p\\/([^/]+)$/.exec(location.pathname);
    const id = m ? decodeURIComponent(m[1]) : '';
    document.getElementById('product').textContent = id;
    document.getElementById('rows').innerHTML = ${JSON.stringify('')} + (id ? ${JSON.stringify(ROWS('@@'))}.replaceAll('@@', id) : ${JSON.stringify(ROWS(''))});
    if (id) (window.dataLayer ||= []).push({ event: 'view_item', ecommerce: { items: [{ item_id: id }] } });
  };
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const a = event.composedPath().find((n) => n instanceof HTMLAnchorElement);
    if (!a) return;
    const url = new URL(a.href);
    if (url.origin !== location.origin) return;
    window.__routed.push(a.href);
    event.preventDefault();
    history.pushState(null, '', url.pathname);
    render();
  }, ${capture});
  addEventListener('popstate', render);
  addEventListener('DOMContentLoaded', render);
</script>`;

/** Starts the shop and its edge server. */
export async function startWidgetShop(options: WidgetShopOptions = {}): Promise<WidgetShop> {
  const key = await generateKeyFile();
  const trusted = [{ keyId: key.keyId, publicKey: key.publicKey }];
  let mode: ShopMode = 'mpa';
  let edgeUrl = '';
  let pageEdgeUrl: string | undefined;
  let attributes = '';
  let rows: string | undefined;
  let style = '';
  /** A whole page around the script tag (a static README-snippet page), instead of the shop's own pages. */
  let documentOf: ((scriptTag: string) => string) | undefined;

  const page = (path: string): string => {
    const m = /^\/p\/([^/]+)$/.exec(path);
    const itemId = m ? decodeURIComponent(m[1]!) : '';
    const spa = mode !== 'mpa';
    const script = `<script type="module" src="${pageEdgeUrl ?? edgeUrl}/widget/edge-recs.js" data-model="default" data-public-key="${trusted.map((k) => `${k.keyId}:${k.publicKey}`).join(' ')}" ${attributes}></script>`;
    if (documentOf) return documentOf(script);
    const view = itemId && !spa ? `<script>(window.dataLayer ||= []).push({ event: 'view_item', ecommerce: { items: [{ item_id: ${JSON.stringify(itemId)} }] } });</script>` : '';
    return `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
${script}
${view}${spa ? SPA_SCRIPT(mode === 'spa-capture') : ''}
<style>edge-recs { display: block; width: 760px; margin: 8px 0 }${style}</style>
</head><body><h1 id="product">${spa ? '' : itemId}</h1>
<div id="rows">${spa ? '' : rows ?? ROWS(itemId)}</div>
<p id="away" style="height: 40px">Somewhere else on the page</p>
</body></html>`;
  };
  const shopApp = new Hono();
  shopApp.get('/favicon.ico', (c) => c.body(null, 204));
  shopApp.get(IMAGE, (c) => c.body(SVG, 200, { 'Content-Type': 'image/svg+xml' }));
  shopApp.get('*', (c) => c.html(page(c.req.path), 200, { 'Cache-Control': 'no-store' }));
  const shop = await listen(shopApp);

  const storage = createMemoryStorage();
  const artifact = await buildArtifact(
    { name: 'default', version: 'v1', config: MODEL, itemIds: MODEL_ITEMS, weights: initWeights(MODEL, 7), quantization: 'float32', nextSteps: CHOSEN_NEXT, createdAt: '2026-01-01T00:00:00.000Z', ...options.model },
    key,
  );
  await publishArtifact(storage, artifact, { trusted });
  const catalog = createMemoryCatalog();
  const served = options.products ? { ...CATALOG, products: options.products } : CATALOG;
  await catalog.put(catalogJson(options.signedCatalog ? await signCatalog(served, key) : served));
  let federated;
  if (options.federated) {
    const fedKey = await generateKeyFile();
    federated = {
      federation: createFederation({ storage, rounds: memoryRoundStore(), signingKey: fedKey, cohort: 1000, maxUpdatesPerDay: 1000 }),
      // Real admission tokens; every browser context of a test is one more device on this one loopback address.
      admission: createAdmission({ rsaRaw: nodeRsaRaw, tokensPerDay: 100 }),
    };
  }
  // The build as it is now, in memory: a teammate's `npm run build` during the test empties `dist/`.
  const widget = await snapshotWidget(DIST);
  const app = createApp({ storage, trustedKeys: trusted, widget, catalog, allowedOrigins: [shop.url], adminTokens: [ADMIN_TOKEN], federated });
  const log: string[] = [];
  const metrics: string[] = [];
  const edgeApp = new Hono();
  edgeApp.all('*', async (c) => {
    const body = c.req.method === 'POST' && c.req.path === '/v1/metrics' ? c.req.raw.clone().text() : undefined;
    const res = await app.fetch(c.req.raw);
    log.push(`${c.req.method} ${c.req.path} ${res.status}`);
    if (body && res.status === 202) metrics.push(await body);
    return res;
  });
  const edge = await listen(edgeApp);
  edgeUrl = edge.url;
  return {
    shopUrl: shop.url,
    edgeUrl,
    log,
    metrics,
    mode: (m) => void (mode = m),
    async setProducts(products) {
      const next = { ...CATALOG, updatedAt: new Date().toISOString(), products };
      await catalog.put(catalogJson(options.signedCatalog ? await signCatalog(next, key) : next));
    },
    page(o) {
      if (o.edgeUrl !== undefined) pageEdgeUrl = o.edgeUrl;
      if (o.attributes !== undefined) attributes = o.attributes;
      if (o.rows !== undefined) rows = o.rows;
      if (o.style !== undefined) style = o.style;
      if ('document' in o) documentOf = o.document;
    },
    async stop() {
      await edge.close();
      await shop.close();
    },
  };
}

/**
 * A widget shop and a Chromium for the tests of one file: started before them (`beforeAll`), stopped after
 * them. Read `shop` and `browser` from the returned object in tests and hooks.
 */
export function useWidgetShop(options: WidgetShopOptions = {}): { readonly shop: WidgetShop; readonly browser: Browser } {
  const started = {} as { shop: WidgetShop; browser: Browser };
  beforeAll(async () => {
    started.shop = await startWidgetShop(options);
    started.browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await started.browser?.close();
    await started.shop?.stop();
  });
  return started;
}
