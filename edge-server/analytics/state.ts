/**
 * Aggregate analytics as a plain in-memory state changed only by `apply(op)`. The memory store applies
 * ops directly; the Node store writes each op to an append-only log first and replays the log on start,
 * so both share this one definition of what an op does.
 */
import { METRICS_LIMITS, purchasesBehind, type MetricCounter, type RevenueSum } from '../../core/analytics.ts';
import type { Arm, Experiment, ExperimentCounter, ExperimentRevenue } from '../../core/experiment.ts';
import { decayedAdd } from './popularity.ts';
import {
  MAX_ENDED_EXPERIMENTS,
  type AnalyticsStore,
  type BestsellerList,
  type DayRange,
  type DroppedDay,
  type EndedExperiment,
  type ExperimentCountRow,
  type ExperimentRecord,
  type ExperimentRevenueRow,
  type ItemScore,
  type MetricRow,
  type RevenueRow,
  type StartRefusal,
} from './store.ts';

export type AnalyticsOp =
  /**
   * `revenue` is absent in logs written before revenue was counted, and in batches without any; a sum's
   * `purchases` in logs written before purchases were (`purchasesBehind` reads them). `maxCells`: the
   * most distinct cells (counter and revenue keys) the model may have on `day`; a key past it is dropped
   * and counted as dropped. Absent in logs from before the cap (and where there is none).
   */
  | {
      op: 'metrics';
      model: string;
      day: string;
      counters: readonly MetricCounter[];
      revenue?: ReadonlyArray<Omit<RevenueSum, 'purchases'> & { purchases?: number }>;
      maxCells?: number;
      /** Experiment session counts and revenue (absent in logs from before experiments, and in batches without). */
      experiments?: readonly ExperimentCounter[];
      experimentRevenue?: readonly ExperimentRevenue[];
    }
  | { op: 'items'; model: string; counts: Readonly<Record<string, number>>; at: number; halfLifeMs: number }
  | { op: 'bestsellers'; model: string; list: BestsellerList }
  /** Starts `experiment` unless refused (`START_CODES`): decided when applied, so a replay decides the same. */
  | { op: 'experiment-start'; model: string; experiment: Experiment }
  | { op: 'experiment-end'; model: string; endedAt: string };

/** What `apply` answers for an `experiment-start` op: 0 started, else the refusal's code. */
export const START_CODES: Record<number, StartRefusal | null> = { 0: null, 1: 'running', 2: 'name_used' };

/** [orders, amount in minor units, purchases]. */
type RevenueCell = [number, number, number];
/** [sessions, cartSessions, purchaseSessions, orders]. */
type ExperimentCell = [number, number, number, number];
/** [amount in minor units, squares, entries]. */
type ExperimentRevenueCell = [number, number, number];

/** One UTC day of a model's sums. Keys join their parts with `|`, which no part can hold (tokens, placements, events, currencies). */
interface DayState {
  /** Key: placement|modelVersion|variant|event. */
  metrics: Map<string, number>;
  /** Key: placement|modelVersion|variant|currency; value: [orders, amount in minor units, purchases]. */
  revenue: Map<string, RevenueCell>;
  /** Key: experiment|arm; value: [sessions, cartSessions, purchaseSessions, orders]. */
  experiments: Map<string, ExperimentCell>;
  /** Key: experiment|arm|currency; value: [amount in minor units, squares, entries]. */
  experimentRevenue: Map<string, ExperimentRevenueCell>;
  /** Counters and revenue sums not counted because the day had `maxCells` cells. */
  dropped: number;
}

interface ModelState {
  days: Map<string, DayState>;
  items: Map<string, ItemScore>;
  bestsellers: BestsellerList | null;
  experiment: ExperimentRecord;
}

const cellsOf = (day: DayState): number => day.metrics.size + day.revenue.size + day.experiments.size + day.experimentRevenue.size;

