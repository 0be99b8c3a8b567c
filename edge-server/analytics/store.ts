/**
 * What aggregate analytics keeps, as runtime-neutral interfaces: `analytics/memory.ts` holds it in
 * process memory (tests), `adapters/node/analytics-store.ts` in an fsynced append-only log on disk,
 * and `adapters/workers/analytics.ts` in one Durable Object per model.
 *
 * Everything stored here is a sum. There is no client identifier, no IP address and no timestamp finer
 * than a UTC day in it, so a read-out cannot single out a shopper however it is sliced.
 */
import type { MetricCounter, RevenueSum } from '../../core/analytics.ts';

/** A counter summed over every batch of one UTC day. */
export interface MetricRow extends MetricCounter {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
}

/** Revenue (orders, purchases and minor units) summed over every batch of one UTC day, per currency. */
export interface RevenueRow extends RevenueSum {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
}

/** Days from `from` to `to` (UTC `YYYY-MM-DD`, both included). */
export interface DayRange {
  from: string;
  to: string;
}

/** A day on which a model had its most cells (`maxCells`), and how many counters and revenue sums were dropped. */
export interface DroppedDay {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  entries: number;
}

/**
 * An item's popularity as an exponentially decayed sum, kept as its value at `at`: adding a count at
 * a later time first decays the value to that time (see `decayedAdd` in `popularity.ts`).
 */
export interface ItemScore {
  score: number;
  /** Time (ms since the epoch) `score` is valued at. */
  at: number;
}

/** A merchant's own ordered bestseller list (`PUT /v1/admin/models/:name/bestsellers`). */
export interface BestsellerList {
  ids: string[];
  updatedAt: string;
}

/**
 * Durable aggregate state per model. Each write is atomic and durable once its promise resolves: a
 * crash before that counts the write wholly or not at all, never twice and never in part.
 */
export interface AnalyticsStore {
  /**
   * Adds each counter and revenue sum of one batch to the model's sums for `day`, in one write. A key the
   * day does not have yet is a new cell; once the day has `maxCells` cells (counter and revenue keys
   * together), new cells are dropped while existing ones keep counting, and the drop is counted for the
   * day (`readDropped`). Resolves with how many of the batch's entries were dropped.
   */
  addMetrics(model: string, day: string, counters: readonly MetricCounter[], revenue?: readonly RevenueSum[], maxCells?: number): Promise<{ dropped: number }>;
  /** Summed counters of the model's days in `range` (every day without one), in no particular order; `[]` for a model never counted. */
  readMetrics(model: string, range?: DayRange): Promise<MetricRow[]>;
  /** Summed revenue cells (day × placement × version × variant × currency) of the days in `range`, in no particular order. */
  readRevenue(model: string, range?: DayRange): Promise<RevenueRow[]>;
  /** The days in `range` on which entries were dropped past `maxCells`, oldest first. */
  readDropped(model: string, range?: DayRange): Promise<DroppedDay[]>;
  /**
   * Adds per-item counts observed at `at` (ms) to the decayed sums, with half-life `halfLifeMs`.
   * Counts may be negative (they arrive noised, for differential privacy) but must be finite.
   */
  addItemCounts(model: string, counts: Readonly<Record<string, number>>, at: number, halfLifeMs: number): Promise<void>;
  /** The decayed sums by item id, each valued at its own `at`. */
  readItemScores(model: string): Promise<Record<string, ItemScore>>;
  putBestsellers(model: string, list: BestsellerList): Promise<void>;
  getBestsellers(model: string): Promise<BestsellerList | null>;
}
