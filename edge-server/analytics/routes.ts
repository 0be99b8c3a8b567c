/**
 * Aggregate analytics over HTTP: `POST /v1/metrics` (the widget's batches of counters and revenue sums), `GET /v1/popular`
 * (trending and bestsellers for the widget's fallback), and for the admin sub-app `GET /metrics` (the
 * read-out, small counts suppressed, with the model's experiment), `PUT /models/:name/bestsellers` and the
 * experiment routes (`experiment-routes.ts`).
 *
 * Nothing about the sender is kept: no address is logged, and a batch holds only counters (the parser
 * refuses any field it does not know). The sender's network source is read only to rate-limit it, in
 * memory (`rate-limit.ts`).
 */
import { Hono } from 'hono';
import { METRICS_LIMITS, parseMetricsBatch, TOKEN } from '../../core/analytics.ts';
import { MODEL_NAME } from '../../core/artifact/manifest.ts';
import { limitBody, readJson, requireMediaType } from '../middleware/body.ts';
import { ApiError } from '../middleware/errors.ts';
import { sourceKey, type PeerOf } from '../middleware/peer.ts';
import { rateLimiter } from '../middleware/rate-limit.ts';
import type { MetaStore } from '../models/storage.ts';
import { experimentAdminRoutes, readExperimentReadout } from './experiment-routes.ts';
import { computePopular, parseBestsellerIds } from './popularity.ts';
import { readReadout } from './readout-query.ts';
import type { AnalyticsSettings } from './settings.ts';


/** Trending moves with federated rounds (hours apart): five minutes of caching costs nothing in freshness. */
const POPULAR_CACHE = 'public, max-age=300';
/** How long a model's published versions are trusted from memory when checking a batch. */
const VERSIONS_TTL_MS = 60_000;

function modelParam(value: string | undefined): string {
  if (value === undefined || !TOKEN.test(value)) {
    throw new ApiError(400, 'bad_model', `?model= must name a model: 1-64 letters, digits, ".", "_" or "-" (got ${JSON.stringify(value ?? null)})`);
  }
  return value;
}

/**
 * The versions each model has published, from `meta`, remembered for a minute: counters are only
 * accepted for a published model and one of its versions (or `fallback`), so junk names cannot grow
 * the store, and the check does not cost a storage read per batch.
 */
function publishedVersions(meta: MetaStore): (model: string, fresh?: boolean) => Promise<Set<string> | null> {
  const cache = new Map<string, { versions: Set<string> | null; until: number }>();
  return async (model, fresh = false) => {
    const now = Date.now();
    const hit = cache.get(model);
    if (hit && hit.until > now && !fresh) return hit.versions;
    const record = MODEL_NAME.test(model) ? await meta.getModel(model) : null;
    const versions = record ? new Set(record.versions.map((v) => v.version)) : null;
    if (cache.size > 1000) cache.clear();
    cache.set(model, { versions, until: now + VERSIONS_TTL_MS });
    return versions;
  };
}

/**
 * `POST /v1/metrics` and `GET /v1/popular`. `peer` names each batch's source for the rate limit: a
 * source past it gets `429 rate_limited` with `Retry-After`, before its body is read.
 */
