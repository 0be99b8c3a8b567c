/**
 * Security headers by kind of response, and a fast path for the hot API answers (blobs, manifests,
 * update receipts): a response built by `apiResponse` already carries the API headers in a plain
 * object, so the middleware leaves it alone. On Node that keeps the answer on @hono/node-server's
 * cached-response path (status, body and a plain header object written with one `writeHead`) instead
 * of converting it to a `Headers` instance, setting 13 headers one by one and converting it back.
 */
import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

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
/** Responses that left `apiResponse` with every API security header already in place. */
const secured = new WeakSet<Response>();

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
export function securedResponse(body: BodyInit | null, status: number, headers: Readonly<Record<string, string>>): Response {
  const res = new Response(body, { status, headers: headers as Record<string, string> });
  secured.add(res);
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
