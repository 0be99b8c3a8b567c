/**
 * The small shop the loader tests run against: its catalog, served at `/v1/catalog` by the test edge
 * server (`edge-server.ts`), and the ids a tiny published model knows. Plain data, imported by both the
 * Node side (the server) and the browser tests.
 */
import type { Catalog, Product } from '../../../core/catalog.ts';

const CATEGORIES = ['Beauty > Skin care', 'Beauty > Hair', 'Kitchen > Knives'] as const;

/**
 * A one-pixel image relative to the shop page (@web/test-runner serves the repository root): catalogs
 * take http(s) images only (core/catalog.ts `catalogUrl`), so no `data:` URL.
 */
const IMAGE = '/test/support/browser/pixel.svg';

function product(n: number): Product {
  const id = `p${String(n).padStart(2, '0')}`;
  const p: Product = {
    id,
    title: `Product ${n}`,
    link: `/p/${id}`,
    image_link: IMAGE,
    price: 10 + n,
    currency: 'EUR',
    // The last product is out of stock: no placement may show it.
    availability: n === 12 ? 'out_of_stock' : 'in_stock',
    product_type: CATEGORIES[n % CATEGORIES.length]!,
  };
  return p;
}

/** Twelve products `p01`..`p12` in "bestseller" order; `p12` is out of stock. */
export const TEST_CATALOG: Catalog = {
  updatedAt: '2026-01-01T00:00:00.000Z',
  products: Array.from({ length: 12 }, (_, i) => product(i + 1)),
};

export const PRODUCT_IDS: readonly string[] = TEST_CATALOG.products.map((p) => p.id);
export const OUT_OF_STOCK = 'p12';

/**
 * A second published model, with content features (issue 18): trained on `p01`..`p08` only, so `p09`..`p12`
 * are in the catalog but new to it, ranked from their features (category levels, price band).
 */
export const CONTENT_MODEL = 'content';
export const CONTENT_MODEL_ITEMS: readonly string[] = PRODUCT_IDS.slice(0, 8);

/** Admin bearer token of the test edge server (`edge-server.ts`): tests read metrics and set bestsellers with it. */
export const ADMIN_TOKEN = 'test-admin-token-0123456789';
