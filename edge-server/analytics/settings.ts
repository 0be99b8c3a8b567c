/**
 * The analytics options of `createApp` (`analytics`), their defaults, and their check: once, when the
 * app is built, into the settings the analytics routes, the dashboard and the trending list share.
 */
import { isRecord, show } from '../../core/errors.ts';
import { hasMethods, optionError, positiveInt, type Fail } from '../../core/options.ts';
import { checkRateLimit, type RateLimit } from '../middleware/rate-limit.ts';
import { createMemoryAnalytics } from './memory.ts';
import { checkHalfLifeDays, POPULARITY_DEFAULTS } from './popularity.ts';
import type { AnalyticsStore } from './store.ts';

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

export interface AnalyticsSettings {
  store: AnalyticsStore;
  /** Smallest count the admin read-out shows. */
  suppressBelow: number;
  halfLifeDays: number;
  /** Most items per `/v1/popular` list. */
  popularLimit: number;
  /** Most distinct cells (counter and revenue keys) a model keeps per UTC day; new ones past it are dropped and counted. */
  maxCellsPerDay: number;
  /** Per-source limit on `POST /v1/metrics` batches. */
  metricsRateLimit: RateLimit;
}

export const ANALYTICS_DEFAULTS = {
  suppressBelow: 10,
  maxCellsPerDay: 5_000,
  metricsRateLimit: { perSecond: 5, burst: 120, sources: 10_000 } satisfies RateLimit,
  popularLimit: 50,
} as const;

const fail: Fail = optionError('createApp');

/** Checks the `analytics` option (once, when the app is built) and fills in defaults. @throws TypeError naming the field. */
export function analyticsSettings(options: unknown): AnalyticsSettings {
  if (options !== undefined && !isRecord(options)) fail('analytics must be an object');
  const a: AnalyticsOptions = options ?? {};
  const store: AnalyticsStore = a.store ?? createMemoryAnalytics();
  const storeMethods = ['addMetrics', 'readMetrics', 'readRevenue', 'readDropped', 'addItemCounts', 'readItemScores', 'putBestsellers', 'getBestsellers', 'startExperiment', 'endExperiment', 'getExperiments', 'readExperiment'];
  if (!hasMethods(store, storeMethods)) fail(`analytics.store must be an AnalyticsStore (${storeMethods.join(', ')})`);
  const halfLifeDays = checkHalfLifeDays(a.halfLifeDays ?? POPULARITY_DEFAULTS.halfLifeDays, 'analytics.halfLifeDays', fail);
  return {
    store,
    suppressBelow: positiveInt(fail, a.suppressBelow, 'analytics.suppressBelow', ANALYTICS_DEFAULTS.suppressBelow),
    halfLifeDays,
    popularLimit: positiveInt(fail, a.popularLimit, 'analytics.popularLimit', ANALYTICS_DEFAULTS.popularLimit),
    maxCellsPerDay: positiveInt(fail, a.maxCellsPerDay, 'analytics.maxCellsPerDay', ANALYTICS_DEFAULTS.maxCellsPerDay),
    metricsRateLimit: checkRateLimit(a.metricsRateLimit, 'analytics.metricsRateLimit', ANALYTICS_DEFAULTS.metricsRateLimit, fail),
  };
}
