/**
 * A second test shop with Merchant Center variants, as its Merchant Center TSV feed: a rain jacket in
 * three sizes under one `item_group_id` (size S sold out), and products whose ids hold spaces. Served by
 * its own real edge server under `/variants/` (`variant-shop.ts`); a page points the widget at it with
 * `data-server="/variants"`. Plain data, imported by both the Node side and the browser tests.
 */

/** `data-server` of pages that use this shop. */
export const VARIANT_SERVER = '/variants';

/** A one-pixel image relative to the shop page (the test server serves the repository root): catalogs take http(s) images only. */
const IMAGE = '/test/support/browser/pixel.svg';

/** The jacket group: three sizes; S is out of stock, so a card shows M (the first in stock). */
export const JACKET = {
  group: 'rain jacket',
  sizes: ['rain jacket S', 'rain jacket M', 'rain jacket L'],
  shown: 'rain jacket M',
  link: '/p/rain-jacket?size=M',
} as const;

const HEADER = ['id', 'item_group_id', 'title', 'link', 'image_link', 'price', 'availability', 'product_type', 'size', 'color'];
const ROWS: string[][] = [
  ['rain jacket S', 'rain jacket', 'Rain jacket, size S', '/p/rain-jacket?size=S', IMAGE, '89.00 EUR', 'out of stock', 'Apparel > Jackets', 'S', 'navy'],
  ['rain jacket M', 'rain jacket', 'Rain jacket, size M', '/p/rain-jacket?size=M', IMAGE, '89.00 EUR', 'in stock', 'Apparel > Jackets', 'M', 'navy'],
  ['rain jacket L', 'rain jacket', 'Rain jacket, size L', '/p/rain-jacket?size=L', IMAGE, '89.00 EUR', 'in stock', 'Apparel > Jackets', 'L', 'navy'],
  ['wool hat', '', 'Wool hat', '/p/wool-hat', IMAGE, '25.00 EUR', 'in stock', 'Apparel > Hats', '', ''],
  ['mug 1', '', 'Stoneware mug', '/p/mug-1', IMAGE, '12.00 EUR', 'in stock', 'Home > Kitchen', '', ''],
  ['tea pot', '', 'Cast iron tea pot', '/p/tea-pot', IMAGE, '39.00 EUR', 'in stock', 'Home > Kitchen', '', ''],
  ['scarf', '', 'Merino scarf', '/p/scarf', IMAGE, '35.00 EUR', 'in stock', 'Apparel > Scarves', '', ''],
  ['gloves', '', 'Leather gloves', '/p/gloves', IMAGE, '45.00 EUR', 'in stock', 'Apparel > Gloves', '', ''],
  ['candle', '', 'Beeswax candle', '/p/candle', IMAGE, '9.00 EUR', 'in stock', 'Home > Decor', '', ''],
];

/** The shop's feed, uploaded as is with `PUT /v1/admin/catalog` (`text/tab-separated-values`). */
export const VARIANT_FEED = [HEADER, ...ROWS].map((row) => row.join('\t')).join('\n');

/** Cards a full row can show: one per group, the sold-out size's group by its size in stock. */
export const VARIANT_CARDS: readonly string[] = ['rain jacket M', 'wool hat', 'mug 1', 'tea pot', 'scarf', 'gloves', 'candle'];

/**
 * A second name the variant shop's model is published under, for `widget/ranking/popular.browser.test.ts`: a
 * bestseller list needs a published model (`PUT /v1/admin/models/:name/bestsellers` answers 404
 * `unknown_model` otherwise), and a name of its own keeps its list from any other test's rows.
 */
export const BESTSELLER_MODEL = 'bestsellers';

/** Admin bearer token of the variant shop's server. */
export const VARIANT_ADMIN_TOKEN = 'variant-admin-token-0123456789';
