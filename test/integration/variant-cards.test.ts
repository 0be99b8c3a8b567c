/**
 * A card of a variant group shows the size the shopper chose: the page's real `Engine` in Node against a
 * real edge server on a loopback port (`test/support/engine-shop.ts`), whose catalog is an apparel shop's
 * Merchant Center TSV feed with sizes under `item_group_id`. No model is published, so rows come from the
 * shopper's views (`recently-viewed`) and the catalog's order (every other row); ranking is by group.
 */
import { beforeEach, expect, it } from 'vitest';
import { useEngineShop } from '../support/engine-shop.ts';
import type { Card, Placement } from '../../widget/engine/engine.ts';

const IMAGE = 'https://shop.example/i.png';
const HEADER = ['id', 'item_group_id', 'title', 'link', 'image_link', 'price', 'sale_price', 'availability', 'product_type'];
const size = (group: string, title: string, s: string, price: string, availability = 'in stock', sale = ''): string[] =>
  [`${group}-${s}`, group, `${title}${s}`, `https://shop.example/p/${group}?size=${s}`, `${IMAGE}?${group}-${s}`, price, sale, availability, 'Cycling > Apparel'];
const ROWS = [
  // The first size of each group is the one a card shows by default (the first in stock).
  ...['S', 'M', 'L'].map((s) => size('jersey', 'Aero Race Jersey, size ', s, '89.00 EUR', 'in stock', s === 'L' ? '79.00 EUR' : '')),
  ...['S', 'M', 'L'].map((s) => size('bib', 'Pro Bib Shorts, size ', s, '119.00 EUR')),
  // Size 41 is sold out; 42 is the shoe's card by default; 44 is on backorder.
  ...[['41', 'out of stock'], ['42', 'in stock'], ['43', 'in stock'], ['44', 'backorder']].map(([s, a]) => size('shoe', 'Road Shoe RC3 ', s!, '249.00 EUR', a)),
  ['bottle', '', 'Insulated Bottle 750 ml', 'https://shop.example/p/bottle', IMAGE, '19.00 EUR', '', 'in stock', 'Cycling > Accessories'],
];
const FEED = [HEADER, ...ROWS].map((row) => row.join('\t')).join('\n');

const shop = useEngineShop({ feed: FEED });

beforeEach(async () => {
  await shop.engine.forget();
});

const row = (placement: Placement, itemId?: string): Promise<Card[]> => shop.engine.recommend({ placement, count: 8, ...(itemId ? { itemId } : {}) });
const shown = (cards: Card[]): string[] => cards.map((c) => c.product.id);
const card = (cards: Card[], group: string): Card => cards.find((c) => c.product.id.startsWith(`${group}-`))!;

it('shows each group as the size the shopper last viewed, added or bought, with that size\'s title, price, image and link', async () => {
  const { engine } = shop;
  // Before any activity: each group's default size.
  expect(shown(await row('for-you'))).toEqual(['jersey-S', 'bib-S', 'shoe-42', 'bottle']);
  await engine.track('view_item', { items: [{ item_id: 'jersey-L' }] });
  await engine.track('view_item', { items: [{ item_id: 'bib-L' }] });
  // Added size M of the shorts, then took it out again: the newest size they had is M.
  await engine.track('add_to_cart', { items: [{ item_id: 'bib-M', quantity: 1 }] });
  await engine.track('remove_from_cart', { items: [{ item_id: 'bib-M', quantity: 1 }] });
  // A list's select_item of size S is not the shopper's choice of size.
  await engine.track('select_item', { items: [{ item_id: 'jersey-S' }] });
  const forYou = await row('for-you');
  // Ranked by group as before (the catalog's order): only the size shown changed.
  expect(shown(forYou)).toEqual(['jersey-L', 'bib-M', 'shoe-42', 'bottle']);
  const jersey = card(forYou, 'jersey');
  expect([jersey.product.title, jersey.product.link, jersey.product.image_link, jersey.product.sale_price]).toEqual([
    'Aero Race Jersey, size L',
    'https://shop.example/p/jersey?size=L',
    `${IMAGE}?jersey-L`,
    79,
  ]);
});

it('falls back to the group\'s default where the size the shopper had cannot be ordered', async () => {
  const { engine } = shop;
  await engine.track('view_item', { items: [{ item_id: 'shoe-41' }] });
  expect(card(await row('for-you'), 'shoe').product.id).toBe('shoe-42');
  // Backorder can be ordered: shown.
  await engine.track('view_item', { items: [{ item_id: 'shoe-44' }] });
  expect(card(await row('for-you'), 'shoe').product.id).toBe('shoe-44');
});

it('recently viewed shows the size viewed, saying so; a sold-out size viewed shows an orderable one without claiming it was viewed', async () => {
  const { engine } = shop;
  for (const id of ['jersey-L', 'bib-S', 'shoe-41']) await engine.track('view_item', { items: [{ item_id: id }] });
  const viewed = await row('recently-viewed');
  expect(shown(viewed)).toEqual(['shoe-42', 'bib-S', 'jersey-L']);
  const [shoe, bib, jersey] = viewed as [Card, Card, Card];
  // (The bandit picks each card's line among the true ones; "why this?" is fixed.)
  for (const c of [bib, jersey]) expect(c.why).toMatch(/^You viewed this product/);
  expect(jersey.product.link).toBe('https://shop.example/p/jersey?size=L');
  // Size 41 was viewed and is sold out: the card shows 42, and no line says 42 was viewed.
  expect(shoe.reason).not.toMatch(/You viewed/);
  expect(shoe.why).toBe('You viewed Road Shoe RC3 41, which is sold out; this card shows a variant you can order. The list is kept on this device only.');
});
