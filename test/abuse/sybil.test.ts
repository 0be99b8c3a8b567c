import { describe, expect, it } from 'vitest';
import { sybil } from './sybil.ts';

describe('a Sybil takeover of federated rounds from one address (issue 14, must-have 1)', () => {
  it('takes at most 2% of a round from it, publishes nothing for it, trends none of its items, and still takes honest devices', async () => {
    // The demo's low noise, so that a round the attacker owned would make its items trend (on the old
    // code: every target item trending, a round published and ε spent by the attack alone).
    const outcome = await sybil({ cohort: 50, attackUpdates: 120, aggregation: { clipNorm: 0.1, rowClipNorm: 0.05, noiseMultiplier: 0.5, countNoiseMultiplier: 0.5, releaseThreshold: 2 }, epsilonBudget: 1000 });
    expect(outcome.attackAccepted).toBe(1); // 2% of 50, at least 1
    expect(outcome.attackStatuses['429 source_share_exceeded']).toBe(119);
    expect(outcome.maxAttackerShare).toBeLessThanOrEqual(0.02);
    expect(outcome.roundsPublishedByAttack).toBe(0);
    expect(outcome.epsilonSpentByAttack).toBe(0);
    expect(outcome.honestAccepted).toBe(outcome.honestSent);
    // The honest devices closed the round: one round's ε, none of the attacker's items trending.
    expect(outcome.roundsPublished).toBe(1);
    expect(outcome.epsilonSpent).toBeLessThanOrEqual(outcome.oneRoundEpsilon + 1e-9);
    expect(outcome.targetItemsTrending).toBe(0);
  }, 180_000);
});
