/**
 * Compression on Node: `createApp` with `nodeCompressor` and the widget from a build directory with its
 * `.br` / `.gz` copies, called in process and, once, over a real socket. Every compressed answer must
 * decode to the identity answer's bytes, with its coding, `Vary` and an ETag of its own.
 */
import { get } from 'node:http';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createApp } from '../../app.ts';
import { catalogJson, createMemoryCatalog } from '../../catalog/store.ts';
import { createMemoryStorage } from '../../models/memory-storage.ts';
import { nodeCompressor } from './compressor.ts';
import { serveNode } from './serve.ts';
import { widgetDir } from './widget-dir.ts';

const SHOP = 'https://shop.example';
const LOADER = `export const rows = [${Array.from({ length: 400 }, (_, i) => `"card-${i}"`).join(',')}];\n`;
/** A hashed chunk the build left without compressed copies: compressed as it is served. */
const CHUNK = `export function rank(xs) { return xs.map((x, i) => ({ x, score: i * 0.5 })); }\n`.repeat(60);
const TINY = 'export {};';
const CATALOG = {
  updatedAt: '2026-03-01T00:00:00.000Z',
  products: Array.from({ length: 80 }, (_, i) => ({ id: `sku-${i}`, title: `Cream ${i}`, link: `/p/${i}`, image_link: `/i/${i}`, price: 9.5 + i, currency: 'EUR', availability: 'in_stock' })),
};

function decode(body: Uint8Array, encoding: string | null): Uint8Array {
  if (encoding === 'br') return new Uint8Array(brotliDecompressSync(body));
  if (encoding === 'gzip') return new Uint8Array(gunzipSync(body));
  expect(encoding).toBeNull();
  return body;
}

const bytesOf = async (res: Response): Promise<Uint8Array> => new Uint8Array(await res.arrayBuffer());

