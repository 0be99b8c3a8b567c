import { Hono } from 'hono';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { sha256Hex } from '../core/artifact/bytes.ts';
import type { Artifact } from '../core/artifact/artifact.ts';
import { parseManifest } from '../core/artifact/manifest.ts';
import type { TrustedKey } from '../core/artifact/signing.ts';
import { ContractError } from '../core/errors.ts';
import { createApp, type AppOptions } from './app.ts';
import { createMemoryStorage } from './models/memory-storage.ts';
import { publishArtifact } from './models/registry.ts';
import type { Storage } from './models/storage.ts';
import { expectError, memoryWidget, signer, tinyArtifact } from '../test/support/edge-server/fixtures.ts';

const LOADER_JS = 'import("./assets/model-Bx3kP9aQ.js")';
const widget = memoryWidget({
  'edge-recs.js': LOADER_JS,
  'assets/model-Bx3kP9aQ.js': 'export const model = 1;',
  'assets/edge-recs-training.js': 'export {};',
  'assets/tfjs-backend-wasm-Q2x8LmP0.wasm': new Uint8Array([0, 97, 115, 109]),
});

interface Setup {
  app: Hono;
  storage: Storage;
  trusted: TrustedKey[];
  artifact: Artifact;
  publish(artifact: Artifact): Promise<void>;
}

async function setup(overrides: Partial<AppOptions> = {}): Promise<Setup> {
  const storage = createMemoryStorage();
  const { key, trusted } = await signer();
  const artifact = await tinyArtifact(key);
  const publish = async (a: Artifact): Promise<void> => void (await publishArtifact(storage, a, { trusted }));
  await publish(artifact);
  const app = createApp({ storage, trustedKeys: trusted, widget, ...overrides });
  return { app, storage, trusted, artifact, publish };
}


afterEach(() => vi.restoreAllMocks());

describe('createApp', () => {
  it('serves the storage it is given to a standard Request through fetch, the entry every runtime calls', async () => {
    const { app, trusted, artifact } = await setup();
    expectTypeOf(createApp).returns.toEqualTypeOf<Hono>();
    const res = await app.fetch(new Request('https://edge.example/v1/models/default/manifest'));
    expect(res.status).toBe(200);
    expect(parseManifest(await res.json())).toEqual(artifact.manifest);
    const empty = createApp({ storage: createMemoryStorage(), trustedKeys: trusted, widget });
    await expectError(await empty.fetch(new Request('https://edge.example/v1/models/default/manifest')), 404, 'unknown_model');
  });

  it('answers /healthz with ok and no caching', async () => {
    const { app } = await setup();
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(await res.json()).toEqual({ ok: true });
  });

  it('refuses invalid options when it is built, naming the option', async () => {
    const storage = createMemoryStorage();
    const { key, trusted } = await signer();
    const base = { storage, trustedKeys: trusted, widget };
    expect(() => createApp({ ...base, allowedOrigins: ['https://shop.example/'] })).toThrow(/allowedOrigins\[0\] must be an origin like/);
    expect(() => createApp({ ...base, allowedOrigins: ['shop.example'] })).toThrow(TypeError);
    expect(() => createApp({ ...base, trustedKeys: [key] })).toThrow(/private key/);
    expect(() => createApp({ ...base, trustedKeys: [{ keyId: 'xyz', publicKey: key.publicKey }] })).toThrow(/keyId must be 16 lowercase hex/);
    expect(() => createApp({ ...base, trustedKeys: [{ keyId: key.keyId, publicKey: 'AAAA' }] })).toThrow(/32 bytes/);
    expect(() => createApp({ ...base, storage: {} as Storage })).toThrow(/storage must be a Storage/);
    expect(() => createApp({ ...base, widget: {} as AppOptions['widget'] })).toThrow(/widget must be/);
  });
});

