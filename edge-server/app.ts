/**
 * The edge server as one Hono app on Web-standard APIs only (no `node:*`): each runtime adapter brings
 * its storage and widget files and serves `createApp(...)`. Each feature (folder) checks its own options
 * when its routes are built; this file only composes them.
 */
import { Hono } from 'hono';
import { isRecord } from '../core/errors.ts';
import { optionError } from '../core/options.ts';
import { adminAccess, requireAdmin, type AdminAccessOptions } from './admin/auth.ts';
import { modelAdminRoutes, type ModelAdminOptions } from './admin/routes.ts';
import { analyticsRoutes } from './analytics/routes.ts';
import { popularityStore } from './analytics/popularity.ts';
import { analyticsSettings, type AnalyticsOptions } from './analytics/settings.ts';
import { catalogRoutes, type CatalogOptions } from './catalog/routes.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { federatedRoutes, type FederatedOptions } from './federated/routes.ts';
import { compression, type Compressor } from './middleware/compress.ts';
import { handleError, handleNotFound } from './middleware/errors.ts';
import { checkPeer, type PeerOf } from './middleware/peer.ts';
import { securityHeaders, shopCors } from './middleware/security.ts';
import { checkStorage, checkTrustedKeys, modelRoutes, widgetFileRoutes } from './models/routes.ts';
import type { Storage } from './models/storage.ts';
import type { WidgetFiles } from './models/widget-files.ts';
import type { TrustedKey } from '../core/artifact/signing.ts';

export interface AppOptions extends AdminAccessOptions, ModelAdminOptions, CatalogOptions {
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
   * Aggregate analytics: where counters are kept, the read-out's suppression threshold, the trending
   * half-life. Default: in-memory store, k = 10, 7 days (see `AnalyticsOptions`).
   * @example { store: await openDiskAnalytics('.edge-recs/analytics'), suppressBelow: 20 }
   */
  analytics?: AnalyticsOptions;
  /**
   * Federated learning: `POST /v1/updates` and `GET /v1/models/:name/deltas`. Default: off (updates
   * answer 404 `federation_disabled`, deltas 410 "take the full model"), since a federation needs its
   * own signing key and round storage, which only the adapter can provide. The federation's public key
   * is served at `/v1/keys` with the trusted keys, and its rounds' item counts feed the analytics'
   * trending list.
   * @example federated: { federation: createFederation({ storage, rounds, signingKey }), maxUpdateBytes: 65536 }
   */
  federated?: FederatedOptions;
  /**
   * Who sent a request: the client address per-source limits count by, and whether it came over TLS
   * (the dashboard's `Secure` cookie). The adapter knows: `nodePeer(trustedProxies(['127.0.0.1']))` on
   * Node behind nginx, `CF-Connecting-IP` on Workers. Default `urlPeer`: no address, so every request is
   * one `unknown` source, and TLS only for an `https:` URL.
   * @example peer: nodePeer(trustedProxies(['127.0.0.1']))
   */
  peer?: PeerOf;
  /**
   * How answers are compressed (`middleware/compress.ts`): brotli or gzip after the request's
   * Accept-Encoding, for JSON, JavaScript, WASM and text over 1 KB. The runtime knows what it has:
   * `nodeCompressor` (node:zlib) on Node, `workerdCompressor` (the runtime's own encoder) on Workers.
   * Default `webCompressor`: gzip through `CompressionStream`, which every runtime has.
   * @example compressor: nodeCompressor
   */
  compressor?: Compressor;
}

/**
 * Builds the edge server. Options are checked once, here, by the features they belong to.
 * @throws TypeError naming the first invalid option.
 */
export function createApp(options: AppOptions): Hono {
  if (!isRecord(options)) optionError('createApp')('options must be an object');
  // What several features share.
  const storage = checkStorage(options.storage);
  const trustedKeys = checkTrustedKeys(options.trustedKeys);
  const cors = shopCors(options.allowedOrigins);
  const { mount } = options;
  if (mount !== undefined && typeof mount !== 'function') optionError('createApp')('mount must be a function (app) => void');
  const peer = checkPeer(options.peer);
  const compress = compression(options.compressor !== undefined ? { compressor: options.compressor } : {});
  // Every feature is built (and its options checked) before anything is mounted or connected.
  const federated = federatedRoutes({ federated: options.federated, peer });
  const auth = adminAccess(options);
  const analytics = analyticsSettings(options.analytics);
  const app = new Hono();
  const analyticsApp = analyticsRoutes({ settings: analytics, meta: storage.meta, peer });
  const catalogApp = catalogRoutes({ ...options, trustedKeys });
  const adminApp = modelAdminRoutes({ ...options, storage, trustedKeys });
  const dashboardApp = dashboardRoutes({
    auth,
    storage,
    analytics: analytics.store,
    suppressBelow: analytics.suppressBelow,
    maxCellsPerDay: analytics.maxCellsPerDay,
    // The dashboard reads the rounds through the admin API, as any admin client would.
    fetch: (request, env) => app.fetch(request, env),
    peer,
  });
  // The federation's key is served beside the trusted keys, so widgets also run the versions rounds publish.
  const fedKey = options.federated?.federation.publicKey;
  const servedKeys = fedKey && !trustedKeys.some((k) => k.keyId === fedKey.keyId) ? [...trustedKeys, fedKey] : trustedKeys;
  const modelsApp = modelRoutes({ storage, keys: servedKeys, federated: options.federated !== undefined });
  const widgetApp = widgetFileRoutes(options.widget);

  app.onError(handleError);
  app.notFound(handleNotFound);
  app.use(securityHeaders());
  if (cors) {
    app.use('/v1/*', cors);
    app.use('/widget/*', cors);
  }
  // Inside security and CORS: it compresses the route's answer before they add their headers.
  app.use(compress);
  app.get('/healthz', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ ok: true });
  });
  // Before every other route, so it also guards the admin routes of every feature mounted after it.
  app.use('/v1/admin/*', requireAdmin(auth, peer));
  app.route('/', analyticsApp);
  app.route('/', catalogApp);
  app.route('/', adminApp);
  app.route('/dashboard', dashboardApp);
  app.route('/', modelsApp);
  app.route('/', federated);
  // Published rounds report their trending evidence to the analytics.
  options.federated?.federation.reportItemCountsTo?.(popularityStore(analytics.store, { halfLifeDays: analytics.halfLifeDays }));
  app.route('/', widgetApp);
  // Last, so a mounted route can never shadow a core one.
  mount?.(app);
  return app;
}
