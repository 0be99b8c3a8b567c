/**
 * Compression on workerd (Miniflare): the Worker bundled as `wrangler deploy` would, with a widget build
 * that has `.br` / `.gz` copies. Read over a plain socket (`node:http`), since `dispatchFetch` decodes
 * bodies and drops `Content-Encoding`. Build copies must arrive byte for byte (`encodeBody: 'manual'`),
 * and everything else encoded by the runtime must decode to the identity bytes.
 *
 * Miniflare's entry worker shows the Worker `Accept-Encoding: br, gzip` whatever the client sent and then
 * encodes for the client itself, as Cloudflare's edge does; so what is checked here is what reaches the
 * client: a coding it accepts, and the same content.
 */
import { get } from 'node:http';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signer } from '../../../test/support/edge-server/fixtures.ts';
import { fetchFrom, startWorker, workerFixture, writeFiles } from '../../../test/support/edge-server/workerd.ts';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const TOKEN = 'workers-compress-admin-token-0123456789';
const LOADER = `export const rows = [${Array.from({ length: 400 }, (_, i) => `"card-${i}"`).join(',')}];\n`;
const CHUNK = `export function rank(xs) { return xs.map((x, i) => ({ x, score: i * 0.5 })); }\n`.repeat(60);
const CATALOG = {
  updatedAt: '2026-03-01T00:00:00.000Z',
  products: Array.from({ length: 80 }, (_, i) => ({ id: `sku-${i}`, title: `Cream ${i}`, link: `/p/${i}`, image_link: `/i/${i}`, price: 9.5 + i, currency: 'EUR', availability: 'in_stock', product_type: 'Beauty' })),
};
const LOADER_BR = brotliCompressSync(LOADER);
const LOADER_GZ = gzipSync(LOADER, { level: 9 });

const worker = workerFixture();
let mf: Miniflare;
let url: URL;

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function raw(path: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    get(new URL(path, url), { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

function decoded(res: Raw): string {
  const coding = res.headers['content-encoding'];
  if (coding === 'br') return brotliDecompressSync(res.body).toString();
  if (coding === 'gzip') return gunzipSync(res.body).toString();
  expect(coding).toBeUndefined();
  return res.body.toString();
}

beforeAll(async () => {
  const assets = await mkdtemp(join(tmpdir(), 'edge-recs-worker-compress-'));
  await writeFiles(assets, { 'edge-recs.js': LOADER, 'chunks/rank-Ab12Cd34.js': CHUNK });
  await writeFile(join(assets, 'edge-recs.js.br'), LOADER_BR);
  await writeFile(join(assets, 'edge-recs.js.gz'), LOADER_GZ);
  const s = await signer();
  mf = await startWorker({ script: worker.script(), vars: { TRUSTED_KEYS: JSON.stringify(s.trusted), ADMIN_TOKENS: TOKEN }, assetsDir: assets });
  url = await mf.ready;
  const put = await fetchFrom(mf, '/v1/admin/catalog', { method: 'PUT', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(CATALOG) });
  expect(put.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
});

describe('workerd: compressed answers', { timeout: 60_000 }, () => {
  it('sends the build\'s br copy of a widget file byte for byte, and the same content to gzip and identity clients', async () => {
    const br = await raw('/widget/edge-recs.js', { 'Accept-Encoding': 'br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.body).toEqual(LOADER_BR);
    expect(br.headers.vary).toContain('Accept-Encoding');
    // The Worker was told `br, gzip` and sent its br copy; the entry (Cloudflare's edge in production)
    // re-encoded it for these clients.
    const gz = await raw('/widget/edge-recs.js', { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(decoded(gz)).toBe(LOADER);
    const identity = await raw('/widget/edge-recs.js', { 'Accept-Encoding': 'identity' });
    expect(decoded(identity)).toBe(LOADER);
    const again = await raw('/widget/edge-recs.js', { 'Accept-Encoding': 'br', 'If-None-Match': br.headers.etag as string });
    expect(again.status).toBe(304);
    expect(again.headers.etag).toBe(br.headers.etag);
    expect(again.headers.vary).toContain('Accept-Encoding');
  });

  it.each([
    ['a widget file without build copies', '/widget/chunks/rank-Ab12Cd34.js', CHUNK],
    ['the catalog', '/v1/catalog', JSON.stringify(CATALOG)],
  ])('encodes %s for a client that accepts br or gzip, and sends identity to one that accepts neither', async (_, path, expected) => {
    for (const accept of ['gzip, deflate, br', 'gzip']) {
      const res = await raw(path, { 'Accept-Encoding': accept });
      expect(res.status, accept).toBe(200);
      expect(accept.split(', '), accept).toContain(res.headers['content-encoding']);
      expect(res.headers.vary, accept).toContain('Accept-Encoding');
      expect(res.body.byteLength, accept).toBeLessThan(expected.length / 2);
      expect(decoded(res), accept).toBe(expected);
    }
    const identity = await raw(path, { 'Accept-Encoding': 'identity' });
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(decoded(identity)).toBe(expected);
  });

  it('revalidates the catalog with its content ETag, strong or weak', async () => {
    const res = await raw('/v1/catalog', { 'Accept-Encoding': 'identity' });
    const tagged = res.headers.etag as string;
    const strong = tagged;
    // Weak: the Worker compressed it (it is always told `br, gzip`) and the entry decoded it for this client.
    expect(strong).toMatch(/^(W\/)?"[0-9a-f]{64}"$/);
    for (const tag of [strong.replace(/^W\//, ''), `W/${strong.replace(/^W\//, '')}`]) {
      const again = await raw('/v1/catalog', { 'Accept-Encoding': 'gzip, br', 'If-None-Match': tag });
      expect(again.status, tag).toBe(304);
      expect(again.headers.vary, tag).toContain('Accept-Encoding');
    }
  });
});