/** The state as JSON, for snapshots. */
export interface AnalyticsSnapshot {
  models: Record<
    string,
    {
      metrics: Array<[string, string, string, string, string, number]>;
      /**
       * [day, placement, modelVersion, variant, currency, orders, amount, purchases]; absent in snapshots
       * from before revenue, and `purchases` in those from before purchases were counted.
       */
      revenue?: Array<[string, string, string, string, string, number, number, number?]>;
      /** [day, entries dropped past the day's cell cap]; absent in snapshots from before the cap. */
      dropped?: Array<[string, number]>;
      items: Record<string, [number, number]>;
      bestsellers: BestsellerList | null;
      /** The running and kept ended experiments; absent in snapshots from before experiments (and where none ever ran). */
      experiment?: ExperimentRecord;
      /** [day, experiment, arm, sessions, cartSessions, purchaseSessions, orders]. */
      experimentCounts?: Array<[string, string, Arm, number, number, number, number]>;
      /** [day, experiment, arm, currency, amount, squares, entries]. */
      experimentRevenue?: Array<[string, string, Arm, string, number, number, number]>;
    }
  >;
}

const inRange = (day: string, range: DayRange | undefined): boolean => range === undefined || (day >= range.from && day <= range.to);

export class AnalyticsState {
  #models = new Map<string, ModelState>();

