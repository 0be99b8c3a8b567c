import { describe, expect, expectTypeOf, it } from 'vitest';
import { AVAILABILITY, parseCatalog, parseProduct, topCategory, type Catalog, type Product } from './catalog.ts';
import { ContractError } from './errors.ts';
import { thrownContractError } from '../test/support/contract-error.ts';

const product = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'sku-1',
  title: 'Rose face cream',
  link: '/p/sku-1',
  image_link: '/img/sku-1.svg',
  price: 24.5,
  currency: 'EUR',
  availability: 'in_stock',
  product_type: 'Beauty > Skin care',
  ...over,
});

const refusal = (fn: () => unknown): ContractError => thrownContractError(fn, 'bad_catalog');

describe('parseCatalog', () => {
  it('accepts a Merchant Center style catalog and keeps optional fields', () => {
    const catalog = parseCatalog({
      updatedAt: '2026-11-24T10:00:00Z',
      products: [product(), product({ id: 'sku-2', sale_price: 10, brand: 'Acme', stock: 3, availability: 'preorder', extra: 'dropped' })],
    });

    expectTypeOf(catalog).toEqualTypeOf<Catalog>();
    expect(catalog.updatedAt).toBe('2026-11-24T10:00:00Z');
    expect(catalog.products[0]).toEqual(product());
    expect(catalog.products[1]).toEqual({ ...product({ id: 'sku-2', availability: 'preorder' }), sale_price: 10, brand: 'Acme', stock: 3 });
  });

  it('refuses a duplicate product id, naming the id and its position', () => {
    const err = refusal(() => parseCatalog({ updatedAt: 'x', products: [product(), product({ id: 'sku-2' }), product()] }));
    expect(err.message).toContain('catalog.products[2]');
    expect(err.message).toContain('duplicate id "sku-1"');
  });

  it.each(['sold_out', 'InStock', '', undefined])('refuses the availability %j, naming the product and field', (availability) => {
    const err = refusal(() => parseCatalog({ updatedAt: 'x', products: [product({ availability })] }));
    expect(err.message).toContain('catalog.products[0] "sku-1"');
    expect(err.message).toContain('"availability"');
  });

  it('lists the valid availability values when refusing one', () => {
    const err = refusal(() => parseCatalog({ updatedAt: 'x', products: [product({ availability: 'sold_out' })] }));
    for (const value of AVAILABILITY) expect(err.message).toContain(value);
  });

  it.each([[null], [[]], [{ products: 'none' }], [{ updatedAt: 'x' }]])('refuses %j as a catalog', (raw) => {
    expect(refusal(() => parseCatalog(raw)).message).toContain('expected {"updatedAt", "products": [...]}');
  });
});

describe('parseProduct', () => {
  it.each([
    ['price', -1],
    ['price', '24.50'],
    ['sale_price', Number.NaN],
    ['currency', 'eur'],
    ['title', '   '],
    ['stock', 1.5],
    ['brand', 7],
  ])('refuses %s = %j, naming the field', (field, value) => {
    expect(refusal(() => parseProduct(product({ [field]: value }))).message).toContain(`field "${field}" is invalid`);
  });

  it('refuses a product without an id before anything else', () => {
    expect(refusal(() => parseProduct(product({ id: undefined }))).message).toContain('field "id"');
  });

  it('returns a typed product', () => {
    expectTypeOf(parseProduct(product())).toEqualTypeOf<Product>();
  });
});

describe('topCategory', () => {
  it('returns the most general level of the category path', () => {
    expect(topCategory({ product_type: 'Beauty > Skin care > Creams' })).toBe('Beauty');
    expect(topCategory({ product_type: 'Toys' })).toBe('Toys');
  });
});
