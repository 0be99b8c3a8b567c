/**
 * The aggregate-analytics contract between the widget (which counts) and the edge server (which sums
 * and reads out): `POST /v1/metrics` bodies and `GET /v1/popular` answers. By construction a batch holds
 * only counters and revenue sums keyed by placement, model version and copy variant (and currency): no
 * user or device identifier, no item ids, no order ids, no timestamps finer than the batch itself.
 */
import { isCurrency } from './currency.ts';
import { ContractError, isRecord, show } from './errors.ts';
import { parseExperiment, parseExperimentCounters, parseExperimentRevenue, type Experiment, type ExperimentCounter, type ExperimentRevenue } from './experiment.ts';

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
  /** Copy variant id of the card's line (e.g. `viewed.1`), or `none`: one of the closed set `isCopyVariant` accepts. */
  variant: string;
  event: MetricEvent;
  count: number;
}

/**
 * Revenue of attributed purchases for cards of one placement, model version and copy variant, in one
 * currency: how many orders are credited to these cards, how many purchases make up the sum, and the sum
 * credited, in the currency's minor units. An order is credited to one key (the one whose clicked
 * products carry most of its attributed value), so `orders` add up over keys; its revenue is split over
 * every key by their products' lines, so `amount` may hold shares of orders credited to other keys.
 */
export interface RevenueSum {
  placement: Placement;
  modelVersion: string;
  variant: string;
  /** ISO 4217 code, upper case (`EUR`). */
  currency: string;
  /** Orders credited to these cards (0 where the sum holds only shares of other keys' orders). */
  orders: number;
  /**
   * Attributed product purchases whose lines make up `amount` (a share above 0; a purchase without a
   * price adds nothing, so it does not count here): at least 1 where `amount` is above 0. The read-out
   * hides the amount while fewer than k are behind it.
   */
  purchases: number;
  /** Integer sum in minor units (`1250` is 12.50 EUR, ¥1250 is `1250`): exact, whatever the number of orders. */
  amount: number;
}

/**
 * The purchases behind a revenue sum that carries none: one sent by a widget, or stored by a server,
 * from before `purchases` was counted. The least it can hold: 1 where it has an amount, else 0, so its
 * revenue is never shown on more purchases than it had.
 */
export function purchasesBehind(sum: { amount: number; purchases?: number | undefined }): number {
  return sum.purchases ?? (sum.amount > 0 ? 1 : 0);
}

/** `POST /v1/metrics` body. */
export interface MetricsBatch {
  /** Model name (`data-model`), e.g. `default`. */
  model: string;
  counters: MetricCounter[];
  /** Revenue sums; absent or empty when no attributed purchase happened since the last batch. */
  revenue?: RevenueSum[];
  /** Session counts per experiment arm (`core/experiment.ts`); absent when the device is in no experiment. */
  experiments?: ExperimentCounter[];
  /** Session revenue per experiment arm and currency; absent when there is none. */
  experimentRevenue?: ExperimentRevenue[];
}

/**
 * Reason kinds of card copy (`widget/copy/templates.ts`): each kind has a short list of templates, and a
 * card's line is the kind and its index in the list, `viewed.1`. Here so that the widget and the server
 * share one definition of the copy variant ids a batch may name.
 */
export const COPY_KINDS = ['viewed', 'similar', 'cart', 'category', 'price_drop', 'low_stock', 'trending', 'bestseller', 'featured', 'history', 'personal', 'same_brand', 'more_in', 'neutral'] as const;
export type CopyKind = (typeof COPY_KINDS)[number];

/**
 * Most templates a kind's list may have (built in: 1 or 2; a merchant's `copy` list is cut to this):
 * copy variants are `kind.0` to `kind.7`.
 */
export const COPY_VARIANTS_PER_KIND = 8;

/** The variant id of a card line with no copy variant. */
export const NO_VARIANT = 'none';

/**
 * Whether `value` is a copy variant id the widget can produce: `none`, or a reason kind and a template
 * index below `COPY_VARIANTS_PER_KIND` (`viewed.0` ... `neutral.7`). The set is closed (14 x 8 + 1 ids),
 * so a batch cannot make the server keep counters under names no widget sends.
 */
