/**
 * The privacy budget (ε) of a model's rounds: ε after n published rounds (Gaussian mechanism, RDP
 * composition: `core/federated/accountant.ts`), counted since the last reset, and the two caps intake
 * and rounds check, the total (`epsilonBudget`) and today's (`epsilonPerDay`, per UTC day).
 */
import { gaussianEpsilon } from '../../core/federated/accountant.ts';
import { roundNoiseMultiplier } from '../../core/federated/aggregate.ts';
import type { ResolvedFederationSettings } from '../../core/federated/settings.ts';
import type { BudgetReset, RoundRecord } from './store.ts';
import type { BudgetSummary } from './types.ts';

export const DAY_MS = 24 * 60 * 60 * 1000;
/** Slack for comparing composed ε figures (floating point). */
const EPSILON_SLACK = 1e-9;

/** What the budget reads of a model's state. */
type Spent = { rounds: readonly RoundRecord[]; resets: readonly BudgetReset[] };

export interface PrivacyBudget {
  /** ε after `published` rounds. */
  epsilonAfter(published: number): number;
  /** Rounds published since the last reset. */
  publishedCount(st: Spent): number;
  /** Whether one more published round would pass the total budget, or today's cap. */
  overBudget(st: Spent, at: number): 'total' | 'today' | null;
  /** The model's budget as `GET /v1/admin/privacy-budget` shows it, at time `at`. */
  summarize(model: string, st: Spent, at: number): BudgetSummary;
}

export function privacyBudget(settings: ResolvedFederationSettings): PrivacyBudget {
  const accounting = { noiseMultiplier: roundNoiseMultiplier(settings.aggregation), delta: settings.delta };
  // ε after n published rounds: asked on every upload (the budget check), and the RDP sum behind it only
  // changes with n, so each n is computed once.
  const epsilons = new Map<number, number>();
  const epsilonAfter = (published: number): number => {
    let epsilon = epsilons.get(published);
    if (epsilon === undefined) epsilons.set(published, (epsilon = gaussianEpsilon(accounting, published)));
    return epsilon;
  };
  /** Rounds since the last budget reset. */
  const sinceReset = (st: Spent): readonly RoundRecord[] => {
    const after = st.resets.at(-1)?.afterRound ?? 0;
    return st.rounds.filter((r) => r.round > after);
  };
  /** Published rounds since the last reset: all, and those before today's UTC midnight (what today's spend starts from). */
  const spending = (st: Spent, at: number): { published: number; beforeToday: number } => {
    const midnight = at - (at % DAY_MS);
    let published = 0;
    let beforeToday = 0;
    for (const r of sinceReset(st)) {
      if (r.status !== 'published') continue;
      published++;
      if (Date.parse(r.closedAt) < midnight) beforeToday++;
    }
    return { published, beforeToday };
  };
  return {
    epsilonAfter,
    publishedCount: (st) => sinceReset(st).filter((r) => r.status === 'published').length,
    overBudget(st, at) {
      const { published, beforeToday } = spending(st, at);
      const next = epsilonAfter(published + 1);
      if (next > settings.epsilonBudget + EPSILON_SLACK) return 'total';
      if (next - epsilonAfter(beforeToday) > settings.epsilonPerDay + EPSILON_SLACK) return 'today';
      return null;
    },
    summarize(model, st, at) {
      const { published, beforeToday } = spending(st, at);
      return {
        model,
        totalEpsilon: epsilonAfter(published),
        epsilonBudget: settings.epsilonBudget,
        todayEpsilon: epsilonAfter(published) - epsilonAfter(beforeToday),
        epsilonPerDay: settings.epsilonPerDay,
        publishedRounds: published,
        resets: structuredClone(st.resets) as BudgetReset[],
      };
    },
  };
}