let dir: string;
let app: Hono;
let blobSha: string;
const storage = createMemoryStorage();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-compress-'));
  await mkdir(join(dir, 'chunks'));
  await writeFile(join(dir, 'edge-recs.js'), LOADER);
  // As the build writes them (vite.config.ts `precompressed`).
  await writeFile(join(dir, 'edge-recs.js.br'), brotliCompressSync(LOADER));
  await writeFile(join(dir, 'edge-recs.js.gz'), gzipSync(LOADER, { level: 9 }));
  await writeFile(join(dir, 'chunks/rank-Ab12Cd34.js'), CHUNK);
  await writeFile(join(dir, 'chunks/tiny-Zz98Yy76.js'), TINY);
  const catalog = createMemoryCatalog();
  await catalog.put(catalogJson(CATALOG));
  blobSha = await storage.blobs.put(new Uint8Array(randomBytes(4096)));
  app = createApp({ storage, trustedKeys: [], widget: widgetDir(dir), catalog, allowedOrigins: [SHOP], compressor: nodeCompressor });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Node: answers compressed after Accept-Encoding', () => {
  const paths = [
    ['the loader (build copies)', '/widget/edge-recs.js'],
    ['a chunk without build copies', '/widget/chunks/rank-Ab12Cd34.js'],
    ['the catalog', '/v1/catalog'],
  ] as const;

  it.each(paths)('sends %s as br, gzip or identity, each decoding to the identity bytes', async (_, path) => {
    const identity = await app.request(path, { headers: { Origin: SHOP } });
    expect(identity.status).toBe(200);
    expect(identity.headers.get('Content-Encoding')).toBeNull();
    expect(identity.headers.get('Vary')).toContain('Accept-Encoding');
    const plain = await bytesOf(identity);
    const etags = new Set([identity.headers.get('ETag')]);
    for (const [accept, coding] of [['gzip, deflate, br, zstd', 'br'], ['gzip, deflate', 'gzip'], ['br;q=0, *;q=0.1', 'gzip'], ['identity', null], ['br;q=0, gzip;q=0', null]] as const) {
      const res = await app.request(path, { headers: { 'Accept-Encoding': accept, Origin: SHOP } });
      expect(res.status, accept).toBe(200);
      expect(res.headers.get('Content-Encoding'), accept).toBe(coding);
      expect(res.headers.get('Vary'), accept).toContain('Accept-Encoding');
      // CORS and the security headers are still there on a rebuilt answer.
      expect(res.headers.get('Access-Control-Allow-Origin'), accept).toBe(SHOP);
      expect(res.headers.get('X-Content-Type-Options'), accept).toBe('nosniff');
      const body = await bytesOf(res);
      if (coding) expect(body.byteLength, accept).toBeLessThan(plain.byteLength / 2);
      expect(decode(body, coding), accept).toEqual(plain);
      etags.add(res.headers.get('ETag'));
    }
    // identity, br and gzip each have their own ETag (or the identity one made weak).
    expect(etags.size).toBeGreaterThanOrEqual(2);
  });

  it.each(paths)('revalidates %s per encoding: 304 for the tag of the coding it would send', async (_, path) => {
    for (const accept of ['br', 'gzip', 'identity']) {
      const first = await app.request(path, { headers: { 'Accept-Encoding': accept } });
      const etag = first.headers.get('ETag')!;
      const again = await app.request(path, { headers: { 'Accept-Encoding': accept, 'If-None-Match': etag } });
      expect(again.status, accept).toBe(304);
      expect(again.headers.get('ETag'), accept).toBe(etag);
      expect(again.headers.get('Vary'), accept).toContain('Accept-Encoding');
      expect((await bytesOf(again)).byteLength).toBe(0);
    }
  });

  it('never confirms a precompressed copy in another coding: the gzip tag asked with br only gets the br bytes', async () => {
    const gz = await app.request('/widget/edge-recs.js', { headers: { 'Accept-Encoding': 'gzip' } });
    const res = await app.request('/widget/edge-recs.js', { headers: { 'Accept-Encoding': 'br', 'If-None-Match': gz.headers.get('ETag')! } });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Encoding')).toBe('br');
    expect(new TextDecoder().decode(decode(await bytesOf(res), 'br'))).toBe(LOADER);
  });

  it('keeps the catalog\'s content ETag: weak when compressed, strong for identity, both revalidating', async () => {
    const identity = await app.request('/v1/catalog');
    const br = await app.request('/v1/catalog', { headers: { 'Accept-Encoding': 'br' } });
    const strong = identity.headers.get('ETag')!;
    expect(strong).toMatch(/^"[0-9a-f]{64}"$/);
    expect(br.headers.get('ETag')).toBe(`W/${strong}`);
    const revalidated = await app.request('/v1/catalog', { headers: { 'Accept-Encoding': 'br', 'If-None-Match': `W/${strong}` } });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get('ETag')).toBe(`W/${strong}`);
  });

  it('leaves HEAD, tiny bodies, blobs and ranges uncompressed', async () => {
    const head = await app.request('/widget/edge-recs.js', { method: 'HEAD', headers: { 'Accept-Encoding': 'br' } });
    expect(head.status).toBe(200);
    expect(head.headers.get('Content-Encoding')).toBeNull();
    const tiny = await app.request('/widget/chunks/tiny-Zz98Yy76.js', { headers: { 'Accept-Encoding': 'br' } });
    expect(tiny.headers.get('Content-Encoding')).toBeNull();
    expect(tiny.headers.get('Vary')).toContain('Accept-Encoding');
    expect(await tiny.text()).toBe(TINY);
    const blob = await app.request(`/v1/blobs/${blobSha}`, { headers: { 'Accept-Encoding': 'br' } });
    expect(blob.status).toBe(200);
    expect(blob.headers.get('Content-Encoding')).toBeNull();
    expect(blob.headers.get('Vary') ?? '').not.toContain('Accept-Encoding');
    const range = await app.request(`/v1/blobs/${blobSha}`, { headers: { 'Accept-Encoding': 'br', Range: 'bytes=0-99' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('Content-Encoding')).toBeNull();
    const health = await app.request('/healthz', { headers: { 'Accept-Encoding': 'br' } });
    expect(health.headers.get('Content-Encoding')).toBeNull();
    expect(await health.json()).toEqual({ ok: true });
  });

  it('does not serve the build copies by their own names', async () => {
    expect((await app.request('/widget/edge-recs.js.br')).status).toBe(404);
    expect((await app.request('/widget/edge-recs.js.gz')).status).toBe(404);
  });

  it('sends the encoded bytes intact over a real socket', async () => {
    const server = await serveNode({ port: 0, hostname: '127.0.0.1', app });
    try {
      for (const [path, expected] of [['/widget/edge-recs.js', LOADER], ['/v1/catalog', JSON.stringify(CATALOG)]] as const) {
        const { headers, body } = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
          get(`${server.url}${path}`, { headers: { 'Accept-Encoding': 'gzip, br' } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (d: Buffer) => chunks.push(d));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          }).on('error', reject);
        });
        expect(headers['content-encoding'], path).toBe('br');
        expect(new TextDecoder().decode(decode(new Uint8Array(body), 'br')), path).toBe(expected);
      }
    } finally {
      await server.close();
    }
  });
});
