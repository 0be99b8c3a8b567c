/**
 * Copy on a card the model ranked from its content features alone (`Ranked.fromContent`: a product new in
 * the catalog, or held out of training): content facts only ("Same brand as …", "More in …"), never a
 * claim about what the shopper or other shoppers did, in every built-in locale.
 */
import { describe, expect, it } from 'vitest';
import { TRENDING_MIN_SCORE } from '../../core/analytics.ts';
import type { Product } from '../../core/catalog.ts';
import type { ShopEvent } from '../../core/events.ts';
import { deriveProfile } from '../ranking/profile.ts';
import type { Ranked, Tier } from '../ranking/ranking.ts';
import { candidateLines, why, type CopyContext } from './copy.ts';
import { BUILT_IN, WHY } from './templates.ts';

const P = (id: string, product_type: string, extra: Partial<Product> = {}): Product => ({
  id, title: `Title ${id}`, link: `/p/${id}`, image_link: '/i', price: 30, currency: 'EUR', availability: 'in_stock', product_type, ...extra,
});
const catalog = new Map(
  [
    P('stove', 'Outdoor > Stoves', { brand: 'Flame' }),
    P('pan', 'Outdoor > Cookware', { brand: 'Pan Co' }),
    P('kettle', 'Outdoor > Cookware', { brand: 'Flame' }),
    // New in the catalog: the model ranks them from their features.
    P('new-stove', 'Outdoor > Stoves', { brand: 'Flame', sale_price: 25 }),
    P('new-pot', 'outdoor >cookware', { brand: 'Other' }),
    P('new-lamp', 'Home > Lamps'),
  ].map((p) => [p.id, p]),
);
const ev = (name: ShopEvent['name'], id: string, ts: number): ShopEvent => ({ name, ts, items: [{ item_id: id }] });
/** Viewed a stove, then a pan (newest). */
const history = [ev('view_item', 'stove', 1), ev('view_item', 'pan', 2)];
const READ = ['stove', 'pan'];

function ctx(locale: string, over: Partial<CopyContext> = {}): CopyContext {
  return {
    locale,
    placement: 'for-you',
    profile: deriveProfile(history, (id) => catalog.get(id)),
    product: (id) => catalog.get(id),
    currentItem: 'pan',
    lowStock: 5,
    overrides: {},
    trendingScore: () => TRENDING_MIN_SCORE,
    bestseller: () => true,
    // Even a table saying shoppers chose it next is no claim a content-ranked card may make.
    choseNext: () => true,
    groupTitle: (key) => catalog.get(key)?.title,
    ...over,
  };
}
const card = (id: string, tier: Tier = 'personal', basis: readonly string[] = READ, fromContent = true): Ranked => ({
  product: catalog.get(id)!, tier, boosted: false, basis, ...(fromContent && { fromContent: true as const }),
});
const kinds = (r: Ranked, c: CopyContext): string[] => [...new Set(candidateLines(r, c).map((l) => l.kind))].sort();
/** Kinds that state content or catalog facts only. */
const CONTENT_KINDS = new Set(['same_brand', 'more_in', 'price_drop', 'low_stock', 'neutral']);

