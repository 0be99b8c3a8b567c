/**
 * The `recently-viewed` row keeps docs/merchant-guide.md's promise for every row: purchased, in-cart, out-of-stock
 * and on-screen items never appear. The page's real `Engine` in Node against a real edge server on a
 * loopback port (`test/support/engine-shop.ts`: the shop's Merchant Center TSV feed), fed the shopper's
 * events through `track` as the page's dataLayer bridge does.
 */
import { expect, it } from 'vitest';
import { useEngineShop } from '../support/engine-shop.ts';

const IMAGE = 'https://shop.example/i.png';
const HEADER = ['id', 'title', 'link', 'image_link', 'price', 'availability', 'product_type'];
const ROWS = [
  ['mug', 'Mug', 'https://shop.example/p/mug', IMAGE, '12.00 EUR', 'in stock', 'Home > Kitchen'],
  ['tea pot', 'Tea pot', 'https://shop.example/p/tea-pot', IMAGE, '39.00 EUR', 'in stock', 'Home > Kitchen'],
  ['scarf', 'Scarf', 'https://shop.example/p/scarf', IMAGE, '35.00 EUR', 'in stock', 'Apparel > Scarves'],
  ['hat', 'Hat', 'https://shop.example/p/hat', IMAGE, '25.00 EUR', 'in stock', 'Apparel > Hats'],
  ['lamp', 'Lamp', 'https://shop.example/p/lamp', IMAGE, '59.00 EUR', 'out of stock', 'Home > Lighting'],
  ['rug', 'Rug', 'https://shop.example/p/rug', IMAGE, '99.00 EUR', 'in stock', 'Home > Textiles'],
];
const FEED = [HEADER, ...ROWS].map((row) => row.join('\t')).join('\n');

// No model is published: the row is the shopper's own views, whatever ranks the others.
const shop = useEngineShop({ feed: FEED });

it('shows viewed items newest first, never one bought, in the cart, out of stock or on screen', async () => {
  const { engine } = shop;
  for (const id of ['mug', 'tea pot', 'scarf', 'hat', 'lamp', 'rug']) await engine.track('view_item', { items: [{ item_id: id }] });
  await engine.track('add_to_cart', { items: [{ item_id: 'scarf', quantity: 1 }] });
  await engine.track('purchase', { transaction_id: 'T-1', value: 39, currency: 'EUR', items: [{ item_id: 'tea pot', price: 39, quantity: 1 }] });
  const ids = async (itemId?: string): Promise<string[]> => (await engine.recommend({ placement: 'recently-viewed', count: 8, ...(itemId ? { itemId } : {}) })).map((c) => c.product.id);
  // Viewed, newest first: rug, lamp (out of stock), hat, scarf (in the cart), tea pot (bought), mug.
  expect(await ids()).toEqual(['rug', 'hat', 'mug']);
  expect(await ids('hat')).toEqual(['rug', 'mug']);
});
