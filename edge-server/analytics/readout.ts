/**
 * The admin read-out of summed counters and revenue, with small counts suppressed: a cell from 1 to
 * `k - 1` is reported as `null`, and so is any ratio that would need one; a currency's revenue is `null`
 * when fewer than `k` purchases make up its amount (the `purchases` of its revenue sums: purchases whose
 * lines carry a share of it, so a purchase without a price, which adds nothing, does not count). Small
 * cells are where a figure can point at a single shopper ("the one purchase from the cart row of variant
 * B yesterday", "the 89 EUR of the one priced purchase among nine free ones"), so they are never shown. A
 * 0 is shown: no shopper is behind it. A ratio with a denominator of 0 (CTR without impressions,
 * conversion without clicks) is `null` too: there is no such rate.
 */
import { METRIC_EVENTS, type MetricEvent } from '../../core/analytics.ts';
import { fromMinor, minorDigits } from '../../core/currency.ts';
import type { DroppedDay, MetricRow, RevenueRow } from './store.ts';

/** Counts per event; `null` when from 1 to below the suppression threshold (0 is shown). */
export type EventCounts = Record<MetricEvent, number | null>;

export interface Rates {
  /** Clicks per impression. */
  ctr: number | null;
  /** Purchases per click. */
  conversion: number | null;
}

/**
 * Revenue in one currency. `amount` and the rates are `null` when fewer than k purchases make up the
 * amount; `orders` is a count like the others (`null` from 1 to k - 1).
 */
export interface RevenueFigures {
  /**
   * Orders credited to the row. Each attributed order is credited to one placement × version × variant
   * (the one whose clicked products carry the largest share of its attributed value), so orders add up
   * over rows and levels: one real order counts once in all. Not `purchase`, which counts each clicked
   * product bought. 0 where the row only has shares of orders credited to other rows.
   */
  orders: number | null;
  /**
   * The row's clicked products' share of every order they were in (also of orders credited to another
   * row), exact, in major units as a decimal string: `"1234.50"` EUR, `"1200"` JPY.
   */
  amount: string | null;
  /** Amount per impression and per click, in major units (rounded to two digits below the minor unit). */
  perImpression: number | null;
  perClick: number | null;
}

/** Revenue by ISO 4217 currency code; `{}` where nothing was bought after a click. */
export interface RevenueByCurrency {
  revenue: Record<string, RevenueFigures>;
}

type Figures = EventCounts & Rates & RevenueByCurrency;

export interface MetricsReadout {
  model: string;
  /** Counts from 1 to below this (and revenue made of fewer purchases) are reported as `null`; 0 is shown. */
  suppressedBelow: number;
  /** The UTC days every figure sums, `YYYY-MM-DD`, both included. */
  from: string;
  to: string;
  /** Per placement, over every version and variant. */
  byPlacement: Array<{ placement: string } & Figures>;
  /** Per placement and copy variant, over every model version. */
  byVariant: Array<{ placement: string; variant: string } & Figures>;
  /** Per model version, over every placement and variant: what a canary is judged by. */
  byVersion: Array<{ modelVersion: string } & Figures>;
  /** Per placement, model version and variant: the finest cells stored, one page of them (`limit`, `cursor`), in key order. */
  groups: Array<{ placement: string; modelVersion: string; variant: string } & Figures>;
  /** How many groups there are in all pages. */
  groupCount: number;
  /** `?cursor=` of the next page of groups; `null` on the last page. */
  nextCursor: string | null;
  /** Per UTC day and placement, oldest first: for charts. */
  daily: Array<{ day: string; placement: string } & Figures>;
  /** Most distinct cells a model keeps per day (`analytics.maxCellsPerDay`). */
  maxCellsPerDay: number;
  /** Days of the range that reached `maxCellsPerDay`, with the counters and revenue sums not counted as a result. */
  dropped: DroppedDay[];
}

/** What a read-out covers and how much of it it lists; every field has a default for tests that read a whole store. */
export interface ReadoutOptions {
  /** First and last UTC day summed. Default: the days of the rows. */
  from?: string;
  to?: string;
  /** Most groups listed. Default: all. */
  limit?: number;
  /** List groups after this one (`nextCursor` of the page before). */
  cursor?: string;
  maxCellsPerDay?: number;
  dropped?: DroppedDay[];
}

/** `x` to `digits` decimals, as a number. */
export const round = (x: number, digits = 4): number => Number(x.toFixed(digits));

function ratio(num: number | null, den: number | null): number | null {
  return num === null || den === null || den === 0 ? null : round(num / den);
}

type Row = Pick<MetricRow, 'day' | 'placement' | 'modelVersion' | 'variant'>;

interface Sums<K> {
  key: K;
  counts: Record<MetricEvent, number>;
  /** Per currency: [orders, amount in minor units, purchases making up the amount]. */
  revenue: Map<string, [number, number, number]>;
}

