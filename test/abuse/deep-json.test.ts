import { describe, expect, it } from 'vitest';
import { deepJson } from './deep-json.ts';

describe('deeply nested JSON bodies (issue 14, must-have 6)', () => {
  it('get a 4xx from every JSON route at every depth, on Node and on Workers, never a 5xx', async () => {
    const outcome = await deepJson({ depths: [10, 1_000, 6_000, 100_000] });
    expect(outcome.unexpected).toEqual([]);
    for (const runtime of ['node', 'workers']) {
      const { requests, statuses } = outcome.runtimes[runtime]!;
      expect(requests).toBeGreaterThan(200);
      // Most bodies are read and refused (400); the deepest are over a body limit (413).
      expect(statuses[400]).toBeGreaterThan(requests / 2);
    }
  }, 240_000);
});
