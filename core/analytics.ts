/**
 * The aggregate-analytics contract between the widget (which counts) and the edge server (which sums
 * and reads out): `POST /v1/metrics` bodies and `GET /v1/popular` answers. By construction a batch holds
 * only counters keyed by placement, model version and copy variant: no user or device identifier, no
 * item ids, no timestamps finer than the batch itself.
 */
import { ContractError, isRecord, show } from './errors.ts';

/** Where a row of recommendations sits on a page: the `placement` attribute of `<edge-recs>`. */
export const PLACEMENTS = ['for-you', 'similar', 'cart', 'recently-viewed', 'trending'] as const;
export type Placement = (typeof PLACEMENTS)[number];

/** What the widget counts per card: shown, clicked, added to the cart from a card, bought after a click. */
export const METRIC_EVENTS = ['impression', 'click', 'add_to_cart', 'purchase'] as const;
export type MetricEvent = (typeof METRIC_EVENTS)[number];

/** One counter: how many times `event` happened for cards of this placement, model version and copy variant. */
export interface MetricCounter {
  placement: Placement;
  /** Version of the model that ranked the cards (`manifest.version`), or `fallback` when no model ranked them. */
  modelVersion: string;
  /** Copy variant id of the card's line (e.g. `viewed.1`), or `none`. */
  variant: string;
  event: MetricEvent;
  count: number;
}

/** `POST /v1/metrics` body. */
export interface MetricsBatch {
  /** Model name (`data-model`), e.g. `default`. */
  model: string;
  counters: MetricCounter[];
}

/** Limits a batch must respect; the widget flushes before reaching them. */
export const METRICS_LIMITS = {
  /** Counters per batch. */
  counters: 256,
  /** Largest single count: a page cannot honestly show a card more often between two flushes. */
  count: 10_000,
  /** Body size in bytes, checked by the server before parsing. */
  bytes: 64 * 1024,
} as const;

/** Identifier syntax shared by model names, versions and variant ids. */
export const TOKEN = /^[A-Za-z0-9][\w.-]{0,63}$/;

function token(raw: Record<string, unknown>, key: string, where: string): string {
  const value = raw[key];
  if (typeof value !== 'string' || !TOKEN.test(value)) {
    throw new ContractError('bad_metrics', `${where}: "${key}" must be 1-64 letters, digits, ".", "_" or "-" (got ${show(value)})`);
  }
  return value;
}

function oneOf<T extends string>(raw: Record<string, unknown>, key: string, where: string, allowed: readonly T[]): T {
  const value = raw[key];
  if (!allowed.includes(value as T)) throw new ContractError('bad_metrics', `${where}: "${key}" must be one of ${allowed.join(', ')} (got ${show(value)})`);
  return value as T;
}

/**
 * Validates a `POST /v1/metrics` body. Unknown fields are refused rather than ignored: a field we do
 * not know could be an identifier a misconfigured client should never have sent.
 * @throws ContractError `bad_metrics` naming the first offending counter and field.
 */
export function parseMetricsBatch(raw: unknown): MetricsBatch {
  if (!isRecord(raw)) throw new ContractError('bad_metrics', `metrics: expected {"model", "counters": [...]} (got ${show(raw)})`);
  const extra = Object.keys(raw).filter((k) => k !== 'model' && k !== 'counters');
  if (extra.length > 0) throw new ContractError('bad_metrics', `metrics: unknown field "${extra[0]}"`);
  const model = token(raw, 'model', 'metrics');
  if (!Array.isArray(raw.counters) || raw.counters.length === 0 || raw.counters.length > METRICS_LIMITS.counters) {
    throw new ContractError('bad_metrics', `metrics: "counters" must be an array of 1-${METRICS_LIMITS.counters} counters`);
  }
  const counters = raw.counters.map((c: unknown, i): MetricCounter => {
    const where = `metrics.counters[${i}]`;
    if (!isRecord(c)) throw new ContractError('bad_metrics', `${where}: expected an object (got ${show(c)})`);
    const unknown = Object.keys(c).find((k) => !['placement', 'modelVersion', 'variant', 'event', 'count'].includes(k));
    if (unknown) throw new ContractError('bad_metrics', `${where}: unknown field "${unknown}"`);
    const count = c.count;
    if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > METRICS_LIMITS.count) {
      throw new ContractError('bad_metrics', `${where}: "count" must be an integer 1-${METRICS_LIMITS.count} (got ${show(count)})`);
    }
    return {
      placement: oneOf(c, 'placement', where, PLACEMENTS),
      modelVersion: token(c, 'modelVersion', where),
      variant: token(c, 'variant', where),
      event: oneOf(c, 'event', where, METRIC_EVENTS),
      count: count as number,
    };
  });
  return { model, counters };
}

/** One item of a popularity list, by catalog id, with the aggregate score it was ranked by. */
export interface PopularItem {
  id: string;
  score: number;
}

/**
 * `GET /v1/popular?model=NAME`: the widget's non-personal fallbacks, computed by the server from
 * aggregates only. `trending`: most add-to-carts and purchases over the recent window, decayed;
 * `bestsellers`: most purchases overall. Either may be empty while too little has been counted.
 */
export interface Popular {
  updatedAt: string;
  trending: PopularItem[];
  bestsellers: PopularItem[];
}

/** Validates a `GET /v1/popular` answer (the widget checks what it is given, like everything else). */
export function parsePopular(raw: unknown): Popular {
  if (!isRecord(raw) || typeof raw.updatedAt !== 'string' || !Array.isArray(raw.trending) || !Array.isArray(raw.bestsellers)) {
    throw new ContractError('bad_popular', 'popular: expected {"updatedAt", "trending": [...], "bestsellers": [...]}');
  }
  const list = (items: unknown[], key: string): PopularItem[] =>
    items.map((item, i) => {
      if (!isRecord(item) || typeof item.id !== 'string' || item.id.length === 0 || typeof item.score !== 'number' || !Number.isFinite(item.score)) {
        throw new ContractError('bad_popular', `popular.${key}[${i}]: expected {"id": string, "score": number} (got ${show(item)})`);
      }
      return { id: item.id, score: item.score };
    });
  return { updatedAt: raw.updatedAt, trending: list(raw.trending, 'trending'), bestsellers: list(raw.bestsellers, 'bestsellers') };
}
