/**
 * Security headers by kind of response, and a fast path for the hot API answers (blobs, manifests,
 * update receipts): a response built by `apiResponse` already carries the API headers in a plain
 * object, so the middleware leaves it alone. On Node that keeps the answer on @hono/node-server's
 * cached-response path (status, body and a plain header object written with one `writeHead`) instead
 * of converting it to a `Headers` instance, setting 13 headers one by one and converting it back.
 */
import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { show } from '../../core/errors.ts';
import { FEDERATED_LEARNING_HEADER } from '../../core/federated/codec.ts';
import { optionError, type Fail } from '../../core/options.ts';
import { CLIENT_TOKEN_HEADER } from '../../core/federated/client-token.ts';

/**
 * What Hono's `secureHeaders` sets with the API options below (the test checks they stay equal). API
 * answers are data, never documents: a `default-src 'none'` CSP and no framing. They are meant to be
 * loaded by other origins' pages, hence `Cross-Origin-Resource-Policy: cross-origin` (a shop page with
 * COEP could not load them otherwise).
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cross-Origin-Resource-Policy': 'cross-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Origin-Agent-Cluster': '?1',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=15552000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Frame-Options': 'DENY',
  'X-Permitted-Cross-Domain-Policies': 'none',
  'X-XSS-Protection': '0',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
});

/** The `secureHeaders` options `API_SECURITY_HEADERS` spells out. */
export const API_SECURE_HEADER_OPTIONS: NonNullable<Parameters<typeof secureHeaders>[0]> = {
  crossOriginResourcePolicy: 'cross-origin',
  xFrameOptions: 'DENY',
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
};

const API_ENTRIES = Object.entries(API_SECURITY_HEADERS);
/**
 * Responses that left `apiResponse` with every API security header already in place, with what they
 * were built from, so a later middleware (CORS) can build the same answer with more headers instead of
 * editing a `Headers` instance.
 */
const secured = new WeakMap<Response, SecuredParts>();

/** What a secured answer was built from. `manual`: the body is already content-encoded (`securedResponse`). */
export interface SecuredParts {
  body: BodyInit | null;
  status: number;
  headers: Readonly<Record<string, string>>;
  manual: boolean;
}

/** The parts of an answer `securedResponse` built, so a later middleware can build it again with more headers. */
export const securedParts = (res: Response): SecuredParts | undefined => secured.get(res);

/**
 * An API answer with the API security headers built in: `headers` (ETag, Cache-Control, ...) over them.
 * Only for routes under `/v1/` or `/healthz`, whose answers get exactly these headers anyway.
 * @example return apiResponse(bytes, 200, { ETag: etag, 'Content-Type': 'application/octet-stream' });
 */
export function apiResponse(body: BodyInit | null, status: number, headers: Record<string, string>): Response {
  return securedResponse(body, status, withApiSecurity(headers));
}

/** `headers` over the API security headers: build once, answer many times with `securedResponse`. */
export function withApiSecurity(headers: Record<string, string>): Readonly<Record<string, string>> {
  return Object.freeze({ ...API_SECURITY_HEADERS, ...headers });
}

/** An API answer whose `headers` came from `withApiSecurity` (shared, never modified: runtimes copy them). */
export function securedResponse(body: BodyInit | null, status: number, headers: Readonly<Record<string, string>>, manual = false): Response {
  // `manual`: the body is already encoded after its Content-Encoding; workerd must send it as it is
  // (its default, 'automatic', would encode it again). Node ignores the option.
  const init: ResponseInit & { encodeBody?: 'manual' } = manual ? { status, headers: headers as Record<string, string>, encodeBody: 'manual' } : { status, headers: headers as Record<string, string> };
  const res = new Response(body, init);
  secured.set(res, { body, status, headers, manual });
  return res;
}

/**
 * Security headers for every answer, by path: API answers (`/v1/*`, `/healthz`) as above; widget files
 * get no CSP because a worker script takes its CSP from its own response, and the widget's workers
 * need wasm and fetch; pages (the `mount`ed demo shop) get the defaults without a CSP: they load
 * same-origin scripts, wasm, images and blob workers, and a CSP belongs with the code that knows which.
 */
export function securityHeaders(): MiddlewareHandler {
  const widget = secureHeaders({ crossOriginResourcePolicy: 'cross-origin' });
  const page = secureHeaders();
  return async (c, next) => {
    const path = c.req.path;
    if (path.startsWith('/v1/') || path === '/healthz') {
      await next();
      const res = c.res;
      if (secured.has(res)) return;
      for (const [name, value] of API_ENTRIES) res.headers.set(name, value);
      res.headers.delete('X-Powered-By');
      return;
    }
    if (path.startsWith('/widget/')) return widget(c, next);
    return page(c, next);
  };
}

export interface CorsOptions {
  /** Origins granted access, e.g. `https://shop.example` (exact match). */
  origins: readonly string[];
  allowMethods: readonly string[];
  allowHeaders: readonly string[];
  exposeHeaders: readonly string[];
  /** Seconds a browser may cache a preflight answer. */
  maxAge: number;
}

/**
 * `origin` when it is exactly an http(s) origin (scheme, host, port; no path, no trailing "/"), else
 * null: CORS compares origins byte for byte, so anything looser would never match.
 */
