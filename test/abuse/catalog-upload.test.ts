import { describe, expect, it } from 'vitest';
import { runCatalogUpload } from './catalog-upload.ts';

describe('attack: a catalog upload that holds the server (issue 14, must-have 5)', () => {
  it('refuses 250k empty XML items by the item cap, and keeps answering /healthz while a 15k-product feed is parsed', { timeout: 180_000 }, async () => {
    const outcome = await runCatalogUpload({ products: 15_000, emptyItems: 250_000 });
    expect(outcome.emptyItems).toMatchObject({ status: 400, code: 'too_many_items', message: expect.stringContaining('more than 200,000 products') });
    expect(outcome.upload).toMatchObject({ status: 200, storedProducts: 15_000 });
    expect(outcome.healthz.non200).toBe(0);
    expect(outcome.healthz.samples).toBeGreaterThan(0);
    // Not a latency budget: a parse on the event loop holds every health check for about the whole upload
    // (the slowest waits ~90% of it), one in a worker thread for a sliver of it.
    expect(outcome.healthz.maxMs).toBeLessThan(outcome.upload.ms / 2);
  });
});
