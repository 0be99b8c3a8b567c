import { describe, expect, it } from 'vitest';
import { ContractError } from '../errors.ts';
import { buildItemFeatures, checkItemFeatures, encodeItemFeatures, featureItemCount, featuresOf, groupFeatureNames, parseAttributes, priceBand, productFeatureNames, selectItemFeatures, type ItemFeatures } from './features.ts';

describe('item content features', () => {
  it('names every level of a category path, the brand and the price band, case-folded', () => {
    expect(productFeatureNames({ product_type: 'Beauty >  Hair > Shampoo', brand: ' Acme  Labs', price: 12, sale_price: 9 })).toEqual([
      'cat:beauty',
      'cat:beauty > hair',
      'cat:beauty > hair > shampoo',
      'brand:acme labs',
      `price:${priceBand(9)}`,
    ]);
    expect(productFeatureNames({ product_type: '', price: 0 })).toEqual([]);
  });

  it('bands prices four to a doubling', () => {
    expect(priceBand(8)).toBe(12);
    expect(priceBand(16)).toBe(16);
    expect(priceBand(9)).toBe(12);
    expect(priceBand(10)).toBe(13);
    expect(priceBand(0)).toBeUndefined();
    expect(priceBand(Number.NaN)).toBeUndefined();
  });

  it('keeps names shared by at least two items, sorted, and stores each item\'s features ragged', () => {
    const f = buildItemFeatures([['cat:a', 'brand:x'], ['cat:a', 'brand:y'], ['cat:b', 'brand:x'], []]);
    expect(f.names).toEqual(['brand:x', 'cat:a']);
    expect(featureItemCount(f)).toBe(4);
    expect([...featuresOf(f, 0)]).toEqual([]);
    expect([...featuresOf(f, 1)]).toEqual([1, 2]);
    expect([...featuresOf(f, 2)]).toEqual([2]);
    expect([...featuresOf(f, 3)]).toEqual([1]);
    expect([...featuresOf(f, 4)]).toEqual([]);
    expect(() => checkItemFeatures(f, 4, 2)).not.toThrow();
  });

  it('encodes new items against a trained vocabulary, dropping names it does not hold', () => {
    const f = encodeItemFeatures(['brand:x', 'cat:a'], [['cat:a', 'cat:new', 'cat:a']]);
    expect([...featuresOf(f, 1)]).toEqual([2]);
  });

  it('refuses features that do not fit the model', () => {
    const f = buildItemFeatures([['a'], ['a']], 1);
    expect(() => checkItemFeatures(f, 3, 1)).toThrow(ContractError);
    expect(() => checkItemFeatures(f, 2, 2)).toThrow(/feature names/);
    expect(() => checkItemFeatures({ ...f, values: Uint32Array.from([1, 5]) }, 2, 1)).toThrow(/outside 1..1/);
  });

  it('reads the shared datasets\' attributes file and refuses anything else', () => {
    expect(parseAttributes({ '1': [3, 3, 7], '2': [] })).toEqual(new Map([['1', ['attr:3', 'attr:7']], ['2', []]]));
    expect(() => parseAttributes([])).toThrow(ContractError);
    expect(() => parseAttributes({ '1': ['x'] })).toThrow(/item "1"/);
    expect(() => parseAttributes({ '1': [-1] })).toThrow(ContractError);
  });
});

describe('groupFeatureNames', () => {
  it('is the union of the variants\' names, whatever is in stock, so sizes in two price bands give both', () => {
    const variant = (price: number) => ({ product_type: 'Gear > Stoves', brand: 'Trail', price });
    expect(groupFeatureNames([variant(40), variant(80), variant(40)])).toEqual([
      'cat:gear',
      'cat:gear > stoves',
      'brand:trail',
      `price:${priceBand(40)}`,
      `price:${priceBand(80)}`,
    ]);
  });
});

describe('selectItemFeatures', () => {
  const namesOf = (f: ItemFeatures, i: number): string[] => [...featuresOf(f, i)].map((v) => f.names[v - 1]!);
  it('renumbers the items chosen, keeping the vocabulary', () => {
    const all = buildItemFeatures([['a'], ['a', 'b'], ['b'], ['c']], 1);
    const some = selectItemFeatures(all, [2, 4]);
    expect(some.names).toEqual(all.names);
    expect([1, 2].map((i) => namesOf(some, i))).toEqual([['a', 'b'], ['c']]);
    expect(some.offsets).toHaveLength(4);
  });
});
