import { describe, expect, expectTypeOf, it } from 'vitest';
import { AVAILABILITY, groupEvents, groupIndex, groupTitle, groupKey, parseCatalog, parseProduct, topCategory, type Catalog, type Product } from './catalog.ts';
import { ContractError } from './errors.ts';
import { rawProduct } from '../test/support/catalog-product.ts';
import { thrownContractError } from '../test/support/contract-error.ts';

const product = rawProduct;

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
    expect(refusal(() => parseProduct(product({ [field]: value }))).message).toMatch(new RegExp(`field "${field}" (is invalid|is empty|must be text)`));
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

describe('ids and variant groups', () => {
  it('normalizes ids and item_group_ids with the shared rule, so " a  b " and "a b" are one id', () => {
    const catalog = parseCatalog({ updatedAt: 'x', products: [product({ id: ' rain  jacket M ', item_group_id: ' rain jacket ' })] });
    expect(catalog.products[0]).toMatchObject({ id: 'rain jacket M', item_group_id: 'rain jacket' });
    const err = refusal(() => parseCatalog({ updatedAt: 'x', products: [product({ id: 'a b' }), product({ id: ' a  b' })] }));
    expect(err.message).toBe('catalog.products[1]: duplicate id "a b"');
  });

  it.each([['id', 'a\u0000b'], ['id', ''], ['item_group_id', 'g\u200b'], ['item_group_id', 7.5]])('refuses %s = %j, stating the rule', (key, value) => {
    const err = refusal(() => parseProduct(product({ [key]: value })));
    expect(err.message).toContain(`field "${key}" must be 1-128 characters after trimming`);
  });

  it('refuses a second currency, naming the first product whose currency differs', () => {
    const err = refusal(() =>
      parseCatalog({ updatedAt: 'x', products: [product(), product({ id: 'sku-2' }), product({ id: 'sku-3', currency: 'USD' }), product({ id: 'sku-4', currency: 'GBP' })] }),
    );
    expect(err.message).toBe('catalog.products[2] "sku-3": price is in USD but the catalog\'s first product (catalog.products[0] "sku-1") is in EUR; a catalog holds one currency');
  });

  it('refuses a product whose id is another group\'s item_group_id while it has a group of its own', () => {
    const err = refusal(() => parseCatalog({ updatedAt: 'x', products: [product({ id: 'j-s', item_group_id: 'j' }), product({ id: 'j', item_group_id: 'k' })] }));
    expect(err.message).toContain('catalog.products[1] "j": its id is the item_group_id of other products');
    // A parent listed beside its variants (no group of its own, or its own id as group) is one group.
    const ok = groupIndex(parseCatalog({ updatedAt: 'x', products: [product({ id: 'j' }), product({ id: 'j-s', item_group_id: 'j' })] }));
    expect([...ok.groups.keys()]).toEqual(['j']);
  });

  it('groups variants: keyOf maps a variant or the group id to the group, shown is the first in stock, else orderable, else the first', () => {
    const catalog = parseCatalog({
      updatedAt: 'x',
      products: [
        product({ id: 'jacket-s', item_group_id: 'jacket', availability: 'out_of_stock' }),
        product({ id: 'mug' }),
        product({ id: 'jacket-m', item_group_id: 'jacket', availability: 'backorder' }),
        product({ id: 'jacket-l', item_group_id: 'jacket' }),
        product({ id: 'hat-1', item_group_id: 'hat', availability: 'out_of_stock' }),
        product({ id: 'hat-2', item_group_id: 'hat', availability: 'preorder' }),
        product({ id: 'cap-1', item_group_id: 'cap', availability: 'out_of_stock' }),
        product({ id: 'cap-2', item_group_id: 'cap', availability: 'out_of_stock' }),
      ],
    });
    const index = groupIndex(catalog);
    expect([...index.groups.keys()]).toEqual(['jacket', 'mug', 'hat', 'cap']);
    expect(index.groups.get('jacket')!.map((p) => p.id)).toEqual(['jacket-s', 'jacket-m', 'jacket-l']);
    expect(['jacket-s', 'jacket-m', 'jacket-l', 'jacket', 'mug', 'nope'].map((id) => index.keyOf(id))).toEqual(['jacket', 'jacket', 'jacket', 'jacket', 'mug', undefined]);
    expect(['jacket', 'mug', 'hat', 'cap', 'nope'].map((k) => index.shown(k)?.id)).toEqual(['jacket-l', 'mug', 'hat-2', 'cap-1', undefined]);
    expect(groupKey({ id: 'a' })).toBe('a');
    expect(groupKey({ id: 'a', item_group_id: 'g' })).toBe('g');
  });
});

