import { describe, expect, it } from 'vitest';
import { encodeItemFeatures, featuresOf, productFeatureNames } from '../core/model/features.ts';
import { demoCatalog } from './catalog.ts';
import { demoItemFeatures } from './default-model.ts';

describe('the demo model\'s content features', () => {
  const catalog = demoCatalog();
  const itemIds = catalog.products.map((p) => p.id);
  const features = demoItemFeatures(catalog, itemIds);
  const namesOf = (values: Uint32Array): string[] => [...values].map((v) => features.names[v - 1]!);

  it('gives every demo product its category, its product type where another product shares it, and its brand', () => {
    const typeCount = new Map<string, number>();
    for (const p of catalog.products) typeCount.set(p.product_type, (typeCount.get(p.product_type) ?? 0) + 1);
    catalog.products.forEach((p, i) => {
      const names = namesOf(featuresOf(features, i + 1));
      const [top, type] = p.product_type.split(' > ').map((l) => l.toLowerCase());
      expect(names, p.id).toEqual(expect.arrayContaining([`cat:${top}`, `brand:${p.brand!.toLowerCase()}`]));
      expect(names.includes(`cat:${top} > ${type}`), p.id).toBe(typeCount.get(p.product_type)! >= 2);
    });
    expect(features.names.some((n) => n.startsWith('price:'))).toBe(true);
  });

  it('covers a product added to the catalog after training: the widget encodes it against the model\'s vocabulary', () => {
    const stove = { product_type: 'Kitchen > Pans', brand: 'Ferro', price: 49 };
    const encoded = encodeItemFeatures(features.names, [productFeatureNames(stove)]);
    const names = [...featuresOf(encoded, 1)].map((v) => encoded.names[v - 1]!);
    expect(names).toEqual(expect.arrayContaining(['cat:kitchen', 'cat:kitchen > pans', 'brand:ferro']));
  });
});
