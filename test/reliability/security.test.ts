/**
 * The edge server's security promises, checked route by route rather than on a sample: every admin route
 * needs the bearer token (401 without, 403 with a wrong one, nothing changed either way); every route
 * that reads a body has a limit (413, whether the size is declared or streamed); CORS answers only the
 * configured origins; every answer carries the security headers and no cookie reaches a shopper.
 */
import { describe, expect, it } from 'vitest';
import { amplifyingUpdate } from '../support/reliability/amplify.ts';
import { checkAnswer, FUZZ_ADMIN_TOKEN, FUZZ_ORIGIN, fuzzServer, type FuzzRequest } from './fuzz-targets.ts';

/** Every route under the admin guard, with a body the route would accept from an admin. */
const ADMIN_ROUTES: FuzzRequest[] = [
  { method: 'GET', path: '/v1/admin/models/default/versions', headers: {} },
  { method: 'POST', path: '/v1/admin/models/default/versions', headers: { 'Content-Type': 'multipart/form-data; boundary=x' }, body: '--x--\r\n' },
  { method: 'POST', path: '/v1/admin/models/default/promote', headers: { 'Content-Type': 'application/json' }, body: '{"version":"v1"}' },
  { method: 'POST', path: '/v1/admin/models/default/rollback', headers: {} },
  { method: 'PUT', path: '/v1/admin/models/default/canary', headers: { 'Content-Type': 'application/json' }, body: '{"version":"v1","percent":50}' },
  { method: 'DELETE', path: '/v1/admin/models/default/canary', headers: {} },
  { method: 'PUT', path: '/v1/admin/catalog', headers: { 'Content-Type': 'application/json' }, body: '{"updatedAt":"2026-01-01T00:00:00Z","products":[]}' },
  { method: 'GET', path: '/v1/admin/metrics?model=default', headers: {} },
  { method: 'PUT', path: '/v1/admin/models/default/bestsellers', headers: { 'Content-Type': 'application/json' }, body: '{"ids":["sku-1"]}' },
  { method: 'PUT', path: '/v1/admin/models/default/experiment', headers: { 'Content-Type': 'application/json' }, body: '{"name":"spring-test","holdout":0.1,"control":"none"}' },
  { method: 'GET', path: '/v1/admin/models/default/experiment', headers: {} },
  { method: 'DELETE', path: '/v1/admin/models/default/experiment', headers: {} },
  { method: 'GET', path: '/v1/admin/rounds', headers: {} },
  { method: 'GET', path: '/v1/admin/no-such-route', headers: {} },
  { method: 'GET', path: '/dashboard?model=default', headers: { Accept: 'application/json' } },
];

const WRONG: Array<{ name: string; headers: Record<string, string>; status: number }> = [
  { name: 'no Authorization header', headers: {}, status: 401 },
  { name: 'a wrong token', headers: { Authorization: 'Bearer wrong-token-0123456789abcdef' }, status: 403 },
  { name: 'the right token with one character more', headers: { Authorization: `Bearer ${FUZZ_ADMIN_TOKEN}x` }, status: 403 },
  { name: 'the right token as Basic credentials', headers: { Authorization: `Basic ${btoa(`admin:${FUZZ_ADMIN_TOKEN}`)}` }, status: 401 },
];

describe('admin routes', () => {
  for (const route of ADMIN_ROUTES) {
    it(`${route.method} ${route.path}: 401 without a token, 403 with a wrong one, 401 for a token in the query; nothing changes`, async () => {
      const s = await fuzzServer();
      for (const wrong of WRONG) {
        const status = await checkAnswer(s, { ...route, headers: { ...route.headers, ...wrong.headers } });
        expect(status, wrong.name).toBe(wrong.status);
      }
      const res = await s.app.request(route.path, { method: route.method, headers: route.headers, body: route.body });
      if (res.status === 401) expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer /);
      const query = `${route.path}${route.path.includes('?') ? '&' : '?'}token=${FUZZ_ADMIN_TOKEN}&access_token=${FUZZ_ADMIN_TOKEN}`;
      expect(await checkAnswer(s, { ...route, path: query })).toBe(401);
      // The right token gets in (so the refusals above are the guard's, not a broken route's).
      const ok = await s.app.request(route.path, { method: route.method, headers: { ...route.headers, Authorization: `Bearer ${FUZZ_ADMIN_TOKEN}` }, body: route.body });
      expect([200, 201, 400, 404]).toContain(ok.status);
    });
  }

  it('a dashboard session cookie reads but never authorizes an admin change', async () => {
    const s = await fuzzServer();
    const login = await s.app.request('/dashboard/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `token=${FUZZ_ADMIN_TOKEN}`,
    });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('Set-Cookie')!.split(';')[0]!;
    expect((await s.app.request('/dashboard', { headers: { Cookie: cookie } })).status).toBe(200);
    // The session only reads (README, Dashboard): every change still needs the bearer header.
    for (const route of ADMIN_ROUTES.filter((r) => r.method !== 'GET')) {
      expect(await checkAnswer(s, { ...route, headers: { ...route.headers, Cookie: cookie } }), `${route.method} ${route.path}`).toBe(401);
    }
  });
});

