import { AnalyticsState } from './state.ts';
import type { AnalyticsStore } from './store.ts';

/**
 * Aggregate analytics held in process memory: for tests and the default of `createApp`, and the
 * reference behaviour the disk and Durable Object stores match. Nothing survives a restart.
 */
export function createMemoryAnalytics(): AnalyticsStore {
  const state = new AnalyticsState();
  return {
    ...state.readers(),
    async addMetrics(model, day, counters, revenue = [], maxCells) {
      return { dropped: state.apply({ op: 'metrics', model, day, counters, revenue, ...(maxCells === undefined ? {} : { maxCells }) }) };
    },
    async addItemCounts(model, counts, at, halfLifeMs) {
      state.apply({ op: 'items', model, counts: { ...counts }, at, halfLifeMs });
    },
    async putBestsellers(model, list) {
      state.apply({ op: 'bestsellers', model, list });
    },
  };
}
