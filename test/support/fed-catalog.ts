/**
 * The shop of the on-device training tests, shared by the browser side (`training.browser.test.ts`) and
 * the server it trains against (`edge-server/training-server.ts`): no Node or browser dependency here.
 */
import type { Product } from '../../core/catalog.ts';

export const FED_ITEMS = Array.from({ length: 30 }, (_, i) => `p${i + 1}`);
/**
 * The shop's catalog for the features model: the model's 30 items, and `p31`, a product added after
 * training (a category and brand the model's items have).
 */
export const FED_PRODUCTS: Product[] = [...FED_ITEMS, 'p31'].map((id, i) => ({
  id,
  title: `Product ${id}`,
  link: `/p/${id}`,
  image_link: `/img/${id}.png`,
  price: 10 + (i % 4) * 10,
  currency: 'EUR',
  availability: 'in_stock',
  product_type: `Home > ${['Kitchen', 'Garden', 'Bath'][i % 3]}`,
  brand: ['Acme', 'Birch'][i % 2],
}));
