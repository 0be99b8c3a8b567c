import { describe, expect, it } from 'vitest';
import { MERCHANT_DEFAULTS, mergeMerchantConfig, rulesFor } from './merchant.ts';

(globalThis as { __EDGE_RECS_DEV__?: boolean }).__EDGE_RECS_DEV__ = true;

function merge(raw: unknown) {
  const warnings: string[] = [];
  return { config: mergeMerchantConfig(MERCHANT_DEFAULTS, raw, (m) => warnings.push(m)), warnings };
}

describe('merchant config', () => {
  it('reads rules, per-placement rules, copy and lowStock', () => {
    const { config, warnings } = merge({
      rules: { exclude: ['Gift cards'], boost: [{ brand: 'Lumen', by: 0.3 }], pin: [{ id: 'sku-1', position: 1 }], maxPerCategory: 2 },
      placements: { cart: { include: ['Coffee & tea'] } },
      copy: { 'fr-fr': { viewed: ['Parce que vous avez regardé {title}'] } },
      lowStock: 3,
    });
    expect(warnings).toEqual([]);
    expect(rulesFor(config, 'cart')).toEqual({ exclude: ['Gift cards'], boost: [{ brand: 'Lumen', by: 0.3 }], pin: [{ id: 'sku-1', position: 1 }], maxPerCategory: 2, include: ['Coffee & tea'] });
    expect(rulesFor(config, 'for-you').include).toBeUndefined();
    expect(config.copy['fr-FR']).toEqual({ viewed: ['Parce que vous avez regardé {title}'] });
    expect(config.lowStock).toBe(3);
  });

  it('drops each invalid entry, keeps the valid rest and warns naming it and the valid choices', () => {
    const { config, warnings } = merge({
      rules: { boost: [{ brand: 'X', by: 5 }, { by: 0.2 }, { category: 'Hair', by: 0.2 }], pin: [{ id: 'a', position: 0 }], maxPerCategory: -1, sort: 'price' },
      placements: { home: {} },
      copy: { en: { bogus: ['x'], viewed: 'not a list' } },
      lowStock: 'few',
      theme: 'dark',
    });
    expect(rulesFor(config, 'for-you')).toEqual({ maxPerCategory: 3, boost: [{ category: 'Hair', by: 0.2 }], pin: [] });
    for (const expected of ['boost[0] needs "by", a number from -1 to 1', 'boost[1] must match by category, brand or ids', 'pin[0] must be { "id": string, "position": 1-24 }',
      'maxPerCategory must be a whole number 0-24', 'rules.sort is not a rule', 'placements.home is not a placement; choose from for-you, similar, cart, recently-viewed, trending',
      'copy.en.bogus is not a reason kind', 'copy.en.viewed must be an array', 'lowStock must be a whole number', 'unknown key "theme"']) {
      expect(warnings.join('\n')).toContain(expected);
    }
  });

  it('ignores a config that is not an object', () => {
    expect(merge('nope').config).toBe(MERCHANT_DEFAULTS);
  });
});
