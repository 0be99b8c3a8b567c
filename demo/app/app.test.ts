import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../core/events.ts';
import { demoCatalog } from '../catalog.ts';
import { CART_KEY, CartStore, MAX_QUANTITY } from './cart.ts';
import { categoryUrl, isShopPath, parseRoute } from './routes.ts';
import { SHOP_TEMPLATE, SNIPPET_PLACEHOLDER } from './template.ts';
import {
  availability,
  buildShop,
  cartTotals,
  cartView,
  categoryView,
  eventItem,
  FREE_SHIPPING_FROM,
  homeView,
  plural,
  productTile,
  productView,
  SHIPPING_FEE,
} from './views.ts';

const shop = buildShop(demoCatalog());
const products = demoCatalog().products;
const cheap = products.find((p) => p.availability === 'in_stock' && p.sale_price === undefined && p.price < 10 && (p.stock ?? 99) > 5)!;

function memoryStorage(): Storage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    get length() {
      return data.size;
    },
    clear: () => data.clear(),
    getItem: (k) => data.get(k) ?? null,
    key: (i) => [...data.keys()][i] ?? null,
    removeItem: (k) => void data.delete(k),
    setItem: (k, v) => void data.set(k, v),
  };
}

describe('routes', () => {
  it('parses every shop URL', () => {
    expect(parseRoute('/')).toEqual({ page: 'home' });
    expect(parseRoute('/cart')).toEqual({ page: 'cart' });
    expect(parseRoute('/p/sku-0042')).toEqual({ page: 'product', id: 'sku-0042' });
    expect(parseRoute('/c/coffee-tea')).toEqual({ page: 'category', slug: 'coffee-tea', type: null, sort: 'featured' });
    expect(parseRoute('http://shop.example/c/kitchen?type=knives&sort=price-desc')).toEqual({ page: 'category', slug: 'kitchen', type: 'knives', sort: 'price-desc' });
    expect(parseRoute('/c/kitchen?sort=cheapest')).toMatchObject({ sort: 'featured' });
    for (const path of ['/p/', '/p/a/b', '/x', '/p/%E0%A4%A', '/cart/']) expect(parseRoute(path), path).toEqual({ page: 'not-found' });
  });

  it('tells shop pages from server routes, so only shop links are handled in-app', () => {
    for (const path of ['/', '/cart', '/c/kitchen', '/p/sku-0001']) expect(isShopPath(path), path).toBe(true);
    for (const path of ['/v1/catalog', '/widget/edge-recs.js', '/demo/img/sku-0001.svg', '/p/a/b']) expect(isShopPath(path), path).toBe(false);
  });

  it('builds category URLs with defaults left out', () => {
    expect(categoryUrl('kitchen')).toBe('/c/kitchen');
    expect(categoryUrl('kitchen', { type: 'knives', sort: 'featured' })).toBe('/c/kitchen?type=knives');
    expect(categoryUrl('kitchen', { sort: 'price-asc' })).toBe('/c/kitchen?sort=price-asc');
  });
});

describe('cart', () => {
  it('keeps lines in localStorage and reads them back', () => {
    const storage = memoryStorage();
    const cart = new CartStore(storage);
    expect(cart.add('sku-0001', 2)).toBe(2);
    expect(cart.add('sku-0002', 1)).toBe(1);
    expect(new CartStore(storage).all()).toEqual([
      { id: 'sku-0001', quantity: 2 },
      { id: 'sku-0002', quantity: 1 },
    ]);
    expect(cart.count()).toBe(3);
  });

  it('reports the change actually made, clamped to the limit', () => {
    const cart = new CartStore(memoryStorage());
    expect(cart.add('a', 4, 3)).toBe(3);
    expect(cart.add('a', 1, 3)).toBe(0);
    expect(cart.set('a', 1)).toBe(-2);
    expect(cart.add('a', 99)).toBe(MAX_QUANTITY - 1);
    expect(cart.set('a', 0)).toBe(-MAX_QUANTITY);
    expect(cart.all()).toEqual([]);
  });

  it('survives storage that is missing, throws or holds garbage', () => {
    const throwing = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('full'); } };
    const cart = new CartStore(throwing);
    expect(cart.add('a', 1)).toBe(1);
    expect(cart.quantity('a')).toBe(1);
    expect(new CartStore(null).all()).toEqual([]);
    const storage = memoryStorage();
    storage.setItem(CART_KEY, '{"not":"a list"}');
    expect(new CartStore(storage).all()).toEqual([]);
    storage.setItem(CART_KEY, '[{"id":"a","quantity":2},{"id":"a","quantity":3},{"id":5},{"id":"b","quantity":-1},{"id":"c","quantity":1.5}]');
    expect(new CartStore(storage).all()).toEqual([{ id: 'a', quantity: 2 }]);
  });

  it('drops lines whose product left the catalog', () => {
    const cart = new CartStore(memoryStorage());
    cart.add('sku-0001', 1);
    cart.add('gone', 1);
    cart.retain((id) => shop.products.has(id));
    expect(cart.all()).toEqual([{ id: 'sku-0001', quantity: 1 }]);
  });
});