describe('copy on a card ranked from its content alone', () => {
  it('says "Same brand as X" of an item the ranking read, and no behavioural claim, though the evidence for one is there', () => {
    const r = card('new-stove', 'similar');
    const lines = candidateLines(r, ctx('en'));
    expect(lines.map((l) => l.text)).toEqual(expect.arrayContaining(['Same brand as Title stove', 'Also from Flame, like Title stove']));
    expect(kinds(r, ctx('en'))).toEqual(['more_in', 'price_drop', 'same_brand']);
    // The same product as a card the model knows by its id row has the behavioural lines back.
    expect(kinds(card('new-stove', 'similar', READ, false), ctx('en'))).toEqual(expect.arrayContaining(['viewed', 'similar', 'personal']));
    expect(kinds(card('new-stove', 'similar', READ, false), ctx('en'))).not.toContain('same_brand');
  });

  it('says "More in C" where the ranking read an item of the same category (case and spacing aside), naming the card\'s own category', () => {
    const lines = candidateLines(card('new-pot'), ctx('en'));
    expect(lines.map((l) => l.text)).toEqual(expect.arrayContaining(['More in cookware', 'Also in cookware, like Title pan']));
    expect(kinds(card('new-pot'), ctx('en'))).toEqual(['more_in']);
    expect(why(card('new-pot'), ctx('en'))).toBe(WHY.en!.content_category!.replace('{title}', 'Title pan'));
  });

  it('names only what the ranking read: an item of the same brand it did not read gives no line', () => {
    expect(kinds(card('new-stove', 'personal', ['pan']), ctx('en'))).toEqual(['neutral', 'price_drop']);
    expect(why(card('new-stove', 'personal', ['pan']), ctx('en'))).toBe(WHY.en!.content);
  });

  it('falls back to the neutral line and a plain explanation where no content fact ties it to the history', () => {
    const r = card('new-lamp');
    expect(kinds(r, ctx('en'))).toEqual(['neutral']);
    expect(why(r, ctx('en'))).toBe('Ranked on this device from its catalog details alone (category, brand, price). Your history never leaves this device.');
  });

  it('holds in every built-in locale: content kinds only, each with the locale\'s own templates, and an explanation naming the item read', () => {
    for (const locale of Object.keys(BUILT_IN)) {
      expect(BUILT_IN[locale]!.same_brand!.length, locale).toBeGreaterThan(0);
      expect(BUILT_IN[locale]!.more_in!.length, locale).toBeGreaterThan(0);
      expect(WHY[locale]!.content_brand, locale).toContain('{title}');
      for (const id of ['new-stove', 'new-pot', 'new-lamp']) {
        for (const tier of ['personal', 'similar'] as const) {
          for (const placement of ['for-you', 'similar', 'cart'] as const) {
            const c = ctx(locale, { placement, profile: deriveProfile([...history, ev('add_to_cart', 'kettle', 3)], (x) => catalog.get(x)) });
            const lines = candidateLines(card(id, tier, [...READ, 'kettle']), c);
            for (const line of lines) {
              expect(CONTENT_KINDS.has(line.kind), `${locale} ${id} ${tier} ${placement}: ${line.kind}`).toBe(true);
              expect(line.key.startsWith(`${locale}|`), `${locale} templates for ${line.kind}`).toBe(true);
              expect(line.text).not.toMatch(/[{}]/);
            }
          }
        }
      }
      // The kettle (Flame, newest read) is what the stove is the same brand as.
      const c = ctx(locale, { profile: deriveProfile([...history, ev('view_item', 'kettle', 3)], (x) => catalog.get(x)) });
      expect(why(card('new-stove', 'personal', [...READ, 'kettle']), c)).toBe(WHY[locale]!.content_brand!.replace('{title}', 'Title kettle'));
      expect(candidateLines(card('new-stove', 'personal', [...READ, 'kettle']), c).find((l) => l.kind === 'same_brand')!.slots.title).toBe('Title kettle');
    }
  });
});

describe('copy on a card of the similar row\'s category tier (no model: the product on screen\'s category)', () => {
  const onPage = (id: string, locale = 'en'): CopyContext => ctx(locale, { placement: 'similar', currentItem: id, profile: deriveProfile([], (x) => catalog.get(x)) });
  const peer = (id: string): Ranked => ({ product: catalog.get(id)!, tier: 'category', boosted: false });

  it('names the category the card shares with the product on screen, and the product, and claims nothing about shoppers', () => {
    // A pan (Outdoor > Cookware) on a stove's page (Outdoor > Stoves): they share Outdoor, not Cookware.
    expect(candidateLines(peer('pan'), onPage('stove')).map((l) => l.text)).toEqual(['More in Outdoor', 'Also in Outdoor, like Title stove']);
    expect(why(peer('pan'), onPage('stove'))).toBe('In Outdoor, as is Title stove, the product on this page (from the shop’s catalog).');
    // The same leaf: the leaf is named, as the card's catalog spells it.
    expect(candidateLines(peer('new-pot'), onPage('pan')).map((l) => l.text)).toEqual(['More in cookware', 'Also in cookware, like Title pan']);
  });

  it('has no category line where the two share no category, in every built-in locale', () => {
    for (const locale of Object.keys(BUILT_IN)) {
      expect(kinds(peer('new-lamp'), onPage('stove', locale)), locale).toEqual(['neutral']);
      expect(why(peer('new-lamp'), onPage('stove', locale)), locale).toBe(WHY[locale]!.neutral);
      expect(why(peer('pan'), onPage('stove', locale)), locale).not.toMatch(/[{}]/);
      expect(WHY[locale]!.same_category, locale).toMatch(/\{category\}.*\{title\}|\{title\}.*\{category\}/);
    }
  });
});
