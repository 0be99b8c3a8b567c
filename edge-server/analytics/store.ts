/**
 * What aggregate analytics keeps, as runtime-neutral interfaces: `analytics/memory.ts` holds it in
 * process memory (tests), `adapters/node/analytics-store.ts` in an fsynced append-only log on disk,
 * and `adapters/workers/analytics.ts` in one Durable Object per model.
 *
 * Everything stored here is a sum. There is no client identifier, no IP address and no timestamp finer
 * than a UTC day in it, so a read-out cannot single out a shopper however it is sliced.
 */
import type { MetricCounter, RevenueSum } from '../../core/analytics.ts';
import type { Experiment, ExperimentCounter, ExperimentRevenue } from '../../core/experiment.ts';

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

/** An experiment that was ended (`DELETE /v1/admin/models/:name/experiment`): its counts stay readable. */
export interface EndedExperiment extends Experiment {
  /** ISO 8601 time it was ended. */
  endedAt: string;
}

/** A model's experiments: the running one, and the last `MAX_ENDED_EXPERIMENTS` ended ones, newest first. */
export interface ExperimentRecord {
  running: Experiment | null;
  ended: EndedExperiment[];
}

/**
 * Ended experiments a model keeps (their definitions, and so which names its counts are taken for). Counts
 * are taken only for these and the running one, so a batch cannot make the server keep counts under names
 * of its own; the oldest ended experiment is forgotten when a 21st ends.
 */
export const MAX_ENDED_EXPERIMENTS = 20;

/** Why a start was refused: one is running (end it first), or the name was used by a kept experiment (its counts would mix). */
export type StartRefusal = 'running' | 'name_used';

/** The experiment parts of one metrics batch (`core/experiment.ts`). */
export interface ExperimentBatch {
  counters: readonly ExperimentCounter[];
  revenue: readonly ExperimentRevenue[];
}

/** One arm's session counts in an experiment (`core/experiment.ts`'s batch entry), summed over one UTC day. */
export type ExperimentCountRow = ExperimentCounter & { day: string };

/**
 * One arm's revenue in one currency, summed over one UTC day: `amount` in minor units, `squares` the sum
 * of what each entry added to the sum of session revenue squared, and `entries` how many batch entries
 * (device reports) make up the amount, which the read-out's suppression counts.
 */
export type ExperimentRevenueRow = ExperimentRevenue & { day: string; entries: number };

/**
 * Durable aggregate state per model. Each write is atomic and durable once its promise resolves: a
 * crash before that counts the write wholly or not at all, never twice and never in part.
 */
export interface AnalyticsStore {
  /**
   * Adds each counter and revenue sum of one batch to the model's sums for `day`, in one write. A key the
   * day does not have yet is a new cell; once the day has `maxCells` cells (counter and revenue keys
   * together), new cells are dropped while existing ones keep counting, and the drop is counted for the
   * day (`readDropped`). Experiment counts and revenue (`experiments`) are cells of the same day and cap;
   * those of an experiment that is neither the model's running one nor a kept ended one are dropped too
   * (but not counted in `readDropped`, which is about the cap). Resolves with how many of the batch's
   * entries were dropped, for either reason.
   */
  addMetrics(model: string, day: string, counters: readonly MetricCounter[], revenue?: readonly RevenueSum[], maxCells?: number, experiments?: ExperimentBatch): Promise<{ dropped: number }>;
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
  /**
   * Starts `experiment` unless one is running or its name is a kept experiment's, in one write (so two
   * racing starts cannot both win). Resolves with the refusal, or `null` when it started.
   */
  startExperiment(model: string, experiment: Experiment): Promise<StartRefusal | null>;
  /** Ends the running experiment at `endedAt`; resolves with it, or `null` when none was running. */
  endExperiment(model: string, endedAt: string): Promise<EndedExperiment | null>;
  /** The running experiment and the kept ended ones (`{ running: null, ended: [] }` for a model without). */
  getExperiments(model: string): Promise<ExperimentRecord>;
  /** Every day's counts and revenue cells of one experiment, in no particular order. */
  readExperiment(model: string, experiment: string): Promise<{ counts: ExperimentCountRow[]; revenue: ExperimentRevenueRow[] }>;
}
