/**
 * `Analytics`: the Durable Object that owns one model's aggregate analytics (one Object per model,
 * `ANALYTICS.idFromName(model)`), in its SQLite storage. Each call runs in one transaction, so a batch
 * is counted wholly or not at all; the Object's output gate holds the reply until the write is durable.
 * Kept apart from `analytics.ts` so Node code can import the Worker's stores without `cloudflare:workers`.
 */
import { DurableObject } from 'cloudflare:workers';
import type { DurableObjectState } from '@cloudflare/workers-types/latest/index.ts';
import { METRICS_LIMITS, type MetricCounter, type RevenueSum } from '../../../core/analytics.ts';
import type { Experiment, ExperimentCounter, ExperimentRevenue } from '../../../core/experiment.ts';
import { decayedAdd } from '../../analytics/popularity.ts';
import {
  MAX_ENDED_EXPERIMENTS,
  type BestsellerList,
  type DroppedDay,
  type EndedExperiment,
  type ExperimentCountRow,
  type ExperimentRecord,
  type ExperimentRevenueRow,
  type ItemScore,
  type MetricRow,
  type RevenueRow,
  type StartRefusal,
} from '../../analytics/store.ts';

export class Analytics extends DurableObject<object> {
  #sql;

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS metrics (day TEXT, placement TEXT, version TEXT, variant TEXT, event TEXT, count INTEGER,
      PRIMARY KEY (day, placement, version, variant, event))`);
    // Amounts are integers of minor units: SQLite INTEGER sums them exactly (64-bit).
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS revenue (day TEXT, placement TEXT, version TEXT, variant TEXT, currency TEXT, orders INTEGER, amount INTEGER,
      purchases INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (day, placement, version, variant, currency))`);
    const columns = this.#sql.exec<{ name: string }>('PRAGMA table_info(revenue)').toArray();
    if (!columns.some((c) => c.name === 'purchases')) {
      // A table from before purchases were counted: each of its cells holds at least 1 where it has an
      // amount (`purchasesBehind` in core/analytics.ts), so its revenue is never shown on more than it had.
      this.ctx.storage.transactionSync(() => {
        this.#sql.exec('ALTER TABLE revenue ADD COLUMN purchases INTEGER NOT NULL DEFAULT 0');
        this.#sql.exec('UPDATE revenue SET purchases = CASE WHEN amount > 0 THEN 1 ELSE 0 END');
      });
    }
    // Per day: counters and revenue sums dropped because the day had its most cells (`addMetrics`' maxCells).
    this.#sql.exec('CREATE TABLE IF NOT EXISTS dropped (day TEXT PRIMARY KEY, entries INTEGER NOT NULL)');
    this.#sql.exec('CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, score REAL, at INTEGER)');
    this.#sql.exec('CREATE TABLE IF NOT EXISTS lists (name TEXT PRIMARY KEY, json TEXT)');
    // Holdout experiments: per day, experiment and arm (and currency). The experiments themselves are the
    // `experiments` row of `lists` (an `ExperimentRecord`).
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS exp_counts (day TEXT, experiment TEXT, arm TEXT, sessions INTEGER, cart_sessions INTEGER, purchase_sessions INTEGER,
      orders INTEGER, PRIMARY KEY (day, experiment, arm))`);
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS exp_revenue (day TEXT, experiment TEXT, arm TEXT, currency TEXT, amount INTEGER, squares REAL, entries INTEGER,
      PRIMARY KEY (day, experiment, arm, currency))`);
  }

  #experiments(): ExperimentRecord {
    const row = this.#sql.exec<{ json: string }>('SELECT json FROM lists WHERE name = ?', 'experiments').toArray()[0];
    return row ? (JSON.parse(row.json) as ExperimentRecord) : { running: null, ended: [] };
  }

  #putExperiments(record: ExperimentRecord): void {
    this.#sql.exec('INSERT OR REPLACE INTO lists VALUES (?, ?)', 'experiments', JSON.stringify(record));
  }

  getExperiments(): ExperimentRecord {
    return this.#experiments();
  }

  /** Starts `experiment` unless one runs or its name is a kept one's; the Object is the single writer, so two starts cannot both win. */
  startExperiment(experiment: Experiment): StartRefusal | null {
    return this.ctx.storage.transactionSync(() => {
      const record = this.#experiments();
      if (record.running) return 'running';
      if (record.ended.some((e) => e.name === experiment.name)) return 'name_used';
      this.#putExperiments({ running: experiment, ended: record.ended });
      return null;
    });
  }

  endExperiment(endedAt: string): EndedExperiment | null {
    return this.ctx.storage.transactionSync(() => {
      const record = this.#experiments();
      if (!record.running) return null;
      const ended = { ...record.running, endedAt };
      this.#putExperiments({ running: null, ended: [ended, ...record.ended].slice(0, MAX_ENDED_EXPERIMENTS) });
      return ended;
    });
  }

  readExperiment(experiment: string): { counts: ExperimentCountRow[]; revenue: ExperimentRevenueRow[] } {
    const counts = this.#sql
      .exec<{ day: string; arm: string; sessions: number; cart_sessions: number; purchase_sessions: number; orders: number }>(
        'SELECT day, arm, sessions, cart_sessions, purchase_sessions, orders FROM exp_counts WHERE experiment = ?',
        experiment,
      )
      .toArray()
      .map((r) => ({ day: r.day, experiment, arm: r.arm, sessions: r.sessions, cartSessions: r.cart_sessions, purchaseSessions: r.purchase_sessions, orders: r.orders }) as ExperimentCountRow);
    const revenue = this.#sql
      .exec<{ day: string; arm: string; currency: string; amount: number; squares: number; entries: number }>(
        'SELECT day, arm, currency, amount, squares, entries FROM exp_revenue WHERE experiment = ?',
        experiment,
      )
      .toArray()
      .map((r) => ({ ...r, experiment }) as ExperimentRevenueRow);
    return { counts, revenue };
  }

  /**
   * Adds one batch in one transaction. A key the day has not seen is a new cell, kept only while the day
   * has fewer than `maxCells` cells (metrics and revenue rows together); past that it is dropped and
   * counted in `dropped`. Answers how many entries were dropped.
   */
  addMetrics(day: string, counters: MetricCounter[], revenue: RevenueSum[] = [], maxCells = Infinity, experiments: ExperimentCounter[] = [], experimentRevenue: ExperimentRevenue[] = []): number {
    return this.ctx.storage.transactionSync(() => {
      const count = (table: 'metrics' | 'revenue' | 'exp_counts' | 'exp_revenue'): number => this.#sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE day = ?`, day).one().n;
      let cells = Number.isFinite(maxCells) ? count('metrics') + count('revenue') + count('exp_counts') + count('exp_revenue') : 0;
      let dropped = 0;
      // Counts are kept only for the running experiment and the kept ended ones: made-up names are dropped
      // (answered as dropped, not recorded in `dropped`, which is about the cap).
      let unknown = 0;
      const record = experiments.length + experimentRevenue.length > 0 ? this.#experiments() : { running: null, ended: [] };
      const known = (name: string): boolean => record.running?.name === name || record.ended.some((e) => e.name === name);
      for (const e of experiments) {
        if (!known(e.experiment)) {
          unknown++;
          continue;
        }
        const key = [day, e.experiment, e.arm];
        const updated = this.#sql.exec(
          'UPDATE exp_counts SET sessions = sessions + ?, cart_sessions = cart_sessions + ?, purchase_sessions = purchase_sessions + ?, orders = orders + ? WHERE day = ? AND experiment = ? AND arm = ?',
          e.sessions,
          e.cartSessions,
          e.purchaseSessions,
          e.orders,
          ...key,
        ).rowsWritten;
        if (updated > 0) continue;
        if (cells >= maxCells) {
          dropped++;
          continue;
        }
        this.#sql.exec('INSERT INTO exp_counts VALUES (?, ?, ?, ?, ?, ?, ?)', ...key, e.sessions, e.cartSessions, e.purchaseSessions, e.orders);
        cells++;
      }
      for (const r of experimentRevenue) {
        if (!known(r.experiment)) {
          unknown++;
          continue;
        }
        const key = [day, r.experiment, r.arm, r.currency];
        const updated = this.#sql.exec(
          'UPDATE exp_revenue SET amount = amount + ?, squares = squares + ?, entries = entries + 1 WHERE day = ? AND experiment = ? AND arm = ? AND currency = ? AND amount + ? <= ?',
          r.amount,
          r.squares,
          ...key,
          r.amount,
          METRICS_LIMITS.cellAmount,
        ).rowsWritten;
        if (updated > 0) continue;
        if (this.#sql.exec('SELECT 1 FROM exp_revenue WHERE day = ? AND experiment = ? AND arm = ? AND currency = ?', ...key).toArray().length > 0 || cells >= maxCells) {
          dropped++;
          continue;
        }
        this.#sql.exec('INSERT INTO exp_revenue VALUES (?, ?, ?, ?, ?, ?, 1)', ...key, r.amount, r.squares);
        cells++;
      }
      for (const r of revenue) {
        const key = [day, r.placement, r.modelVersion, r.variant, r.currency];
        // Past the cell's most, the sum would stop being exact in the read-out (METRICS_LIMITS.cellAmount).
        const updated = this.#sql.exec(
          `UPDATE revenue SET orders = orders + ?, amount = amount + ?, purchases = purchases + ?
           WHERE day = ? AND placement = ? AND version = ? AND variant = ? AND currency = ? AND amount + ? <= ?`,
          r.orders,
          r.amount,
          r.purchases,
          ...key,
          r.amount,
          METRICS_LIMITS.cellAmount,
        ).rowsWritten;
        if (updated > 0) continue;
        // Not updated: a cell at its most (the entry is dropped), or a new cell.
        if (this.#sql.exec('SELECT 1 FROM revenue WHERE day = ? AND placement = ? AND version = ? AND variant = ? AND currency = ?', ...key).toArray().length > 0) {
          dropped++;
          continue;
        }
        if (cells >= maxCells) {
          dropped++;
          continue;
        }
        this.#sql.exec(
          'INSERT INTO revenue (day, placement, version, variant, currency, orders, amount, purchases) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          ...key,
          r.orders,
          r.amount,
          r.purchases,
        );
        cells++;
      }
      for (const c of counters) {
        const updated = this.#sql.exec(
          'UPDATE metrics SET count = count + ? WHERE day = ? AND placement = ? AND version = ? AND variant = ? AND event = ?',
          c.count,
          day,
          c.placement,
          c.modelVersion,
          c.variant,
          c.event,
        ).rowsWritten;
        if (updated > 0) continue;
        if (cells >= maxCells) {
          dropped++;
          continue;
        }
        this.#sql.exec('INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)', day, c.placement, c.modelVersion, c.variant, c.event, c.count);
        cells++;
      }
      if (dropped > 0) this.#sql.exec('INSERT INTO dropped VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET entries = entries + excluded.entries', day, dropped);
      return dropped + unknown;
    });
  }

  readMetrics(from = '', to = '\uffff'): Array<Omit<MetricRow, 'modelVersion'> & { version: string }> {
    return this.#sql
      .exec<{ day: string; placement: string; version: string; variant: string; event: string; count: number }>('SELECT * FROM metrics WHERE day >= ? AND day <= ?', from, to)
      .toArray() as Array<Omit<MetricRow, 'modelVersion'> & { version: string }>;
  }

  readRevenue(from = '', to = '\uffff'): RevenueRow[] {
    return this.#sql
      .exec<{ day: string; placement: string; version: string; variant: string; currency: string; orders: number; amount: number; purchases: number }>(
        'SELECT day, placement, version, variant, currency, orders, amount, purchases FROM revenue WHERE day >= ? AND day <= ?',
        from,
        to,
      )
      .toArray()
      .map(({ version, ...rest }) => ({ ...rest, modelVersion: version }) as RevenueRow);
  }

  readDropped(from = '', to = '\uffff'): DroppedDay[] {
    return this.#sql.exec<{ day: string; entries: number }>('SELECT day, entries FROM dropped WHERE day >= ? AND day <= ? ORDER BY day', from, to).toArray();
  }

  addItemCounts(counts: Record<string, number>, at: number, halfLifeMs: number): void {
    this.ctx.storage.transactionSync(() => {
      for (const [id, count] of Object.entries(counts)) {
        const row = this.#sql.exec<{ score: number; at: number }>('SELECT score, at FROM items WHERE id = ?', id).toArray()[0];
        const next = decayedAdd(row, count, at, halfLifeMs);
        this.#sql.exec('INSERT OR REPLACE INTO items VALUES (?, ?, ?)', id, next.score, next.at);
      }
    });
  }

  readItemScores(): Record<string, ItemScore> {
    const out: Record<string, ItemScore> = {};
    for (const row of this.#sql.exec<{ id: string; score: number; at: number }>('SELECT id, score, at FROM items')) out[row.id] = { score: row.score, at: row.at };
    return out;
  }

  putBestsellers(list: BestsellerList): void {
    this.#sql.exec('INSERT OR REPLACE INTO lists VALUES (?, ?)', 'bestsellers', JSON.stringify(list));
  }

  getBestsellers(): BestsellerList | null {
    const row = this.#sql.exec<{ json: string }>('SELECT json FROM lists WHERE name = ?', 'bestsellers').toArray()[0];
    return row ? (JSON.parse(row.json) as BestsellerList) : null;
  }
}
