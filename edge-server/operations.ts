/**
 * What the edge server adds beside model delivery for the people running a shop: aggregate analytics
 * (`/v1/metrics`, `/v1/popular`), the catalog (`/v1/catalog`), the admin API (`/v1/admin/*`) and the
 * dashboard (`/dashboard`). `createApp` checks these options once and installs the routes.
 */
import type { Hono } from 'hono';
import type { TrustedKey } from '../core/artifact/signing.ts';
import { isRecord, show } from '../core/errors.ts';
import { adminAuth, checkAdminTokens, requireAdmin } from './admin/auth.ts';
import { checkAdminSessions, type AdminSessions } from './admin/sessions.ts';
import { localRegistry, type RegistryWriter } from './admin/registry-ops.ts';
import { modelAdminRoutes } from './admin/routes.ts';
import { createMemoryAnalytics } from './analytics/memory.ts';
import { checkHalfLifeDays, popularityStore, POPULARITY_DEFAULTS, type PopularityStore } from './analytics/popularity.ts';
import { analyticsAdminRoutes, analyticsRoutes, type AnalyticsSettings } from './analytics/routes.ts';
import type { AnalyticsStore } from './analytics/store.ts';
import { MAX_CATALOG_ITEMS } from '../core/catalog.ts';
import { catalogAdminRoutes, catalogRoutes } from './catalog/routes.ts';
import { inlineCatalogParser, type CatalogParser } from './catalog/parse.ts';
import { createMemoryCatalog, type CatalogStore } from './catalog/store.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { hasMethods, optionError, type Fail } from '../core/options.ts';
import type { PeerOf } from './middleware/peer.ts';
import { checkRateLimit, type RateLimit } from './middleware/rate-limit.ts';
import type { Storage } from './models/storage.ts';

export interface AnalyticsOptions {
  /**
   * Where counters, trending sums and bestseller lists are kept. Default: in memory (gone on restart);
   * the Node adapter passes `openDiskAnalytics(dir)`, the Workers adapter its Durable Object.
   */
  store?: AnalyticsStore;
  /**
   * Smallest count the admin read-out and dashboard show; smaller ones are reported as `null` ("<k").
   * Default 10: a cell of a handful of events can point at one shopper's visit.
   * @example 20
   */
  suppressBelow?: number;
  /**
   * Half-life of trending scores, in days. Default 7: a week-old count weighs half of today's.
   * @example 3
   */
  halfLifeDays?: number;
  /**
   * Most items in each `/v1/popular` list (and the largest `?limit=`). Default 50: more than any row of
   * cards shows, after the widget drops out-of-stock and already-bought items.
   * @example 100
   */
  popularLimit?: number;
  /**
   * Most distinct cells (day × placement × version × variant × event counters, and revenue keys) kept per
   * model and UTC day. Past it, a batch's new cells are dropped and counted (the read-out and dashboard
   * show the drop) while existing cells keep counting. Default 5,000: twice what every placement, built-in
   * copy variant, event and currency of four versions in one day can make, and a bound on what a flood of
   * forged batches can add (about 1 MB of memory per model and day on Node).
   * @example 20_000
   */
  maxCellsPerDay?: number;
  /**
   * Per-source limit on `POST /v1/metrics` (a source is an IPv4 address or an IPv6 /64, `peer.ts`): a token
   * bucket per source, `429 rate_limited` with `Retry-After` past it. Default `{ perSecond: 5, burst: 120,
   * sources: 10_000 }`: a widget tab sends a batch every `METRICS_FLUSH_MS` (60 s) while open and one or two
   * each time its page is hidden or left, so a shopper browsing a page every 3 s sends about 0.4 a second;
   * this takes 8 such shoppers with 2 tabs each behind one address (a household, an office) without a
   * refusal, and holds a flood from one address to 5 batches a second. `sources` bounds the limiter's
   * memory (about 1 MB).
   * @example { perSecond: 10, burst: 300 } // many shoppers behind one carrier-grade NAT address
   */
  metricsRateLimit?: Partial<RateLimit>;
}