describe('GET /v1/models/:name/manifest', () => {
  it('serves the stored manifest bytes with its SHA-256 as ETag, a short revalidated cache and its version', async () => {
    const { app, artifact } = await setup();
    const res = await app.request('/v1/models/default/manifest');
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(res.headers.get('ETag')).toBe(`"${await sha256Hex(bytes)}"`);
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=60, must-revalidate');
    expect(res.headers.get('X-Model-Version')).toBe('v1');
    expect(res.headers.get('Content-Type')).toBe('application/json');
    expect(parseManifest(JSON.parse(new TextDecoder().decode(bytes)))).toEqual(artifact.manifest);
  });

  it('answers 304 without a body when If-None-Match holds the current ETag (weak or in a list)', async () => {
    const { app } = await setup();
    const etag = (await app.request('/v1/models/default/manifest')).headers.get('ETag')!;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await app.request('/v1/models/default/manifest', { headers: { 'If-None-Match': header } });
      expect(res.status).toBe(304);
      expect(res.headers.get('ETag')).toBe(etag);
      expect(res.headers.get('Cache-Control')).toBe('public, max-age=60, must-revalidate');
      expect(await res.text()).toBe('');
    }
  });

  it('tells devices that federated learning is off, on the 200 and the 304 alike, so they never send an update', async () => {
    const { app } = await setup();
    const res = await app.request('/v1/models/default/manifest');
    expect(res.headers.get('X-Federated-Learning')).toBe('off');
    const again = await app.request('/v1/models/default/manifest', { headers: { 'If-None-Match': res.headers.get('ETag')! } });
    expect(again.status).toBe(304);
    expect(again.headers.get('X-Federated-Learning')).toBe('off');
  });

  it('answers 404 unknown_model in JSON for a model that is not published', async () => {
    const { app } = await setup();
    await expectError(await app.request('/v1/models/nope/manifest'), 404, 'unknown_model');
    await expectError(await app.request('/v1/models/..%2F..%2Fetc/manifest'), 404, 'unknown_model');
  });

  it('sends API security headers: nosniff, no framing, a deny-all CSP, loadable cross-origin', async () => {
    const { app } = await setup();
    const res = await app.request('/v1/models/default/manifest');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(res.headers.get('X-Frame-Options')).toBe('DENY');
    expect(res.headers.get('Content-Security-Policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get('Cross-Origin-Resource-Policy')).toBe('cross-origin');
  });
});

describe('publishing a new version', () => {
  it('changes the served manifest, its ETag and X-Model-Version', async () => {
    const storage = createMemoryStorage();
    const { key, trusted } = await signer();
    await publishArtifact(storage, await tinyArtifact(key, 'v1', 1), { trusted });
    const app = createApp({ storage, trustedKeys: trusted, widget });
    const old = (await app.request('/v1/models/default/manifest')).headers.get('ETag')!;
    await publishArtifact(storage, await tinyArtifact(key, 'v2', 2), { trusted });
    const res = await app.request('/v1/models/default/manifest', { headers: { 'If-None-Match': old } });
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Model-Version')).toBe('v2');
    expect(res.headers.get('ETag')).not.toBe(old);
  });
});

describe('GET /v1/blobs/:sha256', () => {
  async function shard(s: Setup): Promise<{ sha: string; bytes: Uint8Array }> {
    const ref = s.artifact.manifest.shards[0]!;
    return { sha: ref.sha256, bytes: s.artifact.files.get(ref.path)! };
  }

  it('serves the bytes, cacheable forever, with their SHA-256 as ETag', async () => {
    const s = await setup();
    const { sha, bytes } = await shard(s);
    const res = await s.app.request(`/v1/blobs/${sha}`);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('ETag')).toBe(`"${sha}"`);
    expect(res.headers.get('Content-Type')).toBe('application/octet-stream');
    expect(res.headers.get('Accept-Ranges')).toBe('bytes');
  });

  it('answers HEAD with the headers and no body', async () => {
    const s = await setup();
    const { sha } = await shard(s);
    const res = await s.app.request(`/v1/blobs/${sha}`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('ETag')).toBe(`"${sha}"`);
    expect(await res.text()).toBe('');
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const s = await setup();
    const { sha } = await shard(s);
    const res = await s.app.request(`/v1/blobs/${sha}`, { headers: { 'If-None-Match': `"${sha}"` } });
    expect(res.status).toBe(304);
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
  });

  it('serves a single byte range as 206 with Content-Range (closed, open and suffix forms)', async () => {
    const s = await setup();
    const { sha, bytes } = await shard(s);
    const n = bytes.byteLength;
    const cases: Array<[string, number, number]> = [
      ['bytes=2-5', 2, 5],
      ['bytes=4-', 4, n - 1],
      ['bytes=-3', n - 3, n - 1],
      [`bytes=0-${n + 100}`, 0, n - 1],
    ];
    for (const [range, start, end] of cases) {
      const res = await s.app.request(`/v1/blobs/${sha}`, { headers: { Range: range } });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('Content-Range')).toBe(`bytes ${start}-${end}/${n}`);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes.subarray(start, end + 1));
    }
  });

  it('answers 416 with the size in Content-Range for a range past the end', async () => {
    const s = await setup();
    const { sha, bytes } = await shard(s);
    for (const range of [`bytes=${bytes.byteLength}-`, 'bytes=-0']) {
      const res = await s.app.request(`/v1/blobs/${sha}`, { headers: { Range: range } });
      expect(res.headers.get('Content-Range')).toBe(`bytes */${bytes.byteLength}`);
      await expectError(res, 416, 'range_not_satisfiable');
    }
  });

  it('ignores several ranges, a malformed Range and a stale If-Range, and sends the whole blob', async () => {
    const s = await setup();
    const { sha, bytes } = await shard(s);
    const variants: Record<string, string>[] = [
      { Range: 'bytes=0-1,4-5' },
      { Range: 'bytes=5-2' },
      { Range: 'items=0-1' },
      { Range: 'bytes=0-1', 'If-Range': '"stale"' },
    ];
    for (const headers of variants) {
      const res = await s.app.request(`/v1/blobs/${sha}`, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBe(bytes.byteLength);
    }
    const current = await s.app.request(`/v1/blobs/${sha}`, { headers: { Range: 'bytes=0-1', 'If-Range': `"${sha}"` } });
    expect(current.status).toBe(206);
  });

  it('answers 400 bad_sha256 in JSON for an address that is not 64 lowercase hex digits', async () => {
    const s = await setup();
    const { sha } = await shard(s);
    for (const bad of [sha.toUpperCase(), sha.slice(1), `${sha}0`, 'not-a-hash']) {
      await expectError(await s.app.request(`/v1/blobs/${bad}`), 400, 'bad_sha256');
    }
  });

  it('answers 404 unknown_blob in JSON for an address with no blob', async () => {
    const s = await setup();
    await expectError(await s.app.request(`/v1/blobs/${'0'.repeat(64)}`), 404, 'unknown_blob');
  });
});

