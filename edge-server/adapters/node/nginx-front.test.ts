import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../app.ts';
import { API_SECURITY_HEADERS } from '../../middleware/security.ts';
import { freePort } from '../../../test/support/free-port.ts';
import { expectError, memoryWidget } from '../../../test/support/edge-server/fixtures.ts';
import { nginxFrontConfig } from './nginx-front.ts';
import { nodeCompressor } from './compressor.ts';
import { catalogJson, createMemoryCatalog } from '../../catalog/store.ts';
import { serveNode, type NodeServer } from './serve.ts';
import { openDiskStorage } from './storage.ts';

const SHOP = 'https://shop.example';
/** Debian's nginx (`scripts/ensure-system-packages.mjs` installs it for `npm test`). */
const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

/** nginx in the foreground as one process (no master, so no switch to an unprivileged user). */
async function startNginx(dir: string, httpConfig: string): Promise<{ child: ChildProcess; errors: () => string }> {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `${name}_temp_path ${join(dir, name)};`).join('\n  ');
  await writeFile(join(dir, 'front.conf'), httpConfig);
  await writeFile(
    join(dir, 'nginx.conf'),
    `daemon off;\nmaster_process off;\npid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'error.log')} warn;\nevents {}\nhttp {\n  access_log off;\n  ${temp}\n  include ${join(dir, 'front.conf')};\n}\n`,
  );
  const check = spawnSync(NGINX, ['-t', '-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t refused the configuration:\n${check.stderr}`);
  let stderr = '';
  const child = spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, errors: () => stderr };
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await fetch(url).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing answers at ${url}`);
}

/**
 * Headers of the transport, not of the contract: framing (bodies are compared byte for byte; Node sends
 * no Content-Length on HEAD, nginx does), and nginx's Last-Modified, a validator Node does not send.
 */
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'server', 'last-modified', 'transfer-encoding', 'content-length']);

function contract(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (!TRANSPORT.has(name)) out[name] = value;
  });
  return out;
}

const CHUNK = 'export function rank(xs) { return xs.map((x, i) => ({ x, score: i * 0.5 })); }\n'.repeat(60);
const CATALOG = { updatedAt: '2026-03-01T00:00:00.000Z', products: Array.from({ length: 50 }, (_, i) => ({ id: `sku-${i}`, title: `Cream ${i}` })) };

/** A GET over a plain socket: the bytes as sent (fetch would decode them). */
function raw(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

const decode = (body: Buffer, coding: unknown): Buffer => (coding === 'br' ? brotliDecompressSync(body) : coding === 'gzip' ? gunzipSync(body) : body);

describe('nginx in front of the Node server (nginxFrontConfig)', () => {
  let dir: string;
  let node: NodeServer;
  let nginx: { child: ChildProcess; errors: () => string };
  let front: string;
  let sha: string;
  let bytes: Uint8Array;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-recs-nginx-front-'));
    const store = join(dir, 'store');
    const storage = await openDiskStorage(store);
    bytes = new Uint8Array(randomBytes(10_000));
    sha = await storage.blobs.put(bytes);
    const catalog = createMemoryCatalog();
    await catalog.put(catalogJson(CATALOG));
    const widget = memoryWidget({ 'edge-recs.js': 'export {};', 'chunks/rank-Ab12Cd34.js': CHUNK });
    const app = createApp({ storage, trustedKeys: [], widget, catalog, allowedOrigins: [SHOP], compressor: nodeCompressor });
    node = await serveNode({ port: 0, hostname: '127.0.0.1', app });
    const port = await freePort();
    await mkdir(join(dir, 'nginx'));
    const config = nginxFrontConfig({ storeDir: store, upstream: new URL(node.url).host, listen: `127.0.0.1:${port}`, allowedOrigins: [SHOP], maxBodyBytes: 4096 });
    nginx = await startNginx(join(dir, 'nginx'), config);
    front = `http://127.0.0.1:${port}`;
    await waitFor(`${front}/healthz`);
  });

  afterAll(async () => {
    nginx?.child.kill('SIGTERM');
    await node?.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  const cases: Array<[string, () => { path: string; init?: RequestInit }]> = [
    ['a blob to a listed origin', () => ({ path: `/v1/blobs/${sha}`, init: { headers: { Origin: SHOP } } })],
    ['a blob to another origin', () => ({ path: `/v1/blobs/${sha}`, init: { headers: { Origin: 'https://other.example' } } })],
    ['a blob to the listed origin spelled in capitals (no grant: origins match byte for byte)', () => ({ path: `/v1/blobs/${sha}`, init: { headers: { Origin: 'https://SHOP.example' } } })],
    ['a blob same-origin', () => ({ path: `/v1/blobs/${sha}` })],
    ['a blob, HEAD', () => ({ path: `/v1/blobs/${sha}`, init: { method: 'HEAD', headers: { Origin: SHOP } } })],
    ['a range', () => ({ path: `/v1/blobs/${sha}`, init: { headers: { Origin: SHOP, Range: 'bytes=100-1099' } } })],
    ['a suffix range', () => ({ path: `/v1/blobs/${sha}`, init: { headers: { Range: 'bytes=-50' } } })],
    ['a range past the end (416, answered by Node)', () => ({ path: `/v1/blobs/${sha}`, init: { headers: { Origin: SHOP, Range: 'bytes=20000-' } } })],
    ['several ranges (the whole blob)', () => ({ path: `/v1/blobs/${sha}`, init: { headers: { Range: 'bytes=0-9,20-29' } } })],
    ['If-None-Match with the blob\'s ETag (304)', () => ({ path: `/v1/blobs/${sha}`, init: { headers: { Origin: SHOP, 'If-None-Match': `"${sha}"` } } })],
    ['If-None-Match, weak, in a list (304)', () => ({ path: `/v1/blobs/${sha}`, init: { headers: { 'If-None-Match': `"abc", W/"${sha}"` } } })],
    ['If-None-Match: * (304)', () => ({ path: `/v1/blobs/${sha}`, init: { headers: { 'If-None-Match': '*' } } })],
    ['If-None-Match with another ETag (200)', () => ({ path: `/v1/blobs/${sha}`, init: { headers: { 'If-None-Match': `"${'0'.repeat(64)}"` } } })],
    ['an unknown blob (404 from Node)', () => ({ path: `/v1/blobs/${'0'.repeat(64)}`, init: { headers: { Origin: SHOP } } })],
    ['a malformed address (400 from Node)', () => ({ path: `/v1/blobs/${sha.toUpperCase()}` })],
    ['a preflight for a blob (Node)', () => ({ path: `/v1/blobs/${sha}`, init: { method: 'OPTIONS', headers: { Origin: SHOP, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' } } })],
    ['a POST to a blob (Node)', () => ({ path: `/v1/blobs/${sha}`, init: { method: 'POST', body: 'x' } })],
    ['a batch of blobs as the widget asks for a model\'s files (proxied)', () => ({ path: `/v1/blobs?sha256=${sha}`, init: { headers: { Origin: SHOP } } })],
    ['the health check (proxied)', () => ({ path: '/healthz' })],
    ['the widget (proxied)', () => ({ path: '/widget/edge-recs.js', init: { headers: { Origin: SHOP } } })],
    ['a metrics batch as the widget sends it, text/plain with no preflight (proxied)', () => ({ path: '/v1/metrics', init: { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8', Origin: SHOP }, body: '{"model":"default","counters":[]}' } })],
  ];

  it.each(cases)('answers %s as the Node server does', async (_, make) => {
    const { path, init } = make();
    const [direct, fronted] = await Promise.all([fetch(node.url + path, init), fetch(front + path, init)]);
    expect(fronted.status).toBe(direct.status);
    expect(contract(fronted)).toEqual(contract(direct));
    expect(new Uint8Array(await fronted.arrayBuffer())).toEqual(new Uint8Array(await direct.arrayBuffer()));
  });

  it.each([['a widget chunk', '/widget/chunks/rank-Ab12Cd34.js'], ['the catalog', '/v1/catalog']])(
    'passes %s through compressed as Node sent it (br without nginx\'s brotli module), decoding to the same body',
    async (_, path) => {
      const plain = await raw(node.url + path, {});
      expect(plain.headers['content-encoding']).toBeUndefined();
      for (const [accept, coding] of [['gzip, deflate, br', 'br'], ['gzip', 'gzip'], ['identity', undefined]] as const) {
        const [direct, fronted] = await Promise.all([raw(node.url + path, { 'Accept-Encoding': accept }), raw(front + path, { 'Accept-Encoding': accept })]);
        expect(fronted.status, accept).toBe(200);
        expect(fronted.headers['content-encoding'], accept).toBe(coding);
        expect(fronted.headers.vary, accept).toContain('Accept-Encoding');
        expect(fronted.headers.etag, accept).toBe(direct.headers.etag);
        expect(fronted.body, accept).toEqual(direct.body);
        expect(decode(fronted.body, coding), accept).toEqual(plain.body);
        const again = await raw(front + path, { 'Accept-Encoding': accept, 'If-None-Match': fronted.headers.etag as string });
        expect(again.status, accept).toBe(304);
        expect(again.headers.etag, accept).toBe(fronted.headers.etag);
      }
    },
  );

  it('grants CORS and sets the security headers on blobs it serves itself', async () => {
    const res = await fetch(`${front}/v1/blobs/${sha}`, { headers: { Origin: SHOP, Range: 'bytes=0-9' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe(SHOP);
    expect(res.headers.get('Access-Control-Expose-Headers')).toContain('Content-Range');
    for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) expect(res.headers.get(name)).toBe(value);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes.subarray(0, 10));
  });

  it('answers a body over its limit with the API\'s 413 JSON error', async () => {
    const res = await fetch(`${front}/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: SHOP }, body: 'x'.repeat(8192) });
    expect(await expectError(res, 413, 'payload_too_large')).toContain('4096');
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe(SHOP);
  });

  it('keeps serving blobs from disk while Node is down, and answers the rest 503 JSON', async () => {
    await node.close();
    const blob = await fetch(`${front}/v1/blobs/${sha}`);
    expect(blob.status).toBe(200);
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(bytes);
    const health = await fetch(`${front}/healthz`);
    await expectError(health, 503, 'unavailable');
    expect(health.headers.get('Retry-After')).toBe('5');
    expect(nginx.errors()).toBe('');
  });
});

describe('nginxFrontConfig options', () => {
  const ok = { storeDir: '/var/lib/edge-recs/store', upstream: '127.0.0.1:8787' };
  it.each([
    [{ ...ok, storeDir: 'relative/store' }, /storeDir must be an absolute path/],
    [{ ...ok, storeDir: '/a b' }, /storeDir must be an absolute path/],
    [{ ...ok, upstream: 'http://127.0.0.1:8787' }, /upstream must be host:port, \[IPv6\]:port or unix:\/path/],
    [{ ...ok, listen: '80; include /etc/passwd' }, /listen must be nginx listen parameters/],
    [{ ...ok, allowedOrigins: ['https://shop.example/'] }, /allowedOrigins\[0\] must be an origin/],
    [{ ...ok, maxBodyBytes: 10 }, /maxBodyBytes must be an integer >= 1024/],
  ])('refuses %o', (options, message) => {
    expect(() => nginxFrontConfig(options)).toThrow(message);
  });
});
