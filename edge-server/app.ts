/**
 * The edge server as one Hono app on Web-standard APIs only (no `node:*`): each runtime adapter brings
 * its storage and widget files and serves `createApp(...)`.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { fromBase64 } from '../core/artifact/bytes.ts';
import type { TrustedKey } from '../core/artifact/signing.ts';
import { isRecord, show } from '../core/errors.ts';
import { deliveryRoutes } from './delivery.ts';
import { handleError, handleNotFound } from './errors.ts';
import type { Storage } from './storage.ts';
import { widgetRoutes, type WidgetFiles } from './widget-files.ts';

export interface AppOptions {
  /**
   * Where models live. Required: the adapter decides durability (`openDiskStorage(dir)` in Node,
   * `createMemoryStorage()` in tests).
   */
  storage: Storage;
  /**
   * Public keys that sign this server's models, served at `GET /v1/keys` for widgets whose merchant
   * pinned no key. Public parts only: an entry holding a `privateKey` is refused, since a signing key
   * has no business on a serving machine.
   * @example [{ keyId: '3f2a9c0d1e4b5a67', publicKey: 'MCowBQYDK2VwAyEA...' }]
   */
  trustedKeys: readonly TrustedKey[];
  /** The built widget served at `/widget/*` (e.g. the `dist/` of `npm run build`). */
  widget: WidgetFiles;
  /**
   * Shop origins allowed to call `/v1/*` and load `/widget/*` cross-origin (CORS). Default `[]`:
   * same-origin only, so a server never answers pages it was not set up for. Exact origins only
   * (scheme, host, port), because CORS compares them byte for byte.
   * @example ['https://shop.example', 'http://localhost:5173']
   */
  allowedOrigins?: readonly string[];
  /**
   * Adds routes the core app does not own, e.g. the demo shop's pages in `npm start`. Runs after the
   * core routes are registered, so a mounted route can never shadow `/v1/*`, `/widget/*` or
   * `/healthz`. Default: none.
   * @example (app) => app.get('/', (c) => c.html(shopPage))
   */
  mount?: (app: Hono) => void;
}

/** Methods and headers a shop page's widget uses cross-origin: reads, conditional and ranged. */
const CORS = {
  allowMethods: ['GET', 'HEAD'],
  allowHeaders: ['If-None-Match', 'If-Range', 'Range'],
  // Not CORS-safelisted, yet the widget needs them to revalidate, resume and report its version.
  exposeHeaders: ['ETag', 'X-Model-Version', 'Content-Range', 'Accept-Ranges'],
  maxAge: 600,
};

function fail(message: string): never {
  throw new TypeError(`createApp: ${message}`);
}

function checkOptions(options: AppOptions): Required<Omit<AppOptions, 'mount'>> & Pick<AppOptions, 'mount'> {
  if (!isRecord(options)) fail('options must be an object');
  const { storage, trustedKeys, widget, allowedOrigins = [], mount } = options;
  const hasMethods = (value: unknown, names: string[]): boolean =>
    isRecord(value) && names.every((n) => typeof value[n] === 'function');
  if (!isRecord(storage) || !hasMethods(storage.blobs, ['put', 'get', 'has']) || !hasMethods(storage.meta, ['getModel', 'putModel'])) {
    fail('storage must be a Storage ({ blobs: { put, get, has }, meta: { getModel, putModel } })');
  }
  if (!Array.isArray(trustedKeys)) fail('trustedKeys must be an array of { keyId, publicKey }');
  const keys = trustedKeys.map((key: unknown, i): TrustedKey => {
    if (!isRecord(key) || typeof key.keyId !== 'string' || !/^[0-9a-f]{16}$/.test(key.keyId)) {
      fail(`trustedKeys[${i}].keyId must be 16 lowercase hex digits (got ${show(isRecord(key) ? key.keyId : key)})`);
    }
    if ('privateKey' in key) fail(`trustedKeys[${i}] holds a private key; give the server only keyId and publicKey`);
    let raw: Uint8Array | undefined;
    try {
      raw = typeof key.publicKey === 'string' ? fromBase64(key.publicKey) : undefined;
    } catch {
      raw = undefined;
    }
    if (raw?.byteLength !== 32) fail(`trustedKeys[${i}].publicKey must be a base64 raw Ed25519 public key (32 bytes)`);
    return { keyId: key.keyId, publicKey: key.publicKey as string };
  });
  if (!hasMethods(widget, ['get'])) fail('widget must be { get(path) => Promise<{ body, contentType } | null> }');
  if (!Array.isArray(allowedOrigins)) fail('allowedOrigins must be an array of origins');
  const origins = allowedOrigins.map((origin: unknown, i) => {
    let parsed: URL | undefined;
    try {
      parsed = typeof origin === 'string' ? new URL(origin) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin) {
      fail(`allowedOrigins[${i}] must be an origin like "https://shop.example" (scheme, host and port; no path or trailing "/"; got ${show(origin)})`);
    }
    return parsed.origin;
  });
  if (mount !== undefined && typeof mount !== 'function') fail('mount must be a function (app) => void');
  return { storage, trustedKeys: keys, widget, allowedOrigins: origins, mount };
}

/**
 * Security headers by kind of response. API answers are data, never documents: a `default-src 'none'`
 * CSP and no framing. API and widget files are meant to be loaded by other origins' pages, hence
 * `Cross-Origin-Resource-Policy: cross-origin` (a shop page with COEP could not load them otherwise).
 * Widget files get no CSP because a worker script takes its CSP from its own response, and the widget's
 * workers need wasm and fetch. Pages (the `mount`ed demo shop) get the defaults without a CSP: they load
 * same-origin scripts, wasm, images and blob workers, and a CSP belongs with the code that knows which.
 */
function securityHeaders(): MiddlewareHandler {
  const api = secureHeaders({
    crossOriginResourcePolicy: 'cross-origin',
    xFrameOptions: 'DENY',
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  });
  const widget = secureHeaders({ crossOriginResourcePolicy: 'cross-origin' });
  const page = secureHeaders();
  return (c, next) => {
    const path = c.req.path;
    if (path.startsWith('/v1/') || path === '/healthz') return api(c, next);
    if (path.startsWith('/widget/')) return widget(c, next);
    return page(c, next);
  };
}

/**
 * Builds the edge server. Options are checked once, here.
 * @throws TypeError naming the first invalid option.
 */
export function createApp(options: AppOptions): Hono {
  const { storage, trustedKeys, widget, allowedOrigins, mount } = checkOptions(options);
  const app = new Hono();
  app.onError(handleError);
  app.notFound(handleNotFound);
  app.use(securityHeaders());
  if (allowedOrigins.length > 0) {
    const allow = cors({ origin: [...allowedOrigins], ...CORS });
    app.use('/v1/*', allow);
    app.use('/widget/*', allow);
  }

  app.get('/healthz', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ ok: true });
  });
  app.route('/v1', deliveryRoutes(storage, trustedKeys));
  app.route('/widget', widgetRoutes(widget));
  mount?.(app);
  return app;
}
