/**
 * What the edge server adds beside model delivery for the people running a shop: aggregate analytics
 * (`/v1/metrics`, `/v1/popular`), the catalog (`/v1/catalog`), the admin API (`/v1/admin/*`) and the
 * dashboard (`/dashboard`). `createApp` checks these options once and installs the routes.
 */
import type { Hono } from 'hono';
import type { AppOptions } from './app.ts';
import type { TrustedKey } from '../core/artifact/signing.ts';
import { isRecord, show } from '../core/errors.ts';
import { adminAuth, checkAdminTokens, requireAdmin } from './admin/auth.ts';
import { localRegistry, type RegistryWriter } from './admin/registry-ops.ts';
import { modelAdminRoutes } from './admin/routes.ts';
import { createMemoryAnalytics } from './analytics/memory.ts';
import { checkHalfLifeDays, popularityStore, POPULARITY_DEFAULTS, type PopularityStore } from './analytics/popularity.ts';
import { analyticsAdminRoutes, analyticsRoutes, type AnalyticsSettings } from './analytics/routes.ts';
import type { AnalyticsStore } from './analytics/store.ts';
import { catalogAdminRoutes, catalogRoutes } from './catalog/routes.ts';
import { createMemoryCatalog, type CatalogStore } from './catalog/store.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import type { Storage } from './storage.ts';

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
}

/** The `createApp` options this module checks (documented there, on `AppOptions`). */
export type OperationsOptions = Pick<AppOptions, 'adminTokens' | 'analytics' | 'catalog' | 'registry' | 'maxArtifactBytes' | 'maxCatalogBytes'>;

export const OPERATIONS_DEFAULTS = {
  suppressBelow: 10,
  popularLimit: 50,
  /** Artifacts are a few MB (a 12k-item uint8 model is ~1 MB); 64 MiB leaves room for large catalogs' models. */
  maxArtifactBytes: 64 * 1024 * 1024,
  /** A 100k-product Merchant Center feed is ~50 MB of XML. */
  maxCatalogBytes: 64 * 1024 * 1024,
} as const;

export interface Operations {
  tokens: string[];
  analytics: AnalyticsSettings;
  catalog: CatalogStore;
  registry: RegistryWriter;
  maxArtifactBytes: number;
  maxCatalogBytes: number;
  /** Where the federated aggregation reports noised per-item counts (trending). */
  popularity: PopularityStore;
}

function fail(message: string): never {
  throw new TypeError(`createApp: ${message}`);
}

function positiveInt(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(`${name} must be a positive integer (got ${show(value)})`);
  return value;
}

const hasMethods = (value: unknown, names: readonly string[]): boolean => isRecord(value) && names.every((n) => typeof value[n] === 'function');

/** Checks the operations options (once, when the app is built) and fills in defaults. */
export function checkOperations(options: OperationsOptions, storage: Storage, trustedKeys: readonly TrustedKey[]): Operations {
  const tokens = checkAdminTokens(options.adminTokens ?? []);
  if (options.analytics !== undefined && !isRecord(options.analytics)) fail('analytics must be an object');
  const a: AnalyticsOptions = options.analytics ?? {};
  const store: AnalyticsStore = a.store ?? createMemoryAnalytics();
  const storeMethods = ['addMetrics', 'readMetrics', 'readRevenue', 'addItemCounts', 'readItemScores', 'putBestsellers', 'getBestsellers'];
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
  };
  const catalog = options.catalog ?? createMemoryCatalog();
  if (!hasMethods(catalog, ['get', 'put'])) fail('catalog must be a CatalogStore ({ get, put })');
  const registry = options.registry ?? localRegistry(storage, trustedKeys);
  if (!hasMethods(registry, ['publish', 'change'])) fail('registry must be a RegistryWriter ({ publish, change })');
  return {
    tokens,
    analytics,
    catalog,
    registry,
    maxArtifactBytes: positiveInt(options.maxArtifactBytes, 'maxArtifactBytes', OPERATIONS_DEFAULTS.maxArtifactBytes),
    maxCatalogBytes: positiveInt(options.maxCatalogBytes, 'maxCatalogBytes', OPERATIONS_DEFAULTS.maxCatalogBytes),
    popularity: popularityStore(store, { halfLifeDays }),
  };
}

/**
 * Installs the admin guard on `/v1/admin/*` (first, so it also guards admin routes added after it),
 * then the analytics, catalog, admin and dashboard routes.
 */
export function installOperations(app: Hono, ops: Operations, storage: Storage): void {
  const auth = adminAuth(ops.tokens);
  app.use('/v1/admin/*', requireAdmin(auth));
  app.route('/v1', analyticsRoutes(ops.analytics, storage.meta));
  app.route('/v1', catalogRoutes(ops.catalog));
  app.route('/v1/admin', analyticsAdminRoutes(ops.analytics, storage.meta));
  app.route('/v1/admin', catalogAdminRoutes(ops.catalog, ops.maxCatalogBytes));
  app.route('/v1/admin', modelAdminRoutes({ storage, registry: ops.registry, maxArtifactBytes: ops.maxArtifactBytes }));
  app.route(
    '/dashboard',
    dashboardRoutes({ auth, storage, analytics: ops.analytics.store, suppressBelow: ops.analytics.suppressBelow, fetch: (request, env) => app.fetch(request, env) }),
  );
}
