/**
 * Aggregate analytics as a plain in-memory state changed only by `apply(op)`. The memory store applies
 * ops directly; the Node store writes each op to an append-only log first and replays the log on start,
 * so both share this one definition of what an op does.
 */
import { purchasesBehind, type MetricCounter, type RevenueSum } from '../../core/analytics.ts';
import { decayedAdd } from './popularity.ts';
import type { BestsellerList, ItemScore, MetricRow, RevenueRow } from './store.ts';

export type AnalyticsOp =
  /**
   * `revenue` is absent in logs written before revenue was counted, and in batches without any; a sum's
   * `purchases` in logs written before purchases were (`purchasesBehind` reads them).
   */
  | { op: 'metrics'; model: string; day: string; counters: readonly MetricCounter[]; revenue?: ReadonlyArray<Omit<RevenueSum, 'purchases'> & { purchases?: number }> }
  | { op: 'items'; model: string; counts: Readonly<Record<string, number>>; at: number; halfLifeMs: number }
  | { op: 'bestsellers'; model: string; list: BestsellerList };

interface ModelState {
  /** Key: JSON of [day, placement, modelVersion, variant, event]. */
  metrics: Map<string, number>;
  /** Key: JSON of [day, placement, modelVersion, variant, currency]; value: [orders, amount in minor units, purchases]. */
  revenue: Map<string, [number, number, number]>;
  items: Map<string, ItemScore>;
  bestsellers: BestsellerList | null;
}

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
      items: Record<string, [number, number]>;
      bestsellers: BestsellerList | null;
    }
  >;
}

export class AnalyticsState {
  #models = new Map<string, ModelState>();

  #model(name: string): ModelState {
    let state = this.#models.get(name);
    if (!state) this.#models.set(name, (state = { metrics: new Map(), revenue: new Map(), items: new Map(), bestsellers: null }));
    return state;
  }

  apply(op: AnalyticsOp): void {
    const model = this.#model(op.model);
    switch (op.op) {
      case 'metrics':
        for (const c of op.counters) {
          const key = JSON.stringify([op.day, c.placement, c.modelVersion, c.variant, c.event]);
          model.metrics.set(key, (model.metrics.get(key) ?? 0) + c.count);
        }
        for (const r of op.revenue ?? []) {
          const key = JSON.stringify([op.day, r.placement, r.modelVersion, r.variant, r.currency]);
          const [orders, amount, purchases] = model.revenue.get(key) ?? [0, 0, 0];
          model.revenue.set(key, [orders + r.orders, amount + r.amount, purchases + purchasesBehind(r)]);
        }
        return;
      case 'items':
        for (const [id, count] of Object.entries(op.counts)) model.items.set(id, decayedAdd(model.items.get(id), count, op.at, op.halfLifeMs));
        return;
      case 'bestsellers':
        model.bestsellers = { ids: [...op.list.ids], updatedAt: op.list.updatedAt };
        return;
    }
  }

  metrics(name: string): MetricRow[] {
    const rows: MetricRow[] = [];
    for (const [key, count] of this.#models.get(name)?.metrics ?? []) {
      const [day, placement, modelVersion, variant, event] = JSON.parse(key) as [string, MetricRow['placement'], string, string, MetricRow['event']];
      rows.push({ day, placement, modelVersion, variant, event, count });
    }
    return rows;
  }

  revenue(name: string): RevenueRow[] {
    const rows: RevenueRow[] = [];
    for (const [key, [orders, amount, purchases]] of this.#models.get(name)?.revenue ?? []) {
      const [day, placement, modelVersion, variant, currency] = JSON.parse(key) as [string, RevenueRow['placement'], string, string, string];
      rows.push({ day, placement, modelVersion, variant, currency, orders, purchases, amount });
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
      models[name] = {
        metrics: [...m.metrics].map(([key, count]) => [...(JSON.parse(key) as [string, string, string, string, string]), count]),
        revenue: [...m.revenue].map(([key, [orders, amount, purchases]]) => [...(JSON.parse(key) as [string, string, string, string, string]), orders, amount, purchases]),
        items: Object.fromEntries([...m.items].map(([id, s]) => [id, [s.score, s.at]])),
        bestsellers: m.bestsellers,
      };
    }
    return { models };
  }

  static fromSnapshot(snapshot: AnalyticsSnapshot): AnalyticsState {
    const state = new AnalyticsState();
    for (const [name, m] of Object.entries(snapshot.models)) {
      const model = state.#model(name);
      for (const [day, placement, modelVersion, variant, event, count] of m.metrics) {
        model.metrics.set(JSON.stringify([day, placement, modelVersion, variant, event]), count);
      }
      for (const [day, placement, modelVersion, variant, currency, orders, amount, purchases] of m.revenue ?? []) {
        model.revenue.set(JSON.stringify([day, placement, modelVersion, variant, currency]), [orders, amount, purchasesBehind({ amount, purchases })]);
      }
      for (const [id, [score, at]] of Object.entries(m.items)) model.items.set(id, { score, at });
      model.bestsellers = m.bestsellers;
    }
    return state;
  }
}
