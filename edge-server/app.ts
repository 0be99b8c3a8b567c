/**
 * The edge server as one Hono app on Web-standard APIs only (no `node:*`): each runtime adapter brings
 * its storage and widget files and serves `createApp(...)`.
 */
import { Hono } from 'hono';
import { fromBase64 } from '../core/artifact/bytes.ts';
import type { TrustedKey } from '../core/artifact/signing.ts';
import { isRecord, show } from '../core/errors.ts';
import { FEDERATED_LEARNING_HEADER } from '../core/federated/codec.ts';
import { deliveryRoutes } from './models/delivery.ts';
import { handleError, handleNotFound } from './middleware/errors.ts';
import { createAdmission } from './federated/admission.ts';
import { admissionRoutes } from './federated/admission-routes.ts';
import type { Federation } from './federated/types.ts';
import { CLIENT_TOKEN_HEADER, federatedRoutes, roundsAdminRoutes, type FederatedRouteOptions } from './federated/routes.ts';
import { checkOperations, installOperations, type OperationsOptions } from './operations.ts';
import { hasMethods, optionError, type Fail } from '../core/options.ts';
import { urlPeer, type PeerOf } from './middleware/peer.ts';
import { corsHeaders, exactOrigin, securityHeaders, type CorsOptions } from './middleware/security.ts';
import type { Storage } from './models/storage.ts';
import { widgetRoutes, type WidgetFiles } from './models/widget-files.ts';

export interface AppOptions extends OperationsOptions {
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
  /**
   * Federated learning: `POST /v1/updates` and `GET /v1/models/:name/deltas`. Default: off (updates
   * answer 404 `federation_disabled`, deltas 410 "take the full model"), since a federation needs its
   * own signing key and round storage, which only the adapter can provide. The federation's public key
   * is served at `/v1/keys` with the trusted keys, and its rounds' item counts feed the analytics'
   * trending list.
   * @example federated: { federation: createFederation({ storage, rounds, signingKey }), maxUpdateBytes: 65536 }
   */
  federated?: { federation: Federation } & FederatedRouteOptions;
  /**
   * Who sent a request: the client address per-source limits count by, and whether it came over TLS
   * (the dashboard's `Secure` cookie). The adapter knows: `nodePeer(trustedProxies(['127.0.0.1']))` on
   * Node behind nginx, `CF-Connecting-IP` on Workers. Default `urlPeer`: no address, so every request is
   * one `unknown` source, and TLS only for an `https:` URL.
   * @example peer: nodePeer(trustedProxies(['127.0.0.1']))
   */
  peer?: PeerOf;
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

const fail: Fail = optionError('createApp');

function checkOptions(options: AppOptions): Required<Pick<AppOptions, 'storage' | 'trustedKeys' | 'widget' | 'allowedOrigins'>> & Pick<AppOptions, 'mount' | 'federated'> & { peer: PeerOf } {
  if (!isRecord(options)) fail('options must be an object');
  const { storage, trustedKeys, widget, allowedOrigins = [], mount } = options;
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
    const exact = exactOrigin(origin);
    if (exact === null) fail(`allowedOrigins[${i}] must be an origin like "https://shop.example" (scheme, host and port; no path or trailing "/"; got ${show(origin)})`);
    return exact;
  });
  if (mount !== undefined && typeof mount !== 'function') fail('mount must be a function (app) => void');
  const { federated } = options;
  if (federated !== undefined && !(isRecord(federated) && hasMethods(federated.federation, ['submit', 'delta', 'rounds']))) {
    fail('federated must be { federation: createFederation(...) }');
  }
  const admission: unknown = federated?.admission;
  if (admission !== undefined && admission !== false && !hasMethods(admission, ['directory', 'issue', 'redeem'])) {
    fail('federated.admission must be createAdmission(...) or false');
  }
  const { peer = urlPeer } = options;
  if (typeof peer !== 'function') fail('peer must be a function (c) => { address, secure }');
  return { storage, trustedKeys: keys, widget, allowedOrigins: origins, mount, federated, peer };
}

/**
 * Builds the edge server. Options are checked once, here.
 * @throws TypeError naming the first invalid option.
 */
export function createApp(options: AppOptions): Hono {
  // `peer` is handed to the routes that count by source or need to know about TLS.
  const { storage, trustedKeys, widget, allowedOrigins, mount, federated, peer } = checkOptions(options);
  // Analytics, catalog, admin API and dashboard; `ops.popularity` is where federated rounds report item counts.
  const ops = checkOperations(options, storage, trustedKeys);
  const app = new Hono();
  app.onError(handleError);
  app.notFound(handleNotFound);
  app.use(securityHeaders());
  if (allowedOrigins.length > 0) {
    const allow = corsHeaders({ origins: allowedOrigins, ...CORS_POLICY });
    app.use('/v1/*', allow);
    app.use('/widget/*', allow);
  }

  app.get('/healthz', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ ok: true });
  });
  // Before every other route, so the admin guard it installs on /v1/admin/* runs first for all of them.
  installOperations(app, ops, storage, peer);
  const fedKey = federated?.federation.publicKey;
  const servedKeys = fedKey && !trustedKeys.some((k) => k.keyId === fedKey.keyId) ? [...trustedKeys, fedKey] : trustedKeys;
  app.route('/v1', deliveryRoutes(storage, servedKeys, federated !== undefined));
  // Admission is on wherever federation is, unless the operator passed `admission: false`.
  const admission = federated ? (federated.admission === false ? null : (federated.admission ?? createAdmission())) : null;
  app.route('/v1', admissionRoutes(admission, peer, federated !== undefined));
  app.route('/v1', federatedRoutes(federated?.federation, { ...federated, admission: admission ?? false }, peer));
  if (federated) {
    // Behind the admin guard `installOperations` put on /v1/admin/*; absent without a federation, so
    // the dashboard can say rounds are not available here.
    app.route('/v1/admin', roundsAdminRoutes(federated.federation));
    federated.federation.reportItemCountsTo?.(ops.popularity);
  }
  app.route('/widget', widgetRoutes(widget));
  mount?.(app);
  return app;
}
