/**
 * What one read-out request reads: a range of UTC days (`?to=`, `?days=`) and one page of its finest
 * groups (`?limit=`, `?cursor=`). `GET /v1/admin/metrics` and the dashboard both read through here, so
 * each request does bounded work: at most `READOUT_LIMITS.days` days, each holding at most
 * `maxCellsPerDay` cells, and an answer of at most `READOUT_LIMITS.groups` groups (the other lists are
 * bounded by the closed sets of placements, copy variants and published versions).
 */
import { COPY_KINDS, PLACEMENTS, TOKEN } from '../../core/analytics.ts';
import { ApiError } from '../middleware/errors.ts';
import { metricsReadout, type MetricsReadout } from './readout.ts';
import type { AnalyticsStore } from './store.ts';

const READOUT_LIMITS = {
  /** Days a read-out sums by default: four whole weeks, ending today (UTC). */
  defaultDays: 28,
  /** Most days one read-out sums (a quarter); older ranges are read with `?to=`. */
  days: 92,
  /** Groups per page by default. */
  defaultGroups: 100,
  /** Most groups per page. */
  groups: 500,
} as const;

export interface ReadoutQuery {
  /** Last day summed, `YYYY-MM-DD`. Default: today (UTC). */
  to?: string | undefined;
  /** How many days, ending `to`. Default `READOUT_LIMITS.defaultDays`. */
  days?: string | undefined;
  limit?: string | undefined;
  cursor?: string | undefined;
}

const DAY_MS = 24 * 3600 * 1000;
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function dayParam(value: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : NaN;
  if (Number.isNaN(ms) || isoDay(ms) !== value) throw new ApiError(400, 'bad_range', `?to= must be a UTC day YYYY-MM-DD, e.g. ${isoDay(Date.now())} (got ${JSON.stringify(value)})`);
  return ms;
}

function intParam(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) throw new ApiError(400, `bad_${name}`, `?${name}= must be an integer 1-${max} (got ${JSON.stringify(value)})`);
  return n;
}

function cursorParam(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const [placement, version, variant, ...rest] = value.split('/');
  if (rest.length > 0 || !PLACEMENTS.includes(placement as never) || !TOKEN.test(version ?? '') || !TOKEN.test(variant ?? '')) {
    throw new ApiError(400, 'bad_cursor', `?cursor= must be the nextCursor of a read-out: placement/modelVersion/variant, e.g. for-you/v2/${COPY_KINDS[0]}.1 (got ${JSON.stringify(value)})`);
  }
  return value;
}

/**
 * Reads the model's read-out for one request's query (checked here: a bad value is a 400 naming it and
 * the valid range).
 */
export async function readReadout(store: AnalyticsStore, model: string, query: ReadoutQuery, k: number, maxCellsPerDay: number, now = Date.now()): Promise<MetricsReadout> {
  const toMs = query.to === undefined ? Date.parse(`${isoDay(now)}T00:00:00Z`) : dayParam(query.to);
  const days = intParam(query.days, 'days', READOUT_LIMITS.defaultDays, READOUT_LIMITS.days);
  const limit = intParam(query.limit, 'limit', READOUT_LIMITS.defaultGroups, READOUT_LIMITS.groups);
  const cursor = cursorParam(query.cursor);
  const range = { from: isoDay(toMs - (days - 1) * DAY_MS), to: isoDay(toMs) };
  const [rows, revenue, dropped] = await Promise.all([store.readMetrics(model, range), store.readRevenue(model, range), store.readDropped(model, range)]);
  return metricsReadout(model, rows, k, revenue, { ...range, limit, ...(cursor === undefined ? {} : { cursor }), maxCellsPerDay, dropped });
}