describe('groupTitle', () => {
  it('names a group by what its variants\' titles share, cut before the variant description', () => {
    const cases: Array<[string[], string | undefined]> = [
      [['Pro Bib Shorts, size S', 'Pro Bib Shorts, size M'], 'Pro Bib Shorts'],
      [['Road Shoe RC3 41', 'Road Shoe RC3 43'], 'Road Shoe RC3'],
      [['Road Shoe RC3 41', 'Road Shoe RC3 41.5'], 'Road Shoe RC3'],
      [['Pro Bib Shorts', 'Pro Bib Shorts, size S'], 'Pro Bib Shorts'],
      [['Aero Race Jersey - Red S', 'Aero Race Jersey - Blue S'], 'Aero Race Jersey'],
      [['Merino Socks – Black – S', 'Merino Socks – Black – M'], 'Merino Socks – Black'],
      [['Club Merino Jersey (S)', 'Club Merino Jersey (M)'], 'Club Merino Jersey'],
      [['Jersey (men, long) S', 'Jersey (men, long) M'], 'Jersey (men, long)'],
      [['T-Shirt Basic S', 'T-Shirt Basic M'], 'T-Shirt Basic'],
      [['Tee | red', 'Tee | blue'], 'Tee'],
      [['Cap/S', 'Cap/M'], 'Cap'],
      [['公路骑行服 S码', '公路骑行服 M码'], '公路骑行服'],
      [['骑行服S', '骑行服M'], '骑行服'],
      // One title, or the same title on every variant: the title as it is.
      [['Insulated Bottle, 750 ml'], 'Insulated Bottle, 750 ml'],
      [['Scarf, navy', 'Scarf, navy'], 'Scarf, navy'],
      [['Ab'], 'Ab'],
      // Nothing sensible in common: no name.
      [['Red shirt', 'Blue shirt'], undefined],
      [['Ab S', 'Ab M'], undefined],
      [['41', '42'], undefined],
      [[], undefined],
    ];
    for (const [titles, name] of cases) expect(groupTitle(titles), JSON.stringify(titles)).toBe(name);
  });

  it('is computed for each group of a catalog', () => {
    const index = groupIndex(parseCatalog({
      updatedAt: 'x',
      products: [
        product({ id: 'b-s', item_group_id: 'bib', title: 'Pro Bib Shorts, size S' }),
        product({ id: 'mug', title: 'Mug' }),
        product({ id: 'b-m', item_group_id: 'bib', title: 'Pro Bib Shorts, size M' }),
        product({ id: 't-1', item_group_id: 'tee', title: 'Red tee' }),
        product({ id: 't-2', item_group_id: 'tee', title: 'Blue tee' }),
      ],
    }));
    expect(['bib', 'mug', 'tee', 'b-s', 'nope'].map((key) => index.title(key))).toEqual(['Pro Bib Shorts', 'Mug', undefined, undefined, undefined]);
  });
});

describe('groupEvents', () => {
  it('maps item ids to their group keys, keeping unknown ids and untouched events as they are', () => {
    const index = groupIndex(parseCatalog({ updatedAt: 'x', products: [product({ id: 'j-s', item_group_id: 'j' }), product({ id: 'j-m', item_group_id: 'j' }), product({ id: 'mug' })] }));
    const plain = { name: 'view_item' as const, ts: 1, items: [{ item_id: 'mug' }] };
    const events = [
      { name: 'view_item' as const, ts: 2, items: [{ item_id: 'j-s', price: 5 }] },
      plain,
      { name: 'purchase' as const, ts: 3, items: [{ item_id: 'j-m', quantity: 1 }, { item_id: 'gone' }] },
    ];
    const grouped = groupEvents(events, index.keyOf);
    expect(grouped.map((e) => e.items.map((i) => i.item_id))).toEqual([['j'], ['mug'], ['j', 'gone']]);
    expect(grouped[0]!.items[0]).toEqual({ item_id: 'j', price: 5 });
    expect(grouped[1]).toBe(plain);
    expect(events[0]!.items[0]!.item_id).toBe('j-s');
  });
});
