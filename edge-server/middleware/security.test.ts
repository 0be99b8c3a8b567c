import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { createMemoryStorage } from '../models/memory-storage.ts';
import { publishArtifact } from '../models/registry.ts';
import { API_SECURE_HEADER_OPTIONS, API_SECURITY_HEADERS, apiResponse, corsHeaders, securityHeaders } from './security.ts';
import { memoryWidget, signer, tinyArtifact } from '../../test/support/edge-server/fixtures.ts';

/** The headers a response carries, names lowercased, as a plain object. */
const headersOf = (res: Response): Record<string, string> => Object.fromEntries(res.headers.entries());
const lower = (h: Readonly<Record<string, string>>): Record<string, string> => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

describe('API security headers', () => {
  it('are exactly what Hono secureHeaders sets with the API options', async () => {
    const app = new Hono().use(secureHeaders(API_SECURE_HEADER_OPTIONS)).get('/', (c) => c.body(null, 204));
    expect(lower(API_SECURITY_HEADERS)).toEqual(headersOf(await app.request('/')));
  });

  it('reach every API answer: the prebuilt ones (blob, 206, 304, manifest, update receipt) and the rest (keys, errors)', async () => {
    const { key, trusted } = await signer();
    const storage = createMemoryStorage();
    const artifact = await tinyArtifact(key, 'v1');
    await publishArtifact(storage, artifact, { trusted });
    const app = createApp({ storage, trustedKeys: trusted, widget: memoryWidget({}) });
    const blob = `/v1/blobs/${artifact.manifest.items.sha256}`;
    const answers = [
      await app.request(blob),
      await app.request(blob, { headers: { Range: 'bytes=0-3' } }),
      await app.request(blob, { headers: { 'If-None-Match': `"${artifact.manifest.items.sha256}"` } }),
      await app.request('/v1/models/default/manifest'),
      await app.request('/v1/keys'),
      await app.request(`/v1/blobs/${'0'.repeat(64)}`),
      await app.request('/v1/blobs/nope'),
      await app.request(blob, { headers: { Range: 'bytes=999999-' } }),
      await app.request('/healthz'),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 206, 304, 200, 200, 404, 400, 416, 200]);
    for (const res of answers) expect(headersOf(res)).toMatchObject(lower(API_SECURITY_HEADERS));
  });

  it('leaves a prebuilt answer as built and adds the headers to any other', async () => {
    const app = new Hono()
      .use(securityHeaders())
      .get('/v1/prebuilt', () => apiResponse('x', 200, { 'X-Frame-Options': 'SAMEORIGIN', 'Content-Type': 'text/plain' }))
      .get('/v1/plain', (c) => c.text('x'));
    // A route may override one of them on purpose; the middleware does not undo it.
    expect((await app.request('/v1/prebuilt')).headers.get('X-Frame-Options')).toBe('SAMEORIGIN');
    expect(headersOf(await app.request('/v1/plain'))).toMatchObject(lower(API_SECURITY_HEADERS));
  });
});

describe('corsHeaders', () => {
  const shop = 'https://shop.example';
  const app = new Hono()
    .use(securityHeaders())
    .use(corsHeaders({ origins: [shop], allowMethods: ['GET', 'POST'], allowHeaders: ['Range'], exposeHeaders: ['ETag'], maxAge: 600 }))
    .get('/v1/prebuilt', () => apiResponse('x', 200, { 'X-Frame-Options': 'SAMEORIGIN', Vary: 'Accept-Encoding', 'Content-Type': 'text/plain' }))
    .get('/v1/plain', (c) => c.text('x'));

  it('grants a listed origin on prebuilt answers, keeping their own headers and body', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await app.request('/v1/prebuilt', { headers: { Origin: shop } });
      expect(await res.text()).toBe('x');
      expect(res.headers.get('Access-Control-Allow-Origin')).toBe(shop);
      expect(res.headers.get('Access-Control-Expose-Headers')).toBe('ETag');
      expect(res.headers.get('Vary')).toBe('Accept-Encoding, Origin');
      expect(res.headers.get('X-Frame-Options')).toBe('SAMEORIGIN');
    }
  });

  it('grants a listed origin on plain answers too, and nothing to other origins or to requests without one', async () => {
    const plain = await app.request('/v1/plain', { headers: { Origin: shop } });
    expect(plain.headers.get('Access-Control-Allow-Origin')).toBe(shop);
    expect(plain.headers.get('Vary')).toBe('Origin');
    for (const headers of [{ Origin: 'https://evil.example' }, {}] as Record<string, string>[]) {
      for (const path of ['/v1/prebuilt', '/v1/plain']) {
        const res = await app.request(path, { headers });
        expect(res.headers.get('Access-Control-Allow-Origin'), path).toBeNull();
        expect(res.headers.get('Access-Control-Expose-Headers'), path).toBeNull();
        expect(res.headers.get('Vary'), path).toMatch(/Origin$/);
      }
    }
  });

  it('answers a preflight itself: 204, methods, headers and max-age for a listed origin only', async () => {
    const res = await app.request('/v1/plain', { method: 'OPTIONS', headers: { Origin: shop, 'Access-Control-Request-Method': 'POST' } });
    expect(res.status).toBe(204);
    expect(headersOf(res)).toMatchObject({
      'access-control-allow-origin': shop,
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': 'Range',
      'access-control-max-age': '600',
      vary: 'Origin, Access-Control-Request-Headers',
    });
    const other = await app.request('/v1/plain', { method: 'OPTIONS', headers: { Origin: 'https://evil.example' } });
    expect(other.status).toBe(204);
    expect(other.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });
});