/** The `createApp` options for analytics, the catalog, the admin API and the dashboard. */
export interface OperationsOptions {
  /**
   * Bearer tokens that unlock `/v1/admin/*` and `/dashboard`, compared in constant time. Default `[]`:
   * the admin API and dashboard answer 404, so a server nobody set up for administration has none.
   * Each 16-512 characters of A-Z a-z 0-9 - . _ ~ + / (RFC 6750 syntax); several allow a rotation.
   * @example [process.env.EDGE_RECS_ADMIN_TOKEN] // e.g. made by `openssl rand -hex 24`
   */
  adminTokens?: readonly string[];
  /**
   * Aggregate analytics: where counters are kept, the read-out's suppression threshold, the trending
   * half-life. Default: in-memory store, k = 10, 7 days (see `AnalyticsOptions`).
   * @example { store: await openDiskAnalytics('.edge-recs/analytics'), suppressBelow: 20 }
   */
  analytics?: AnalyticsOptions;
  /**
   * Where the catalog served at `/v1/catalog` is kept. Default: in memory (gone on restart); adapters
   * pass a durable one (`openDiskCatalog(dir)` on Node, R2 on Workers).
   * @example await openDiskCatalog('.edge-recs/catalog')
   */
  catalog?: CatalogStore;
  /**
   * How admin writes (publish, promote, rollback, canary) reach the model records. Default:
   * `localRegistry(storage, trustedKeys)`, in this process. The Workers adapter routes them to each
   * model's Durable Object, the single writer of its record there.
   * @example { publish: (a) => publishToRegistry(env.MODELS, a), change: (n, c) => changeInRegistry(env.MODELS, n, c) }
   */
  registry?: RegistryWriter;
  /**
   * Largest artifact upload (`POST /v1/admin/models/:name/versions`), in bytes. Default 64 MiB: a
   * 12k-item uint8 model is about 1 MB, so this leaves room while bounding what one request can buffer.
   * @example 256 * 1024 * 1024
   */
  maxArtifactBytes?: number;
  /**
   * Largest catalog upload (`PUT /v1/admin/catalog`), in bytes. Default 64 MiB: a 100k-product XML feed
   * is about 50 MB.
   * @example 16 * 1024 * 1024
   */
  maxCatalogBytes?: number;
  /**
   * Most products a catalog upload may hold (feed items, TSV rows, JSON products). Default 200,000
   * (`MAX_CATALOG_ITEMS`): twice a large shop's range, while bounding what one upload makes the server
   * parse and keep and every widget download. A feed over it is refused with 400 `too_many_items` as
   * soon as its item number `maxCatalogItems + 1` is read.
   * @example 500_000
   */
  maxCatalogItems?: number;
  /**
   * Where a catalog upload is parsed and checked. Default: inline, in the request's own task (right on
   * Workers, where each request has its own CPU budget). The Node adapter passes
   * `workerCatalogParser()` (`adapters/node/catalog-parser.ts`), a worker thread, so a 100k-product feed
   * does not pause `/healthz` and every other request for the seconds it takes.
   * @example parseCatalog: workerCatalogParser()
   */
  parseCatalog?: CatalogParser;
  /**
   * Where dashboard sessions and wrong admin tokens per source are kept: a logout ends its session for
   * every process or isolate that shares this store. Default: this process's memory (a restart ends
   * every session). Node's `main.ts` keeps sessions in the data directory (`openDiskAdminSessions`),
   * Workers in a Durable Object (`durableAdminSessions`).
   * @example adminSessions: await openDiskAdminSessions('.edge-recs/admin-sessions')
   */
  adminSessions?: AdminSessions;
}

export const OPERATIONS_DEFAULTS = {
  suppressBelow: 10,
  maxCellsPerDay: 5_000,
  metricsRateLimit: { perSecond: 5, burst: 120, sources: 10_000 } satisfies RateLimit,
  popularLimit: 50,
  /** Artifacts are a few MB (a 12k-item uint8 model is ~1 MB); 64 MiB leaves room for large catalogs' models. */
  maxArtifactBytes: 64 * 1024 * 1024,
  /** A 100k-product Merchant Center feed is ~50 MB of XML. */
  maxCatalogBytes: 64 * 1024 * 1024,
  maxCatalogItems: MAX_CATALOG_ITEMS,
} as const;

export interface Operations {
  tokens: string[];
  analytics: AnalyticsSettings;
  catalog: CatalogStore;
  registry: RegistryWriter;
  maxArtifactBytes: number;
  maxCatalogBytes: number;
  maxCatalogItems: number;
  parseCatalog: CatalogParser;
  /** Keys a signed catalog upload must be signed by (`AppOptions.trustedKeys`, the keys models are signed by). */
  trustedKeys: readonly TrustedKey[];
  /** Where the federated aggregation reports noised per-item counts (trending). */
  popularity: PopularityStore;
  /** Live dashboard sessions and wrong admin tokens per source. */
  adminSessions: AdminSessions;
}

const fail: Fail = optionError('createApp');

function positiveInt(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(`${name} must be a positive integer (got ${show(value)})`);
  return value;
}

