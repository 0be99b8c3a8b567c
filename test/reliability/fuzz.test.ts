/**
 * Generated inputs against every parser and route that takes outside bytes (`fuzz-targets.ts` says what
 * must hold). A few hundred cases per target here; `npm run bench -- reliability` runs 10,000 each.
 * A failure prints fast-check's seed and shrunk counterexample; `FUZZ_SEED=… npx vitest run
 * test/reliability/fuzz.test.ts` replays it.
 */
import { describe, expect, it } from 'vitest';
import { FUZZ_TARGETS, runTarget } from './fuzz-targets.ts';

const CASES = Number(process.env.FUZZ_CASES ?? 200);

describe('fuzzing with generated inputs', () => {
  for (const target of FUZZ_TARGETS) {
    it(`${target.name}: ${CASES} generated inputs, no crash, no 5xx, a clear error and no state change`, { timeout: 60_000 }, async () => {
      const outcome = await runTarget(target, CASES);
      if (outcome.report) console.error(outcome.report);
      expect(outcome.report).toBeUndefined();
      expect(outcome.cases).toBe(CASES);
    });
  }
});
