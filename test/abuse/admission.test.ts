import { describe, expect, it } from 'vitest';
import { admissionAttack } from './admission.ts';

describe('an address that asks for admission tokens again and again, forges and replays them (issue 14, must-have 1)', () => {
  it('gets one token a day, has no forged or replayed update taken, and an honest device elsewhere still uploads', async () => {
    const outcome = await admissionAttack({ issuanceRequests: 20, forgeries: 12, replays: 10 });
    expect(outcome.tokensIssuedToAttacker).toBe(1);
    expect(outcome.issuanceStatuses).toEqual({ '200': 1, '429 token_limit': 19 });
    expect(outcome.attackerTokenAccepted).toBe(true);
    expect(outcome.forgedAccepted).toBe(0);
    expect(outcome.replayedAccepted).toBe(0);
    expect(outcome.honestAccepted).toBe(true);
  }, 180_000);
});
