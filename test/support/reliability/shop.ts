/**
 * A merchant's setup on loopback, for the Chromium reliability tests: a shop origin serving pages with
 * the README's script tag, and a separate edge-server origin running the real `createApp` (memory
 * storage, a signed model and a catalog published, CORS for the shop) with the production widget build
 * (`dist/` as it was when the shop started, held in memory: `test/support/widget-snapshot.ts`). The edge
 * server can be switched, per request, to serve a damaged artifact, to be slow, or be stopped outright —
 * the faults the widget must survive.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import type { Artifact } from '../../../core/artifact/artifact.ts';
import { concatBytes, sha256Hex } from '../../../core/artifact/bytes.ts';
import type { TrustedKey } from '../../../core/artifact/signing.ts';
import { createApp } from '../../../edge-server/app.ts';
import { catalogJson, createMemoryCatalog } from '../../../edge-server/catalog/store.ts';
import { createFederation } from '../../../edge-server/federated/federation.ts';
import { memoryRoundStore } from '../../../edge-server/federated/store.ts';
import { createAdmission } from '../../../edge-server/federated/admission.ts';
import { nodeRsaRaw } from '../../../edge-server/adapters/node/rsa-raw.ts';
import { createMemoryStorage } from '../../../edge-server/models/memory-storage.ts';
import { signer } from '../edge-server/fixtures.ts';
import { publishArtifact } from '../../../edge-server/models/registry.ts';
import { listen, type Listening } from '../listen.ts';
import { snapshotWidget } from '../widget-snapshot.ts';
import { ITEM_IDS, type Damaged } from '../../reliability/mutations.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DIST = join(ROOT, 'dist');

const SHOP_CATALOG = {
  updatedAt: '2026-01-01T00:00:00.000Z',
  products: ITEM_IDS.map((id, i) => ({
    id,
    title: `Product ${id}`,
    link: `/p/${id}`,
    image_link: `/img/${id}.svg`,
    price: 10 + i,
    currency: 'EUR',
    availability: 'in_stock',
    product_type: i % 2 ? 'Home > Kitchen' : 'Beauty > Skin care',
  })),
};

export interface PageOptions {
  /** Sent as the page's `Content-Security-Policy`; `{nonce}` is replaced by the page's nonce. */
  csp?: string;
  /** `integrity=` on the script tag. */
  integrity?: string;
  /** More script-tag attributes, e.g. `data-backend="cpu"`. */
  attributes?: string;
  /** Extra markup at the end of the body. */
  body?: string;
}

export interface Shop {
  shopUrl: string;
  edgeUrl: string;
  /** The SRI value (`sha384-…`) of the loader the edge server serves. */
  loaderIntegrity: string;
  /** The loader's SRI value as the build publishes it (`dist/integrity.json`); null where it wrote none. */
  publishedIntegrity: string | null;
  /** Serve this instead of the published artifact (manifest and blobs by the manifest's hashes). */
  damage(d: Damaged | null): void;
  /** Delay every `/v1/*` answer of the edge server by `ms` (0: none). */
  slow(ms: number): void;
  /**
   * Serves `/v1/catalog` with `Cache-Control: no-cache` from now on: the browser's HTTP cache may not answer
   * for it without the server, as once its 60 s lifetime has passed.
   */
  expireCatalog(): void;
  /** Stops the edge server: its port refuses connections from now on. */
  stopEdge(): Promise<void>;
  /** Sets the page the shop serves at `/` (and any `/p/*` path). */
  page(options: PageOptions): void;
  /** `METHOD path status` of every request the edge server answered, in order. */
  log: string[];
  stop(): Promise<void>;
}

/** `keyId:base64` as `data-public-key` takes it. */
const publicKeyAttribute = (keys: readonly TrustedKey[]): string => keys.map((k) => `${k.keyId}:${k.publicKey}`).join(' ');