describe('views', () => {
  it('writes counts in the form English gives them: "1 product", "0 items", "2 products"', () => {
    expect([plural(1, 'product', 'products'), plural(0, 'item', 'items'), plural(2, 'product', 'products')]).toEqual(['1 product', '0 items', '2 products']);
    const counts = homeView(shop).body.toString().match(/\d+ products?\b/g) ?? [];
    expect(counts.length).toBeGreaterThan(0);
    expect(counts.every((c) => (c.startsWith('1 ') ? c === '1 product' : c.endsWith('products')))).toBe(true);
  });

  it('lists categories in shop order with their product types', () => {
    expect(shop.categories.map((c) => c.slug)).toContain('coffee-tea');
    expect(shop.categories[0]!.name).toBe('Skin care');
    expect(shop.categories[0]!.types.map((t) => t.name)).toContain('Serums');
  });

  it('marks product tiles with test hooks and declarative tracking attributes, and escapes titles', () => {
    const tile = productTile({ ...products[0]!, title: 'Tom & Jerry <b>' }).value;
    expect(tile).toContain(`data-testid="product-tile" data-item-id="${products[0]!.id}"`);
    expect(tile).toContain(`data-edge-recs-event="select_item" data-edge-recs-item-id="${products[0]!.id}"`);
    expect(tile).toContain('Tom &amp; Jerry &lt;b&gt;');
  });

  it('puts the documented <edge-recs> placements on each page', () => {
    expect(homeView(shop).body.value).toContain('<edge-recs placement="for-you" count="8"></edge-recs>');
    expect(homeView(shop).body.value).toContain('Picked for you');
    expect(productView(shop, products[0]!, 0).body.value).toContain(`<edge-recs placement="similar" count="8" item-id="${products[0]!.id}" layout="carousel"></edge-recs>`);
    expect(cartView(cartTotals(shop, [])).body.value).toContain('<edge-recs placement="cart" count="8"></edge-recs>');
  });

  it('shows a buyable product with its add-to-cart hooks, and an out-of-stock one disabled', () => {
    const page = productView(shop, products[0]!, 0).body.value;
    expect(page).toContain('data-testid="product-title"');
    // No data-edge-recs-* on the button: the shop pushes add_to_cart to the dataLayer with the units really
    // added, and a second report of the same click would only be de-duplicated.
    expect(page).toMatch(/data-testid="add-to-cart">Add to cart</);
    const out = products.find((p) => p.availability === 'out_of_stock')!;
    expect(productView(shop, out, 0).body.value).toMatch(/data-testid="add-to-cart"[^>]* disabled>Out of stock</);
  });

  it('filters and sorts a category and returns the listed products', () => {
    const all = categoryView(shop, { page: 'category', slug: 'kitchen', type: null, sort: 'featured' })!;
    expect(all.listed).toHaveLength(24);
    const knives = categoryView(shop, { page: 'category', slug: 'kitchen', type: 'knives', sort: 'price-asc' })!;
    expect(knives.listed.every((p) => p.product_type === 'Kitchen > Knives')).toBe(true);
    const prices = knives.listed.map((p) => p.sale_price ?? p.price);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    expect(categoryView(shop, { page: 'category', slug: 'garden', type: null, sort: 'featured' })).toBeNull();
  });

  it('prices a cart with free shipping from the threshold on', () => {
    const small = cartTotals(shop, [{ id: cheap.id, quantity: 1 }]);
    expect(small.shipping).toBe(SHIPPING_FEE);
    expect(small.total).toBeCloseTo(cheap.price + SHIPPING_FEE, 2);
    const big = cartTotals(shop, [{ id: cheap.id, quantity: Math.ceil(FREE_SHIPPING_FROM / cheap.price) }]);
    expect(big.shipping).toBe(0);
    expect(cartTotals(shop, [{ id: 'gone', quantity: 1 }]).lines).toEqual([]);
    expect(cartView(small).body.value).toContain('data-testid="checkout"');
  });

  it('caps quantities by stock', () => {
    const low = products.find((p) => p.stock !== undefined && p.stock <= 5)!;
    expect(availability(low)).toMatchObject({ tone: 'low', limit: low.stock, label: `Only ${low.stock} left` });
    expect(availability({ ...low, availability: 'out_of_stock' }).limit).toBe(0);
  });

  it('builds event items the shared event schema accepts', () => {
    const event = parseEvent('add_to_cart', { currency: 'EUR', items: [eventItem(products[0]!, 2)] });
    expect(event.items).toEqual([{ item_id: products[0]!.id, item_category: products[0]!.product_type, price: products[0]!.price, quantity: 2 }]);
  });
});

describe('page template', () => {
  it('has the snippet placeholder in <head>, before the app script', () => {
    const head = SHOP_TEMPLATE.slice(0, SHOP_TEMPLATE.indexOf('</head>'));
    expect(head.split('\n')).toContain(SNIPPET_PLACEHOLDER);
    expect(head.indexOf(SNIPPET_PLACEHOLDER)).toBeLessThan(head.indexOf('<script type="module" src="/demo/app.js"></script>'));
  });
});
