import { describe, expect, it } from 'vitest';
import { ATTACK_URLS, dangerous, runCatalogLinks } from './catalog-links.ts';

describe('attack: catalog links and images that run script (issue 14, must-have 2)', () => {
  it('accepts none of them in JSON, TSV or XML on Node, and the widget renders none and runs no script when given them', { timeout: 180_000 }, async () => {
    const outcome = await runCatalogLinks({ runtimes: ['node'], widget: true });
    const danger = ATTACK_URLS.filter(dangerous).length;
    expect(outcome.dangerousUploads).toBe(danger * 2 * 3);
    expect(outcome).toMatchObject({ dangerousAccepted: 0, unnamedRefusals: 0 });
    // Relative links still work. (A feed trims its fields, so "\u00a0javascript:" becomes a scheme there and is refused.)
    expect(outcome.harmlessAccepted).toBeGreaterThanOrEqual(outcome.harmlessUploads - 4);
    expect(Object.keys(outcome.statuses.node!).sort()).toEqual(['200', '400']);
    const w = outcome.widget!;
    // A stored catalog holding them is refused by the widget's own parse: no cards, an error event.
    expect(w.servedCatalog).toMatchObject({ cards: 0, dangerousLinks: 0, dangerousImages: 0 });
    expect(w.servedCatalog.errorEvents).toBeGreaterThanOrEqual(1);
    // Cards holding them are shown unlinked and without images, and clicking each runs nothing.
    expect(w.handedCards).toMatchObject({ dangerousLinks: 0, dangerousImages: 0, linkedCards: 0 });
    expect(w.handedCards.clicks).toBe(w.handedCards.cards);
    expect(w.handedCards.cards).toBeGreaterThanOrEqual(8);
    expect([w.scriptsRun, w.dialogs, w.navigations]).toEqual([0, 0, 0]);
  });
});