export async function startShop(artifact: Artifact, trusted: TrustedKey[]): Promise<Shop> {
  // The build as it is now, in memory: a teammate's `npm run build` during the test empties `dist/`.
  const widget = await snapshotWidget(DIST);
  let pageOptions: PageOptions = {};
  let damaged: Damaged | null = null;
  let delayMs = 0;
  let catalogExpired = false;
  let edgeUrl = '';

  const shopApp = new Hono();
  shopApp.get('/img/*', (c) => c.body('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', 200, { 'Content-Type': 'image/svg+xml' }));
  shopApp.get('*', (c) => {
    const nonce = randomBytes(16).toString('base64');
    const o = pageOptions;
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<script type="module" nonce="${nonce}" src="${edgeUrl}/widget/edge-recs.js" data-model="default" data-public-key="${publicKeyAttribute(trusted)}"${o.integrity ? ` integrity="${o.integrity}" crossorigin="anonymous"` : ''} ${o.attributes ?? ''}></script>
</head><body><h1>Shop</h1>
<edge-recs placement="for-you" count="4"></edge-recs>
${o.body ?? ''}</body></html>`;
    const headers: Record<string, string> = { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' };
    if (o.csp) headers['Content-Security-Policy'] = o.csp.replaceAll('{nonce}', nonce).replaceAll('{edge}', edgeUrl);
    return c.body(html, 200, headers);
  });
  const shop = await listen(shopApp);

  const storage = createMemoryStorage();
  await publishArtifact(storage, artifact, { trusted });
  const catalog = createMemoryCatalog();
  await catalog.put(catalogJson(SHOP_CATALOG));
  // Federated learning on, so the widget's training worker runs and uploads as in production.
  const { key: fedKey } = await signer();
  const federation = createFederation({ storage, rounds: memoryRoundStore(), signingKey: fedKey, cohort: 1000, maxUpdatesPerDay: 1000 });
  // Real admission tokens; every browser context of a test is one more device on this one loopback address.
  const admission = createAdmission({ rsaRaw: nodeRsaRaw, tokensPerDay: 100 });
  const app = createApp({ storage, trustedKeys: trusted, widget, catalog, allowedOrigins: [shop.url], federated: { federation, admission } });
  const log: string[] = [];

  const edgeApp = new Hono();
  edgeApp.use('*', async (c, next) => {
    await next();
    log.push(`${c.req.method} ${c.req.path} ${c.res.status}`);
  });
  edgeApp.use('/v1/catalog', async (c, next) => {
    await next();
    if (!catalogExpired) return;
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set('Cache-Control', 'no-cache');
  });
  edgeApp.use('/v1/*', async (c, next) => {
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    return next();
  });
  edgeApp.all('*', async (c) => {
    const path = c.req.path;
    if (damaged && c.req.method === 'GET') {
      const cors = { 'Access-Control-Allow-Origin': shop.url, 'Access-Control-Expose-Headers': 'ETag, X-Model-Version' };
      if (path === '/v1/models/default/manifest') {
        const body = JSON.stringify(damaged.manifest);
        return c.body(body, 200, { ...cors, 'Content-Type': 'application/json', ETag: `"${await sha256Hex(new TextEncoder().encode(body))}"`, 'Cache-Control': 'no-cache' });
      }
      // Blobs by the hashes the (damaged) manifest names, holding the (damaged) files' bytes: one, or a
      // batch (`/v1/blobs?sha256=a,b`, their bytes one after another) as the widget asks for a model's files.
      const m = damaged.manifest as { items?: { sha256: string; path: string }; shards?: Array<{ sha256: string; path: string }> };
      const bytesOf = (sha: string): Uint8Array | undefined => {
        const ref = [m.items, ...(m.shards ?? [])].find((r) => r?.sha256 === sha);
        return ref && damaged!.files.get(ref.path);
      };
      const one = /^\/v1\/blobs\/([0-9a-f]{64})$/.exec(path);
      const many = path === '/v1/blobs' ? (c.req.query('sha256') ?? '').split(',') : [];
      const parts = one ? [bytesOf(one[1]!)] : many.map(bytesOf);
      if (parts.length > 0 && parts.every((b) => b !== undefined)) {
        return c.body(concatBytes(parts as Uint8Array[]), 200, { ...cors, 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-cache' });
      }
    }
    return app.fetch(c.req.raw);
  });
  let edge: Listening | null = await listen(edgeApp);
  edgeUrl = edge.url;

  const closeEdge = async (): Promise<void> => {
    const e = edge;
    edge = null;
    if (e) await e.close();
  };
  return {
    shopUrl: shop.url,
    edgeUrl,
    loaderIntegrity: widget.integrity,
    publishedIntegrity: widget.publishedIntegrity,
    damage: (d) => void (damaged = d),
    slow: (ms) => void (delayMs = ms),
    expireCatalog: () => void (catalogExpired = true),
    stopEdge: closeEdge,
    page: (o) => void (pageOptions = o),
    log,
    async stop() {
      await closeEdge();
      await shop.close();
    },
  };
}
