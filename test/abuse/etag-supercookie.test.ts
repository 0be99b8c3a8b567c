import { describe, expect, it } from 'vitest';
import { etagSupercookie } from './etag-supercookie.ts';

describe('ETags as a supercookie (issue 14, must-have 8)', () => {
  it('a server handing each visit its own ETag and date never gets one back, and the widget still ranks', async () => {
    const outcome = await etagSupercookie({ visits: 4 });
    expect(outcome.issued).toBeGreaterThan(0);
    expect(outcome.echoed, JSON.stringify(outcome.echoedByPath)).toBe(0);
    expect(outcome.ready).toBe(4);
  }, 240_000);
});