function rateLimitOption(value: unknown): RateLimit {
  try {
    return checkRateLimit(value, 'analytics.metricsRateLimit', OPERATIONS_DEFAULTS.metricsRateLimit);
  } catch (err) {
    fail((err as Error).message);
  }
}

/** Checks the operations options (once, when the app is built) and fills in defaults. */
export function checkOperations(options: OperationsOptions, storage: Storage, trustedKeys: readonly TrustedKey[]): Operations {
  const tokens = checkAdminTokens(options.adminTokens ?? []);
  if (options.analytics !== undefined && !isRecord(options.analytics)) fail('analytics must be an object');
  const a: AnalyticsOptions = options.analytics ?? {};
  const store: AnalyticsStore = a.store ?? createMemoryAnalytics();
  const storeMethods = ['addMetrics', 'readMetrics', 'readRevenue', 'readDropped', 'addItemCounts', 'readItemScores', 'putBestsellers', 'getBestsellers'];
  if (!hasMethods(store, storeMethods)) fail(`analytics.store must be an AnalyticsStore (${storeMethods.join(', ')})`);
  let halfLifeDays: number;
  try {
    halfLifeDays = checkHalfLifeDays(a.halfLifeDays ?? POPULARITY_DEFAULTS.halfLifeDays, 'analytics.halfLifeDays');
  } catch (err) {
    fail((err as Error).message);
  }
  const analytics: AnalyticsSettings = {
    store,
    suppressBelow: positiveInt(a.suppressBelow, 'analytics.suppressBelow', OPERATIONS_DEFAULTS.suppressBelow),
    halfLifeDays,
    popularLimit: positiveInt(a.popularLimit, 'analytics.popularLimit', OPERATIONS_DEFAULTS.popularLimit),
    maxCellsPerDay: positiveInt(a.maxCellsPerDay, 'analytics.maxCellsPerDay', OPERATIONS_DEFAULTS.maxCellsPerDay),
    metricsRateLimit: rateLimitOption(a.metricsRateLimit),
  };
  const catalog = options.catalog ?? createMemoryCatalog();
  if (!hasMethods(catalog, ['get', 'put'])) fail('catalog must be a CatalogStore ({ get, put })');
  const parseCatalog = options.parseCatalog ?? inlineCatalogParser;
  if (typeof parseCatalog !== 'function') fail('parseCatalog must be a function ({ body, format, maxItems }) => Promise<ParsedCatalog>');
  const registry = options.registry ?? localRegistry(storage, trustedKeys);
  if (!hasMethods(registry, ['publish', 'change'])) fail('registry must be a RegistryWriter ({ publish, change })');
  return {
    tokens,
    analytics,
    catalog,
    registry,
    maxArtifactBytes: positiveInt(options.maxArtifactBytes, 'maxArtifactBytes', OPERATIONS_DEFAULTS.maxArtifactBytes),
    maxCatalogBytes: positiveInt(options.maxCatalogBytes, 'maxCatalogBytes', OPERATIONS_DEFAULTS.maxCatalogBytes),
    maxCatalogItems: positiveInt(options.maxCatalogItems, 'maxCatalogItems', OPERATIONS_DEFAULTS.maxCatalogItems),
    parseCatalog,
    trustedKeys,
    popularity: popularityStore(store, { halfLifeDays }),
    adminSessions: checkAdminSessions(options.adminSessions),
  };
}

/**
 * Installs the admin guard on `/v1/admin/*` (first, so it also guards admin routes added after it),
 * then the analytics, catalog, admin and dashboard routes.
 */
export function installOperations(app: Hono, ops: Operations, storage: Storage, peer: PeerOf): void {
  const auth = adminAuth(ops.tokens, ops.adminSessions);
  app.use('/v1/admin/*', requireAdmin(auth, peer));
  app.route('/v1', analyticsRoutes(ops.analytics, storage.meta, peer));
  app.route('/v1', catalogRoutes(ops.catalog));
  app.route('/v1/admin', analyticsAdminRoutes(ops.analytics, storage.meta));
  app.route('/v1/admin', catalogAdminRoutes(ops.catalog, { maxBytes: ops.maxCatalogBytes, maxItems: ops.maxCatalogItems, parse: ops.parseCatalog, trusted: ops.trustedKeys }));
  app.route('/v1/admin', modelAdminRoutes({ storage, registry: ops.registry, maxArtifactBytes: ops.maxArtifactBytes }));
  app.route(
    '/dashboard',
    dashboardRoutes({ auth, storage, analytics: ops.analytics.store, suppressBelow: ops.analytics.suppressBelow, maxCellsPerDay: ops.analytics.maxCellsPerDay, fetch: (request, env) => app.fetch(request, env), peer }),
  );
}