describe('GET /v1/keys', () => {
  it('lists the public keys the server trusts', async () => {
    const s = await setup();
    const res = await s.app.request('/v1/keys');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ keys: s.trusted });
  });
});

describe('GET /widget/*', () => {
  it('serves the loader as JavaScript with a short cache, since its URL never changes', async () => {
    const { app } = await setup();
    const res = await app.request('/widget/edge-recs.js');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(LOADER_JS);
    expect(res.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=300');
    expect(res.headers.get('Cross-Origin-Resource-Policy')).toBe('cross-origin');
    expect(res.headers.get('Content-Security-Policy')).toBeNull();
    const again = await app.request('/widget/edge-recs.js', { headers: { 'If-None-Match': res.headers.get('ETag')! } });
    expect(again.status).toBe(304);
  });

  it('serves hashed chunks and wasm as immutable, and unhashed names with the short cache', async () => {
    const { app } = await setup();
    const chunk = await app.request('/widget/assets/model-Bx3kP9aQ.js');
    expect(chunk.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
    const wasm = await app.request('/widget/assets/tfjs-backend-wasm-Q2x8LmP0.wasm');
    expect(wasm.headers.get('Content-Type')).toBe('application/wasm');
    expect(wasm.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
    const plain = await app.request('/widget/assets/edge-recs-training.js');
    expect(plain.headers.get('Cache-Control')).toBe('public, max-age=300');
  });

  it('answers 404 in JSON for a file the build does not have', async () => {
    const { app } = await setup();
    await expectError(await app.request('/widget/missing.js'), 404, 'not_found');
  });

  it('answers 400 bad_path for traversal, encoded or not, and for dot files', async () => {
    const get = vi.fn(widget.get);
    const { app } = await setup({ widget: { get } });
    for (const path of ['..%2Fpackage.json', '%2e%2e%2fpackage.json', 'assets%2F..%2F..%2Fpackage.json', '.env', '..%5Cx', '%E0%A4%A']) {
      await expectError(await app.request(`/widget/${path}`), 400, 'bad_path');
    }
    expect(get).not.toHaveBeenCalled();
  });

  it('never hands a dot segment to the widget source: URL parsing resolves whole %2e%2e segments first', async () => {
    const get = vi.fn(widget.get);
    const { app } = await setup({ widget: { get } });
    await expectError(await app.request('/widget/%2e%2e/package.json'), 404, 'not_found');
    await expectError(await app.request('/widget/assets/%2e%2e/x.js'), 404, 'not_found');
    expect(get.mock.calls).toEqual([['x.js']]);
  });
});

describe('CORS', () => {
  const shop = 'https://shop.example';

  it('allows a listed origin to read models and widget files, errors included', async () => {
    const { app } = await setup({ allowedOrigins: [shop] });
    for (const path of ['/v1/models/default/manifest', '/widget/edge-recs.js', '/v1/models/nope/manifest']) {
      const res = await app.request(path, { headers: { Origin: shop } });
      expect(res.headers.get('Access-Control-Allow-Origin'), path).toBe(shop);
      expect(res.headers.get('Vary')).toMatch(/Origin/);
    }
    const res = await app.request('/v1/models/default/manifest', { headers: { Origin: shop } });
    expect(res.headers.get('Access-Control-Expose-Headers')).toMatch(/ETag/);
    expect(res.headers.get('Access-Control-Expose-Headers')).toMatch(/X-Model-Version/);
    expect(res.headers.get('Access-Control-Expose-Headers')).toMatch(/X-Federated-Learning/);
  });

  it('gives no CORS grant to an origin that is not listed', async () => {
    const { app } = await setup({ allowedOrigins: [shop] });
    const res = await app.request('/v1/models/default/manifest', { headers: { Origin: 'https://evil.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });

  it('gives no CORS grant to anyone by default', async () => {
    const { app } = await setup();
    const res = await app.request('/v1/models/default/manifest', { headers: { Origin: shop } });
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });
});

describe('errors', () => {
  it('answers an unknown route with 404 not_found in JSON', async () => {
    const { app } = await setup();
    const res = await app.request('/nope');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    await expectError(res, 404, 'not_found');
    await expectError(await app.request('/v1/models/default/manifest', { method: 'POST' }), 404, 'not_found');
  });

  it('turns a ContractError from below into 400 with its code', async () => {
    const s = await setup();
    const storage: Storage = {
      ...s.storage,
      meta: { ...s.storage.meta, getModel: async () => Promise.reject(new ContractError('bad_name', 'no such name')) },
    };
    const app = createApp({ storage, trustedKeys: s.trusted, widget });
    expect(await expectError(await app.request('/v1/models/x/manifest'), 400, 'bad_name')).toBe('no such name');
  });

  it('turns an internal failure into 500 internal without leaking its details', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const s = await setup();
    const storage: Storage = { ...s.storage, blobs: { ...s.storage.blobs, get: async () => Promise.reject(new Error('disk on fire at /srv/x')) } };
    const app = createApp({ storage, trustedKeys: s.trusted, widget });
    const res = await app.request(`/v1/blobs/${'0'.repeat(64)}`);
    const text = await res.clone().text();
    expect(await expectError(res, 500, 'internal')).toBe('internal server error');
    expect(text).not.toMatch(/disk on fire|\/srv|at /);
    expect(log).toHaveBeenCalledOnce();
  });
});

describe('mount', () => {
  it('adds routes after the core ones, with page headers and no CSP, unable to shadow core routes', async () => {
    const { app } = await setup({
      mount: (a) => {
        a.get('/', (c) => c.html('<h1>shop</h1>'));
        a.get('/healthz', (c) => c.text('shadow'));
      },
    });
    const page = await app.request('/');
    expect(page.status).toBe(200);
    expect(await page.text()).toBe('<h1>shop</h1>');
    expect(page.headers.get('Content-Security-Policy')).toBeNull();
    expect(page.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(await (await app.request('/healthz')).json()).toEqual({ ok: true });
  });
});