/** A count as the read-out shows it: 0, or `k` and more; `null` from 1 to `k - 1`. */
export const shownCount = (n: number, k: number): number | null => (n === 0 || n >= k ? n : null);

/**
 * Revenue per currency, hidden where its amount is made of fewer than `k` purchases (its own count, not
 * the row's `purchase` counter, which also counts purchases without a price or in another currency). An
 * amount of 0 is shown like a count of 0; any other amount has at least 1 purchase, so k = 1 shows every
 * figure.
 */
function revenueFigures(revenue: Map<string, [number, number, number]>, shown: EventCounts, k: number): Record<string, RevenueFigures> {
  const out: Record<string, RevenueFigures> = {};
  for (const currency of [...revenue.keys()].sort()) {
    const [orders, minor, purchases] = revenue.get(currency)!;
    if (minor > 0 && purchases < k) {
      out[currency] = { orders: shownCount(orders, k), amount: null, perImpression: null, perClick: null };
      continue;
    }
    const major = minor / 10 ** minorDigits(currency);
    const per = (den: number | null): number | null => (den === null || den === 0 ? null : round(major / den, minorDigits(currency) + 2));
    out[currency] = { orders: shownCount(orders, k), amount: fromMinor(minor, currency), perImpression: per(shown.impression), perClick: per(shown.click) };
  }
  return out;
}

/**
 * A key's parts joined by U+0001, below every character they can hold, so that keys sort as their
 * parts do one by one (`v1` before `v10`).
 */
const idOf = (parts: readonly string[]): string => parts.join('\u0001');

function summarize<K extends Record<string, string>>(rows: readonly MetricRow[], revenue: readonly RevenueRow[], keyOf: (row: Row) => K, k: number): Array<K & Figures> {
  const sums = new Map<string, Sums<K>>();
  const entry = (row: Row): Sums<K> => {
    const key = keyOf(row);
    const id = idOf(Object.values(key));
    let e = sums.get(id);
    if (!e) sums.set(id, (e = { key, counts: { impression: 0, click: 0, add_to_cart: 0, purchase: 0 }, revenue: new Map() }));
    return e;
  };
  for (const row of rows) entry(row).counts[row.event] += row.count;
  for (const row of revenue) {
    const cell = entry(row).revenue;
    const [orders, amount, purchases] = cell.get(row.currency) ?? [0, 0, 0];
    cell.set(row.currency, [orders + row.orders, amount + row.amount, purchases + row.purchases]);
  }
  return [...sums]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { key, counts, revenue: byCurrency }]) => {
      // 0 is shown whatever k: it points at no shopper.
      const shown = Object.fromEntries(METRIC_EVENTS.map((e) => [e, shownCount(counts[e], k)])) as EventCounts;
      return {
        ...key,
        ...shown,
        ctr: ratio(shown.click, shown.impression),
        conversion: ratio(shown.purchase, shown.click),
        revenue: revenueFigures(byCurrency, shown, k),
      };
    });
}

/** A group's place in the list, as `?cursor=` names it: `placement/modelVersion/variant` (none of them holds "/"). */
const cursorOf = (g: { placement: string; modelVersion: string; variant: string }): string => `${g.placement}/${g.modelVersion}/${g.variant}`;

/**
 * Builds the read-out of the rows given (the store's rows of the days `from` to `to`); `k` is the
 * smallest count shown (1 shows everything). The work is linear in the rows, which a store holds at most
 * `maxCellsPerDay` of per day.
 */
export function metricsReadout(model: string, rows: readonly MetricRow[], k: number, revenue: readonly RevenueRow[] = [], options: ReadoutOptions = {}): MetricsReadout {
  const days = [...rows, ...revenue].map((r) => r.day).sort();
  const all = summarize(rows, revenue, (r) => ({ placement: r.placement, modelVersion: r.modelVersion, variant: r.variant }), k);
  const after = options.cursor === undefined ? undefined : idOf(options.cursor.split('/'));
  const start = after === undefined ? 0 : all.findIndex((g) => idOf([g.placement, g.modelVersion, g.variant]) > after);
  const first = start < 0 ? all.length : start;
  const groups = all.slice(first, options.limit === undefined ? undefined : first + options.limit);
  const last = groups.at(-1);
  return {
    model,
    suppressedBelow: k,
    from: options.from ?? days[0] ?? '',
    to: options.to ?? days.at(-1) ?? '',
    byPlacement: summarize(rows, revenue, (r) => ({ placement: r.placement }), k),
    byVariant: summarize(rows, revenue, (r) => ({ placement: r.placement, variant: r.variant }), k),
    byVersion: summarize(rows, revenue, (r) => ({ modelVersion: r.modelVersion }), k),
    groups,
    groupCount: all.length,
    nextCursor: last !== undefined && first + groups.length < all.length ? cursorOf(last) : null,
    daily: summarize(rows, revenue, (r) => ({ day: r.day, placement: r.placement }), k),
    maxCellsPerDay: options.maxCellsPerDay ?? Infinity,
    dropped: options.dropped ?? [],
  };
}
