import { describe, expect, it } from 'vitest';
import { unknownNames } from './unknown-names.ts';

describe('anonymous requests naming unknown models (issue 14, must-have 4)', () => {
  it('leave the real server\'s heap flat: no route remembers a made-up name', async () => {
    const outcome = await unknownNames({ names: 2000 });
    for (const [route, byStatus] of Object.entries(outcome.statuses)) {
      for (const status of Object.keys(byStatus)) expect(Number(status), `${route} answered ${status}`).toBeLessThan(500);
    }
    expect(outcome.statuses.manifest).toEqual({ 404: 2000 });
    // A cache of misses kept ~120 bytes per name (1.4 MB here); what is left is bounded caches and noise.
    expect(outcome.heapBytesPerName).toBeLessThan(60);
  }, 180_000);
});