export function isCopyVariant(value: unknown): value is string {
  if (value === NO_VARIANT) return true;
  if (typeof value !== 'string') return false;
  const dot = value.lastIndexOf('.');
  const index = value.slice(dot + 1);
  return dot > 0 && (COPY_KINDS as readonly string[]).includes(value.slice(0, dot)) && /^[0-9]$/.test(index) && Number(index) < COPY_VARIANTS_PER_KIND;
}

const VARIANT_CHOICES = `"${NO_VARIANT}" or a copy kind and a template index 0-${COPY_VARIANTS_PER_KIND - 1} ("viewed.1"; kinds: ${COPY_KINDS.join(', ')})`;

/**
 * How often a widget on an open page sends what it counted (it also sends when the page is hidden or
 * left, and when a batch is full). The server's per-source rate limit on `POST /v1/metrics` is sized
 * from it.
 */
export const METRICS_FLUSH_MS = 60_000;

/** Limits a batch must respect; the widget flushes before reaching them. */
export const METRICS_LIMITS = {
  /** Counters per batch. */
  counters: 256,
  /** Largest single count (and `orders`, `purchases`): a page cannot honestly show a card more often between two flushes. */
  count: 10_000,
  /** Revenue sums per batch. */
  revenue: 64,
  /** Largest `amount` of one revenue sum, in minor units (100 million EUR): far above what one device buys between two flushes. */
  amount: 1e10,
  /**
   * Largest `amount` one cell (placement × version × variant × currency × UTC day) sums on the server, in
   * minor units: an entry that would take it past is dropped and counted as dropped, like one past the
   * day's cell cap. So a read-out's sums (at most 92 days of at most 5,000 cells) stay below 2^53 and
   * exact, however many forged batches arrive.
   */
  cellAmount: 1e10,
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

function variantOf(raw: Record<string, unknown>, where: string): string {
  const value = raw.variant;
  if (!isCopyVariant(value)) throw new ContractError('bad_metrics', `${where}: "variant" must be ${VARIANT_CHOICES} (got ${show(value)})`);
  return value;
}

function oneOf<T extends string>(raw: Record<string, unknown>, key: string, where: string, allowed: readonly T[]): T {
  const value = raw[key];
  if (!allowed.includes(value as T)) throw new ContractError('bad_metrics', `${where}: "${key}" must be one of ${allowed.join(', ')} (got ${show(value)})`);
  return value as T;
}

function integer(raw: Record<string, unknown>, key: string, where: string, min: number, max: number, unit = ''): number {
  const value = raw[key];
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new ContractError('bad_metrics', `${where}: "${key}" must be an integer ${min}-${max}${unit} (got ${show(value)})`);
  }
  return value as number;
}

function known(raw: Record<string, unknown>, where: string, fields: readonly string[]): void {
  const unknown = Object.keys(raw).find((k) => !fields.includes(k));
  if (unknown !== undefined) throw new ContractError('bad_metrics', `${where}: unknown field "${unknown}"`);
}

/** `counters` is required (an empty array where a batch holds only revenue); `revenue` may be left out. */
function list(raw: Record<string, unknown>, key: 'counters' | 'revenue', max: number): unknown[] {
  const value = key === 'revenue' ? (raw[key] ?? []) : raw[key];
  if (!Array.isArray(value) || value.length > max) throw new ContractError('bad_metrics', `metrics: "${key}" must be an array of 0-${max} entries`);
  return value;
}

/**
 * Validates a `POST /v1/metrics` body. Unknown fields are refused rather than ignored: a field we do
 * not know could be an identifier a misconfigured client should never have sent.
 * @throws ContractError `bad_metrics` naming the first offending counter and field.
 */