/** Every route that reads a request body, the limit it should enforce on the app `fuzzServer(LIMITS)` builds. */
const LIMITS = { maxArtifactBytes: 16 * 1024, maxCatalogBytes: 16 * 1024, maxUpdateBytes: 4096 };
const BODY_ROUTES: Array<FuzzRequest & { limit: number }> = [
  { method: 'POST', path: '/v1/updates', headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': 'device-0001-token-abcdef' }, limit: LIMITS.maxUpdateBytes },
  { method: 'POST', path: '/v1/metrics', headers: { 'Content-Type': 'application/json' }, limit: 64 * 1024 },
  { method: 'POST', path: '/v1/metrics', headers: { 'Content-Type': 'text/plain' }, limit: 64 * 1024 },
  { method: 'POST', path: '/v1/admin/models/default/versions', headers: { 'Content-Type': 'multipart/form-data; boundary=x' }, limit: LIMITS.maxArtifactBytes },
  { method: 'POST', path: '/v1/admin/models/default/promote', headers: { 'Content-Type': 'application/json' }, limit: 4096 },
  { method: 'PUT', path: '/v1/admin/models/default/canary', headers: { 'Content-Type': 'application/json' }, limit: 4096 },
  { method: 'PUT', path: '/v1/admin/catalog', headers: { 'Content-Type': 'application/json' }, limit: LIMITS.maxCatalogBytes },
  { method: 'PUT', path: '/v1/admin/catalog', headers: { 'Content-Type': 'text/tab-separated-values' }, limit: LIMITS.maxCatalogBytes },
  { method: 'PUT', path: '/v1/admin/catalog', headers: { 'Content-Type': 'application/xml' }, limit: LIMITS.maxCatalogBytes },
  { method: 'PUT', path: '/v1/admin/models/default/bestsellers', headers: { 'Content-Type': 'application/json' }, limit: 256 * 1024 },
  { method: 'PUT', path: '/v1/admin/models/default/experiment', headers: { 'Content-Type': 'application/json' }, limit: 4096 },
  { method: 'POST', path: '/dashboard/login', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, limit: 4096 },
];

describe('body limits', () => {
  for (const route of BODY_ROUTES) {
    it(`${route.method} ${route.path} (${route.headers['Content-Type']}): 413 over ${route.limit} bytes, declared or streamed, and nothing stored`, async () => {
      const s = await fuzzServer(LIMITS);
      const auth: Record<string, string> = route.path.startsWith('/v1/admin') ? { Authorization: `Bearer ${FUZZ_ADMIN_TOKEN}` } : {};
      const body = new Uint8Array(route.limit + 1).fill(0x20);
      for (const streamed of [false, true]) {
        const status = await checkAnswer(s, { ...route, headers: { ...route.headers, ...auth }, body, streamed });
        expect(status, streamed ? 'streamed' : 'with Content-Length').toBe(413);
      }
    });
  }

  it('routes that take no body are not made to buffer one (rollback, canary end, logout): no 5xx, nothing stored beyond the route', async () => {
    const s = await fuzzServer(LIMITS);
    const big = new Uint8Array(1024 * 1024).fill(0x7b);
    for (const path of ['/v1/admin/models/nope/rollback', '/dashboard/logout']) {
      const status = await checkAnswer(s, { method: 'POST', path, headers: { Authorization: `Bearer ${FUZZ_ADMIN_TOKEN}` }, body: big, streamed: true });
      expect(status).toBeLessThan(500);
    }
  });
});

const PUBLIC_GETS = ['/v1/models/default/manifest', '/v1/keys', '/v1/catalog', '/v1/popular?model=default', '/v1/models/default/deltas?from=v1', '/widget/edge-recs.js', '/v1/models/nope/manifest'];

describe('CORS', () => {
  it('grants the configured shop origin on every public route, errors included, and no one else', async () => {
    const s = await fuzzServer();
    for (const path of PUBLIC_GETS) {
      const listed = await s.app.request(path, { headers: { Origin: FUZZ_ORIGIN } });
      expect(listed.headers.get('Access-Control-Allow-Origin'), path).toBe(FUZZ_ORIGIN);
      expect(listed.headers.get('Access-Control-Allow-Credentials'), path).toBeNull();
      for (const origin of ['https://evil.example', 'https://shop.example.evil.example', 'null', 'http://shop.example', `${FUZZ_ORIGIN}:8443`]) {
        const other = await s.app.request(path, { headers: { Origin: origin } });
        expect(other.headers.get('Access-Control-Allow-Origin'), `${path} from ${origin}`).toBeNull();
      }
    }
  });

  it('answers preflights only for the configured origin, and only for the methods and headers the widget uses', async () => {
    const s = await fuzzServer();
    for (const path of ['/v1/metrics', '/v1/updates']) {
      const ok = await s.app.request(path, {
        method: 'OPTIONS',
        headers: { Origin: FUZZ_ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-client-token' },
      });
      expect(ok.status).toBe(204);
      expect(ok.headers.get('Access-Control-Allow-Origin')).toBe(FUZZ_ORIGIN);
      expect(ok.headers.get('Access-Control-Allow-Methods')).not.toMatch(/PUT|DELETE/);
      // Authorization only as the widget sends it: the Privacy Pass token of an update (admin routes still need their bearer token).
      expect(ok.headers.get('Access-Control-Allow-Headers')?.toLowerCase().split(',')).toEqual(['if-none-match', 'if-range', 'range', 'content-type', 'x-canary-bucket', 'x-client-token', 'authorization']);
      const evil = await s.app.request(path, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
      expect(evil.headers.get('Access-Control-Allow-Origin')).toBeNull();
    }
  });
});

describe('security headers and cookies', () => {
  it('every kind of answer carries nosniff; API answers a deny-all CSP and no framing; none sets a cookie', async () => {
    const s = await fuzzServer();
    const requests: Array<[string, RequestInit]> = [
      ...PUBLIC_GETS.map((p): [string, RequestInit] => [p, {}]),
      ['/v1/blobs/zz', {}],
      ['/healthz', {}],
      ['/no/such/route', {}],
      ['/v1/metrics', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"model":"default","counters":[{"placement":"for-you","modelVersion":"v2","variant":"none","event":"click","count":1}]}' }],
      ['/v1/updates', { method: 'POST', headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': 'device-0001-token-abcdef', Authorization: s.tokens[0]! }, body: s.validUpdate(1) }],
      ['/v1/updates', { method: 'POST', headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': 'device-0002-token-abcdef' }, body: s.validUpdate(2) }],
    ];
    for (const [path, init] of requests) {
      const res = await s.app.request(path, init);
      expect(res.status, path).toBeLessThan(500);
      expect(res.headers.get('X-Content-Type-Options'), path).toBe('nosniff');
      expect(res.headers.get('Set-Cookie'), path).toBeNull();
      expect(res.headers.get('Strict-Transport-Security'), path).toMatch(/max-age=\d+/);
      expect(res.headers.get('Referrer-Policy'), path).toBe('no-referrer');
      if (path.startsWith('/v1/') || path === '/healthz') {
        expect(res.headers.get('Content-Security-Policy'), path).toMatch(/default-src 'none'/);
        expect(res.headers.get('X-Frame-Options'), path).toBe('DENY');
      }
    }
    const dashboard = await s.app.request('/dashboard', { headers: { Authorization: `Bearer ${FUZZ_ADMIN_TOKEN}` } });
    expect(dashboard.headers.get('Content-Security-Policy')).toMatch(/default-src 'none'/);
    expect(dashboard.headers.get('Content-Security-Policy')).not.toMatch(/script-src/);
  });
});

describe('update intake under a crafted frame', () => {
  it('refuses a 2 KB update declaring the largest model shape (one value per tensor) without allocating its ~390 MiB of tensors', async () => {
    const s = await fuzzServer();
    const body = amplifyingUpdate('v2');
    const before = process.memoryUsage().arrayBuffers;
    const res = await s.app.request('/v1/updates', { method: 'POST', headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': 'device-0001-token-abcdef', Authorization: s.tokens[0]! }, body });
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/config\.dim is 1024/);
    expect(grown).toBeLessThan(64 * 2 ** 20);
  });
});
