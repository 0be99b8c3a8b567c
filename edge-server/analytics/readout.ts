/**
 * The admin read-out of summed counters, with small counts suppressed: a cell under `k` is reported as
 * `null`, and so is any ratio that would need one. Small cells are where a count can point at a single
 * shopper ("the one purchase from the cart row of variant B yesterday"), so they are never shown.
 */
import { METRIC_EVENTS, type MetricEvent } from '../../core/analytics.ts';
import type { MetricRow } from './store.ts';

/** Counts per event; `null` when below the suppression threshold. */
export type EventCounts = Record<MetricEvent, number | null>;

export interface Rates {
  /** Clicks per impression. */
  ctr: number | null;
  /** Purchases per click. */
  conversion: number | null;
}

export interface MetricsReadout {
  model: string;
  /** Counts below this are reported as `null`. */
  suppressedBelow: number;
  /** Per placement, over every version and variant. */
  byPlacement: Array<{ placement: string } & EventCounts & Rates>;
  /** Per placement and copy variant, over every model version. */
  byVariant: Array<{ placement: string; variant: string } & EventCounts & Rates>;
  /** Per model version, over every placement and variant. */
  byVersion: Array<{ modelVersion: string } & EventCounts & Rates>;
  /** Per placement, model version and variant: the finest cells stored. */
  groups: Array<{ placement: string; modelVersion: string; variant: string } & EventCounts & Rates>;
  /** Per UTC day and placement, oldest first: for charts. */
  daily: Array<{ day: string; placement: string } & EventCounts & Rates>;
}

const round = (x: number): number => Math.round(x * 10_000) / 10_000;

function ratio(num: number | null, den: number | null): number | null {
  return num === null || den === null || den === 0 ? null : round(num / den);
}

function summarize<K extends Record<string, string>>(rows: readonly MetricRow[], keyOf: (row: MetricRow) => K, k: number): Array<K & EventCounts & Rates> {
  const sums = new Map<string, { key: K; counts: Record<MetricEvent, number> }>();
  for (const row of rows) {
    const key = keyOf(row);
    const id = JSON.stringify(key);
    let entry = sums.get(id);
    if (!entry) sums.set(id, (entry = { key, counts: { impression: 0, click: 0, add_to_cart: 0, purchase: 0 } }));
    entry.counts[row.event] += row.count;
  }
  return [...sums.values()]
    .sort((a, b) => (JSON.stringify(Object.values(a.key)) < JSON.stringify(Object.values(b.key)) ? -1 : 1))
    .map(({ key, counts }) => {
      const shown = Object.fromEntries(METRIC_EVENTS.map((e) => [e, counts[e] >= k ? counts[e] : null])) as EventCounts;
      return { ...key, ...shown, ctr: ratio(shown.click, shown.impression), conversion: ratio(shown.purchase, shown.click) };
    });
}

/** Builds the read-out; `k` is the smallest count shown (1 shows everything). */
export function metricsReadout(model: string, rows: readonly MetricRow[], k: number): MetricsReadout {
  return {
    model,
    suppressedBelow: k,
    byPlacement: summarize(rows, (r) => ({ placement: r.placement }), k),
    byVariant: summarize(rows, (r) => ({ placement: r.placement, variant: r.variant }), k),
    byVersion: summarize(rows, (r) => ({ modelVersion: r.modelVersion }), k),
    groups: summarize(rows, (r) => ({ placement: r.placement, modelVersion: r.modelVersion, variant: r.variant }), k),
    daily: summarize(rows, (r) => ({ day: r.day, placement: r.placement }), k),
  };
}