export function exactOrigin(origin: unknown): string | null {
  if (typeof origin !== 'string') return null;
  try {
    const parsed = new URL(origin);
    return ['http:', 'https:'].includes(parsed.protocol) && parsed.origin === origin ? origin : null;
  } catch {
    return null;
  }
}

/**
 * CORS for the listed shop origins: preflights answered here, a grant (`Access-Control-Allow-Origin`,
 * `-Expose-Headers`) on every other answer to a listed origin, and `Vary: Origin` on all of them.
 *
 * Written here rather than taken from `hono/cors` because that one sets its headers on `c.res` before
 * the route runs, which makes Hono rebuild every answer as a `Headers`-carrying copy with a streamed
 * body: on Node that took blob answers off @hono/node-server's cached-response path (measured on a
 * 133 KB blob: 2.5x fewer requests/s with an `Origin` header, i.e. with every real widget request).
 * Here an `apiResponse` answer is built again with the grant in its plain header object, the grant
 * objects being made once per origin and merged once per header object.
 */
export function corsHeaders(options: CorsOptions): MiddlewareHandler {
  const expose = options.exposeHeaders.join(',');
  const grants = new Map<string, Readonly<Record<string, string>>>();
  for (const origin of options.origins) {
    grants.set(origin, Object.freeze({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': expose, Vary: 'Origin' }));
  }
  const noGrant: Readonly<Record<string, string>> = Object.freeze({ Vary: 'Origin' });
  const preflight = {
    'Access-Control-Allow-Methods': options.allowMethods.join(','),
    'Access-Control-Allow-Headers': options.allowHeaders.join(','),
    'Access-Control-Max-Age': String(options.maxAge),
    Vary: 'Origin, Access-Control-Request-Headers',
  };
  // Merged header objects by (route's header object, grant): routes answer hot requests with prebuilt
  // header objects (blobs, manifests, receipts), so each is merged once; a one-off object's entry goes
  // with it.
  const merged = new WeakMap<object, Map<object, Readonly<Record<string, string>>>>();
  const withGrant = (headers: Readonly<Record<string, string>>, grant: Readonly<Record<string, string>>): Readonly<Record<string, string>> => {
    let byGrant = merged.get(headers);
    if (!byGrant) merged.set(headers, (byGrant = new Map()));
    let out = byGrant.get(grant);
    if (!out) {
      const vary = headers.Vary ?? headers.vary;
      out = Object.freeze({ ...headers, ...grant, Vary: vary ? `${vary}, ${grant.Vary}` : grant.Vary! });
      byGrant.set(grant, out);
    }
    return out;
  };
  return async (c, next) => {
    const origin = c.req.header('Origin');
    const grant = (origin !== undefined && grants.get(origin)) || noGrant;
    if (c.req.method === 'OPTIONS') return c.body(null, 204, { ...grant, ...preflight });
    await next();
    const built = secured.get(c.res);
    if (built) {
      // Unset first: assigning over a response makes Hono copy its headers into a new one.
      c.res = undefined;
      c.res = securedResponse(built.body, built.status, withGrant(built.headers, grant), built.manual);
      return;
    }
    for (const [name, value] of Object.entries(grant)) {
      if (name === 'Vary') c.res.headers.append(name, value);
      else c.res.headers.set(name, value);
    }
  };
}

/** Methods and headers a shop page's widget uses cross-origin: reads, conditional and ranged. */
export const CORS_POLICY: Omit<CorsOptions, 'origins'> = {
  // POST: the widget's metric batches (`/v1/metrics`).
  allowMethods: ['GET', 'HEAD', 'POST'],
  // X-Canary-Bucket: the widget's once-per-session draw that keeps a shopper on one side of a canary.
  // X-Client-Token: the anonymous, daily-rotated token a federated update (`/v1/updates`) carries.
  // Authorization: the Privacy Pass token an update spends (RFC 9577 `PrivateToken`).
  allowHeaders: ['If-None-Match', 'If-Range', 'Range', 'Content-Type', 'X-Canary-Bucket', CLIENT_TOKEN_HEADER, 'Authorization'],
  // Not CORS-safelisted, yet the widget needs them to revalidate, resume and report its version.
  // X-Federated-Learning: whether the widget may upload updates at all (`FEDERATED_LEARNING_HEADER`).
  // WWW-Authenticate: the token challenge of a 401 from `/v1/updates`.
  exposeHeaders: ['ETag', 'X-Model-Version', 'Content-Range', 'Accept-Ranges', 'X-Delta-From', 'Retry-After', FEDERATED_LEARNING_HEADER, 'WWW-Authenticate'],
  maxAge: 600,
};

/**
 * The CORS middleware for the shop origins of `createApp`'s `allowedOrigins` (`CORS_POLICY`), or null
 * for none (same-origin only). Checks the origins once, here.
 * @throws TypeError naming the first origin that is not an exact origin.
 */
export function shopCors(allowedOrigins: unknown = []): MiddlewareHandler | null {
  const fail: Fail = optionError('createApp');
  if (!Array.isArray(allowedOrigins)) fail('allowedOrigins must be an array of origins');
  const origins = allowedOrigins.map((origin: unknown, i) => {
    const exact = exactOrigin(origin);
    if (exact === null) fail(`allowedOrigins[${i}] must be an origin like "https://shop.example" (scheme, host and port; no path or trailing "/"; got ${show(origin)})`);
    return exact;
  });
  return origins.length > 0 ? corsHeaders({ origins, ...CORS_POLICY }) : null;
}