  #model(name: string): ModelState {
    let state = this.#models.get(name);
    if (!state) this.#models.set(name, (state = { days: new Map(), items: new Map(), bestsellers: null, experiment: { running: null, ended: [] } }));
    return state;
  }

  #day(model: ModelState, day: string): DayState {
    let state = model.days.get(day);
    if (!state) model.days.set(day, (state = { metrics: new Map(), revenue: new Map(), experiments: new Map(), experimentRevenue: new Map(), dropped: 0 }));
    return state;
  }

  /**
   * Applies one op. Answers, for a `metrics` op, how many of its entries were dropped (past the cap, or
   * for an experiment the model does not know); for `experiment-start`, its `START_CODES` code; for
   * `experiment-end`, 1 where one was running, else 0.
   */
  apply(op: AnalyticsOp): number {
    const model = this.#model(op.model);
    switch (op.op) {
      case 'metrics': {
        const day = this.#day(model, op.day);
        const cap = op.maxCells ?? Infinity;
        const before = day.dropped;
        /**
         * Adds to one of the day's cells: a new cell only under the day's cap; `merge` answers undefined
         * where the sum would pass the cell's most. Either refusal drops the entry and counts it.
         */
        const add = <T>(cells: Map<string, T>, key: string, zero: T, merge: (sums: T) => T | undefined): void => {
          const sums = cells.get(key);
          const next = sums === undefined && cellsOf(day) >= cap ? undefined : merge(sums ?? zero);
          if (next === undefined) day.dropped++;
          else cells.set(key, next);
        };
        // Past the cell's most, a sum would stop being exact in the read-out (METRICS_LIMITS.cellAmount).
        const exact = (amount: number): boolean => amount <= METRICS_LIMITS.cellAmount;
        for (const c of op.counters) add(day.metrics, `${c.placement}|${c.modelVersion}|${c.variant}|${c.event}`, 0, (count) => count + c.count);
        for (const r of op.revenue ?? []) {
          add<RevenueCell>(day.revenue, `${r.placement}|${r.modelVersion}|${r.variant}|${r.currency}`, [0, 0, 0], ([orders, amount, purchases]) =>
            exact(amount + r.amount) ? [orders + r.orders, amount + r.amount, purchases + purchasesBehind(r)] : undefined,
          );
        }
        // Counts are kept only for the running experiment and the kept ended ones: made-up names are dropped.
        const { running, ended } = model.experiment;
        const known = (name: string): boolean => running?.name === name || ended.some((e) => e.name === name);
        let unknown = 0;
        for (const e of op.experiments ?? []) {
          if (!known(e.experiment)) unknown++;
          else add<ExperimentCell>(day.experiments, `${e.experiment}|${e.arm}`, [0, 0, 0, 0], ([n, cart, purchase, orders]) => [n + e.sessions, cart + e.cartSessions, purchase + e.purchaseSessions, orders + e.orders]);
        }
        for (const r of op.experimentRevenue ?? []) {
          if (!known(r.experiment)) unknown++;
          else add<ExperimentRevenueCell>(day.experimentRevenue, `${r.experiment}|${r.arm}|${r.currency}`, [0, 0, 0], ([amount, squares, entries]) => (exact(amount + r.amount) ? [amount + r.amount, squares + r.squares, entries + 1] : undefined));
        }
        return day.dropped - before + unknown;
      }
      case 'experiment-start': {
        const { running, ended } = model.experiment;
        if (running) return 1;
        if (ended.some((e) => e.name === op.experiment.name)) return 2;
        model.experiment = { running: { ...op.experiment }, ended };
        return 0;
      }
      case 'experiment-end': {
        const { running, ended } = model.experiment;
        if (!running) return 0;
        model.experiment = { running: null, ended: [{ ...running, endedAt: op.endedAt }, ...ended].slice(0, MAX_ENDED_EXPERIMENTS) };
        return 1;
      }
      case 'items':
        for (const [id, count] of Object.entries(op.counts)) model.items.set(id, decayedAdd(model.items.get(id), count, op.at, op.halfLifeMs));
        return 0;
      case 'bestsellers':
        model.bestsellers = { ids: [...op.list.ids], updatedAt: op.list.updatedAt };
        return 0;
    }
  }

  #days(name: string, range: DayRange | undefined): Array<[string, DayState]> {
    return [...(this.#models.get(name)?.days ?? [])].filter(([day]) => inRange(day, range));
  }

  /** Summed counters of the model's days in `range` (every day without one). */
  /** The store's reads, answered from this state: what a store that keeps its state in memory serves. */
  readers(): Pick<AnalyticsStore, 'readMetrics' | 'readRevenue' | 'readDropped' | 'readItemScores' | 'getBestsellers' | 'getExperiments' | 'readExperiment'> {
    return {
      getExperiments: async (model) => this.experiments(model),
      readExperiment: async (model, name) => ({ counts: this.experimentCounts(model, name), revenue: this.experimentRevenue(model, name) }),
      readMetrics: async (model, range) => this.metrics(model, range),
      readRevenue: async (model, range) => this.revenue(model, range),
      readDropped: async (model, range) => this.dropped(model, range),
      readItemScores: async (model) => this.items(model),
      getBestsellers: async (model) => this.bestsellers(model),
    };
  }

  metrics(name: string, range?: DayRange): MetricRow[] {
    const rows: MetricRow[] = [];
    for (const [day, state] of this.#days(name, range)) {
      for (const [key, count] of state.metrics) {
        const [placement, modelVersion, variant, event] = key.split('|') as [MetricRow['placement'], string, string, MetricRow['event']];
        rows.push({ day, placement, modelVersion, variant, event, count });
      }
    }
    return rows;
  }

  revenue(name: string, range?: DayRange): RevenueRow[] {
    const rows: RevenueRow[] = [];
    for (const [day, state] of this.#days(name, range)) {
      for (const [key, [orders, amount, purchases]] of state.revenue) {
        const [placement, modelVersion, variant, currency] = key.split('|') as [RevenueRow['placement'], string, string, string];
        rows.push({ day, placement, modelVersion, variant, currency, orders, purchases, amount });
      }
    }
    return rows;
  }

  /** Days in `range` on which entries were dropped past the cap, with how many, oldest first. */
  dropped(name: string, range?: DayRange): DroppedDay[] {
    return this.#days(name, range)
      .filter(([, state]) => state.dropped > 0)
      .map(([day, state]) => ({ day, entries: state.dropped }))
      .sort((a, b) => (a.day < b.day ? -1 : 1));
  }

  experiments(name: string): ExperimentRecord {
    const record = this.#models.get(name)?.experiment;
    return { running: record?.running ? { ...record.running } : null, ended: (record?.ended ?? []).map((e): EndedExperiment => ({ ...e })) };
  }

  /** Counts of experiment `experiment` (every one without), every day. */
  experimentCounts(name: string, experiment?: string): ExperimentCountRow[] {
    const rows: ExperimentCountRow[] = [];
    for (const [day, state] of this.#days(name, undefined)) {
      for (const [key, [sessions, cartSessions, purchaseSessions, orders]] of state.experiments) {
        const [exp, arm] = key.split('|') as [string, Arm];
        if (experiment === undefined || exp === experiment) rows.push({ day, experiment: exp, arm, sessions, cartSessions, purchaseSessions, orders });
      }
    }
    return rows;
  }

  experimentRevenue(name: string, experiment?: string): ExperimentRevenueRow[] {
    const rows: ExperimentRevenueRow[] = [];
    for (const [day, state] of this.#days(name, undefined)) {
      for (const [key, [amount, squares, entries]] of state.experimentRevenue) {
        const [exp, arm, currency] = key.split('|') as [string, Arm, string];
        if (experiment === undefined || exp === experiment) rows.push({ day, experiment: exp, arm, currency, amount, squares, entries });
      }
    }
    return rows;
  }

  items(name: string): Record<string, ItemScore> {
    // fromEntries defines own properties: an item id "__proto__" stays an item, not the prototype.
    return Object.fromEntries([...(this.#models.get(name)?.items ?? [])].map(([id, s]) => [id, { score: s.score, at: s.at }]));
  }

  bestsellers(name: string): BestsellerList | null {
    const list = this.#models.get(name)?.bestsellers;
    return list ? { ids: [...list.ids], updatedAt: list.updatedAt } : null;
  }

  toSnapshot(): AnalyticsSnapshot {
    const models: AnalyticsSnapshot['models'] = {};
    for (const [name, m] of this.#models) {
      const dropped = [...m.days].filter(([, d]) => d.dropped > 0).map(([day, d]): [string, number] => [day, d.dropped]);
      models[name] = {
        metrics: this.metrics(name).map((r) => [r.day, r.placement, r.modelVersion, r.variant, r.event, r.count]),
        revenue: this.revenue(name).map((r) => [r.day, r.placement, r.modelVersion, r.variant, r.currency, r.orders, r.amount, r.purchases]),
        ...(dropped.length > 0 ? { dropped } : {}),
        items: Object.fromEntries([...m.items].map(([id, s]) => [id, [s.score, s.at]])),
        bestsellers: m.bestsellers,
        ...(m.experiment.running || m.experiment.ended.length > 0 ? { experiment: this.experiments(name) } : {}),
        experimentCounts: this.experimentCounts(name).map((r) => [r.day, r.experiment, r.arm, r.sessions, r.cartSessions, r.purchaseSessions, r.orders]),
        experimentRevenue: this.experimentRevenue(name).map((r) => [r.day, r.experiment, r.arm, r.currency, r.amount, r.squares, r.entries]),
      };
    }
    return { models };
  }

  static fromSnapshot(snapshot: AnalyticsSnapshot): AnalyticsState {
    const state = new AnalyticsState();
    for (const [name, m] of Object.entries(snapshot.models)) {
      const model = state.#model(name);
      for (const [day, placement, modelVersion, variant, event, count] of m.metrics) {
        state.#day(model, day).metrics.set(`${placement}|${modelVersion}|${variant}|${event}`, count);
      }
      for (const [day, placement, modelVersion, variant, currency, orders, amount, purchases] of m.revenue ?? []) {
        state.#day(model, day).revenue.set(`${placement}|${modelVersion}|${variant}|${currency}`, [orders, amount, purchasesBehind({ amount, purchases })]);
      }
      for (const [day, entries] of m.dropped ?? []) state.#day(model, day).dropped = entries;
      for (const [day, experiment, arm, ...counts] of m.experimentCounts ?? []) state.#day(model, day).experiments.set(`${experiment}|${arm}`, counts);
      for (const [day, experiment, arm, currency, ...sums] of m.experimentRevenue ?? []) state.#day(model, day).experimentRevenue.set(`${experiment}|${arm}|${currency}`, sums);
      for (const [id, [score, at]] of Object.entries(m.items)) model.items.set(id, { score, at });
      model.bestsellers = m.bestsellers;
      if (m.experiment) model.experiment = { running: m.experiment.running, ended: m.experiment.ended };
    }
    return state;
  }
}