export function parseMetricsBatch(raw: unknown): MetricsBatch {
  if (!isRecord(raw)) throw new ContractError('bad_metrics', `metrics: expected {"model", "counters": [...], "revenue"?: [...]} (got ${show(raw)})`);
  known(raw, 'metrics', ['model', 'counters', 'revenue', 'experiments', 'experimentRevenue']);
  const model = token(raw, 'model', 'metrics');
  const counters = list(raw, 'counters', METRICS_LIMITS.counters).map((c: unknown, i): MetricCounter => {
    const where = `metrics.counters[${i}]`;
    if (!isRecord(c)) throw new ContractError('bad_metrics', `${where}: expected an object (got ${show(c)})`);
    known(c, where, ['placement', 'modelVersion', 'variant', 'event', 'count']);
    return {
      placement: oneOf(c, 'placement', where, PLACEMENTS),
      modelVersion: token(c, 'modelVersion', where),
      variant: variantOf(c, where),
      event: oneOf(c, 'event', where, METRIC_EVENTS),
      count: integer(c, 'count', where, 1, METRICS_LIMITS.count),
    };
  });
  const revenue = list(raw, 'revenue', METRICS_LIMITS.revenue).map((r: unknown, i): RevenueSum => {
    const where = `metrics.revenue[${i}]`;
    if (!isRecord(r)) throw new ContractError('bad_metrics', `${where}: expected an object (got ${show(r)})`);
    known(r, where, ['placement', 'modelVersion', 'variant', 'currency', 'orders', 'purchases', 'amount']);
    if (!isCurrency(r.currency)) throw new ContractError('bad_metrics', `${where}: "currency" must be an ISO 4217 code such as "EUR" or "USD" (got ${show(r.currency)})`);
    const placement = oneOf(r, 'placement', where, PLACEMENTS);
    const modelVersion = token(r, 'modelVersion', where);
    const variant = variantOf(r, where);
    const orders = integer(r, 'orders', where, 0, METRICS_LIMITS.count);
    const amount = integer(r, 'amount', where, 0, METRICS_LIMITS.amount, ' (minor units of the currency, e.g. cents)');
    // Left out only by widgets from before the field: read as the least such a sum holds.
    const purchases = r.purchases === undefined ? purchasesBehind({ amount }) : integer(r, 'purchases', where, 0, METRICS_LIMITS.count);
    if (amount > 0 && purchases === 0) {
      throw new ContractError('bad_metrics', `${where}: "purchases" must be at least 1 where "amount" is above 0 (an amount is made of purchases; got 0)`);
    }
    return { placement, modelVersion, variant, currency: r.currency, orders, purchases, amount };
  });
  const experiments = parseExperimentCounters(raw.experiments);
  const experimentRevenue = parseExperimentRevenue(raw.experimentRevenue);
  if (counters.length + revenue.length + experiments.length + experimentRevenue.length === 0) {
    throw new ContractError('bad_metrics', 'metrics: a batch must hold at least one counter, revenue sum or experiment count');
  }
  return {
    model,
    counters,
    ...(revenue.length > 0 && { revenue }),
    ...(experiments.length > 0 && { experiments }),
    ...(experimentRevenue.length > 0 && { experimentRevenue }),
  };
}

/** One item of a popularity list, by catalog id, with the aggregate score it was ranked by. */
export interface PopularItem {
  id: string;
  score: number;
}

/**
 * Smallest trending score the server lists and a card may call "trending": 10, about ten shoppers beyond
 * what cover rows and noise give every item, counted with the half-life's decay. A score is only ever
 * made of rounds that passed the evidence test (`core/federated/trending.ts`), so the list the server
 * publishes can be trusted as it is; the widget applies the same floor to whatever it is given.
 */
export const TRENDING_MIN_SCORE = 10;

/**
 * `GET /v1/popular?model=NAME`: the widget's non-personal fallbacks, computed by the server from
 * aggregates only. `trending`: items whose score is at least `TRENDING_MIN_SCORE`, where a score is the
 * exponentially decayed sum, over the federated rounds in which the item passed the evidence test, of
 * its noisy device count less what cover rows and noise give every item (`core/federated/trending.ts`).
 * An update carries the rows of the shopper's recent history, whatever the interest event (view, select,
 * add-to-cart, purchase), so the counts are of shoppers interested, not of add-to-carts or purchases.
 * `bestsellers`: the merchant's own ordered list (`PUT /v1/admin/models/:name/bestsellers`), scored by
 * rank. Either may be empty.
 */
export interface Popular {
  updatedAt: string;
  trending: PopularItem[];
  bestsellers: PopularItem[];
  /** The model's running holdout experiment (`core/experiment.ts`), or null; absent from servers before experiments. */
  experiment?: Experiment | null;
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
  const popular: Popular = { updatedAt: raw.updatedAt, trending: list(raw.trending, 'trending'), bestsellers: list(raw.bestsellers, 'bestsellers') };
  if (raw.experiment !== undefined) popular.experiment = raw.experiment === null ? null : parseExperiment(raw.experiment);
  return popular;
}