function publicRoutes(settings: AnalyticsSettings, meta: MetaStore, peer: PeerOf): Hono {
  const { store, halfLifeDays, popularLimit, maxCellsPerDay } = settings;
  const versionsOf = publishedVersions(meta);
  const limiter = rateLimiter(settings.metricsRateLimit);
  const routes = new Hono();

  routes.post('/metrics', async (c, next) => {
    const admission = limiter.take(sourceKey(peer(c).address));
    if (!admission.ok) {
      throw new ApiError(429, 'rate_limited', `too many metric batches from this network source; retry in ${admission.retryAfter} s`, { 'Retry-After': String(admission.retryAfter) });
    }
    return next();
  });
  routes.post('/metrics', limitBody(METRICS_LIMITS.bytes), async (c) => {
    // text/plain too: `navigator.sendBeacon` sends strings as text/plain, which needs no CORS preflight.
    requireMediaType(c, ['application/json', 'text/plain']);
    const batch = parseMetricsBatch(await readJson(c));
    const revenue = batch.revenue ?? [];
    const keys = [...batch.counters, ...revenue];
    let versions = await versionsOf(batch.model);
    if (versions && keys.some((k) => k.modelVersion !== 'fallback' && !versions!.has(k.modelVersion))) {
      // Maybe published within the last minute: look again once before refusing.
      versions = await versionsOf(batch.model, true);
    }
    if (!versions) throw new ApiError(404, 'unknown_model', `no model named ${JSON.stringify(batch.model)} is published`);
    const unknown = keys.find((k) => k.modelVersion !== 'fallback' && !versions.has(k.modelVersion));
    if (unknown) throw new ApiError(400, 'unknown_version', `model ${batch.model} has no version ${JSON.stringify(unknown.modelVersion)} (use "fallback" when no model ranked the cards)`);
    const experiments = { counters: batch.experiments ?? [], revenue: batch.experimentRevenue ?? [] };
    const entries = keys.length + experiments.counters.length + experiments.revenue.length;
    const { dropped } = await store.addMetrics(batch.model, new Date().toISOString().slice(0, 10), batch.counters, revenue, maxCellsPerDay, experiments);
    c.header('Cache-Control', 'no-store');
    // `dropped`: entries that were new cells of a day that already had `maxCellsPerDay` (the read-out lists
    // the days), and experiment entries for a name that is neither the model's running experiment nor a kept ended one.
    return c.json({ accepted: entries - dropped, dropped }, 202);
  });

  routes.get('/popular', async (c) => {
    const model = modelParam(c.req.query('model'));
    const limitText = c.req.query('limit');
    const limit = limitText === undefined ? popularLimit : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > popularLimit) {
      throw new ApiError(400, 'bad_limit', `?limit= must be an integer 1-${popularLimit} (got ${JSON.stringify(limitText)})`);
    }
    const popular = await computePopular(store, model, Date.now(), halfLifeDays, limit);
    c.header('Cache-Control', POPULAR_CACHE);
    return c.json(popular);
  });
  return routes;
}

/**
 * Admin read-outs and inputs; mounted under `/v1/admin` behind the admin token. `meta` tells which models
 * are published: a bestseller list for any other name would be stored where no widget reads it.
 */
function adminRoutes(settings: AnalyticsSettings, meta: MetaStore): Hono {
  const { store, suppressBelow, maxCellsPerDay } = settings;
  const routes = new Hono();

  routes.get('/metrics', async (c) => {
    const model = modelParam(c.req.query('model'));
    const [readout, experiment] = await Promise.all([
      readReadout(store, model, { to: c.req.query('to'), days: c.req.query('days'), limit: c.req.query('limit'), cursor: c.req.query('cursor') }, suppressBelow, maxCellsPerDay),
      readExperimentReadout(store, model, c.req.query('experiment'), suppressBelow),
    ]);
    c.header('Cache-Control', 'no-store');
    return c.json({ ...readout, experiment });
  });

  routes.put('/models/:name/bestsellers', limitBody(256 * 1024), async (c) => {
    const model = modelParam(c.req.param('name'));
    requireMediaType(c, ['application/json']);
    if (!MODEL_NAME.test(model) || !(await meta.getModel(model))) {
      throw new ApiError(404, 'unknown_model', `no model named ${JSON.stringify(model)} is published; a bestseller list belongs to a published model`);
    }
    const ids = parseBestsellerIds(await readJson(c));
    const list = { ids, updatedAt: new Date().toISOString() };
    await store.putBestsellers(model, list);
    c.header('Cache-Control', 'no-store');
    return c.json({ model, count: ids.length, updatedAt: list.updatedAt });
  });
  routes.route('/', experimentAdminRoutes(store, meta));
  return routes;
}

export interface AnalyticsRouteOptions {
  /** The checked `analytics` option (`analyticsSettings`). */
  settings: AnalyticsSettings;
  /** Which models are published: counters and bestseller lists are taken for those only. */
  meta: MetaStore;
  /** Who sent a batch: the source the metrics rate limit counts by. */
  peer: PeerOf;
}

/**
 * The analytics feature: `POST /v1/metrics`, `GET /v1/popular`, and behind the admin guard `GET /v1/admin/metrics`,
 * `PUT /v1/admin/models/:name/bestsellers` and `PUT|GET|DELETE /v1/admin/models/:name/experiment`.
 */
export function analyticsRoutes({ settings, meta, peer }: AnalyticsRouteOptions): Hono {
  return new Hono().route('/v1', publicRoutes(settings, meta, peer)).route('/v1/admin', adminRoutes(settings, meta));
}
