import { AnalyticsState, START_CODES } from './state.ts';
import type { AnalyticsStore } from './store.ts';

/**
 * Aggregate analytics held in process memory: for tests and the default of `createApp`, and the
 * reference behaviour the disk and Durable Object stores match. Nothing survives a restart.
 */
export function createMemoryAnalytics(): AnalyticsStore {
  const state = new AnalyticsState();
  return {
    ...state.readers(),
    async addMetrics(model, day, counters, revenue = [], maxCells, experiments) {
      return {
        dropped: state.apply({
          op: 'metrics',
          model,
          day,
          counters,
          revenue,
          ...(maxCells === undefined ? {} : { maxCells }),
          ...(experiments ? { experiments: experiments.counters, experimentRevenue: experiments.revenue } : {}),
        }),
      };
    },
    async startExperiment(model, experiment) {
      return START_CODES[state.apply({ op: 'experiment-start', model, experiment: { ...experiment } })] ?? null;
    },
    async endExperiment(model, endedAt) {
      return state.apply({ op: 'experiment-end', model, endedAt }) === 1 ? (state.experiments(model).ended[0] ?? null) : null;
    },
    async addItemCounts(model, counts, at, halfLifeMs) {
      state.apply({ op: 'items', model, counts: { ...counts }, at, halfLifeMs });
    },
    async putBestsellers(model, list) {
      state.apply({ op: 'bestsellers', model, list });
    },
  };
}
