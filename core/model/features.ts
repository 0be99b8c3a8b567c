import { ContractError, isRecord, show } from '../errors.ts';
import type { Product } from '../catalog.ts';

/**
 * Item content features: what the model knows of an item besides its id, so that an item it never saw in
 * training (new in the catalog, or held out with `--cold-items`) still has a vector. An item's vector is
 * its id embedding (where it has one) plus the mean of its features' embeddings (`feat_emb`), one
 * implementation for the trainer, evaluation, the widget and the federated client (`sasrec.ts`).
 *
 * A feature is a named token:
 * - `attr:<id>`: an attribute id of the shared datasets' `*.attributes.json` (Amazon category levels and
 *   brand, ids only, as preprocessed for S3-Rec);
 * - `cat:<path>`: every level of a catalog product's category path, as the path down to it
 *   (`cat:beauty`, `cat:beauty > hair`), so a product shares its general levels with its neighbours;
 * - `brand:<brand>`;
 * - `price:<band>`: the price on a log scale, four bands per doubling (`priceBand`).
 * Names are case-folded and whitespace-collapsed; the widget computes a new product's names from the
 * catalog it already holds with the same function the trainer used (`productFeatureNames`).
 */

/** Features of every item of a model, by item index (0 is padding and has none). */
export interface ItemFeatures {
  /** Feature names; feature index `i` (1-based, as stored) is `names[i - 1]`. */
  names: readonly string[];
  /** Item `i`'s features are `values[offsets[i]]..values[offsets[i + 1] - 1]` (`offsets.length` is items + 2). */
  offsets: Uint32Array;
  /** Feature indices, 1..names.length. */
  values: Uint32Array;
}

/** Most features one item may carry (the shared datasets have at most 31; a catalog product a handful). */
export const MAX_FEATURES_PER_ITEM = 64;

/** Bands per doubling of the price: 4 is about ±9% around a band's middle. */
const PRICE_BANDS_PER_DOUBLING = 4;

const clean = (s: string): string => s.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();

/** The log-scale band of a positive price (`floor(4 * log2(price))`); undefined for a price that is not a positive finite number. */
export function priceBand(price: number): number | undefined {
  return Number.isFinite(price) && price > 0 ? Math.floor(PRICE_BANDS_PER_DOUBLING * Math.log2(price)) : undefined;
}

/** A catalog product's feature names: each level of its category path, its brand, its price band (the sale price where on sale). */
export function productFeatureNames(product: Pick<Product, 'product_type' | 'brand' | 'price' | 'sale_price'>): string[] {
  const names: string[] = [];
  const levels = product.product_type.split('>').map(clean).filter((l) => l !== '');
  for (let i = 0; i < levels.length; i++) names.push(`cat:${levels.slice(0, i + 1).join(' > ')}`);
  if (product.brand !== undefined && clean(product.brand) !== '') names.push(`brand:${clean(product.brand)}`);
  const price = product.sale_price !== undefined && product.sale_price < product.price ? product.sale_price : product.price;
  const band = priceBand(price);
  if (band !== undefined) names.push(`price:${band}`);
  return [...new Set(names)].slice(0, MAX_FEATURES_PER_ITEM);
}

/**
 * A variant group's feature names: the union of its variants' (`productFeatureNames`), in variant order,
 * so a group whose sizes sit in two price bands has both and no name depends on which variant is in
 * stock today. For a product of its own (no `item_group_id`) it is that product's names. What `edge-recs
 * train --catalog` gives a model item and what the widget gives a product new since training.
 */
export function groupFeatureNames(variants: readonly Pick<Product, 'product_type' | 'brand' | 'price' | 'sale_price'>[]): string[] {
  return [...new Set(variants.flatMap((p) => productFeatureNames(p)))].slice(0, MAX_FEATURES_PER_ITEM);
}

/**
 * Builds `ItemFeatures` for `items` (item index `i + 1` is `items[i]`) from each item's feature names.
 * Names seen on fewer than `minCount` items are dropped (a name on one item teaches nothing it could
 * share); the vocabulary is sorted, so the same inputs give the same indices.
 */
export function buildItemFeatures(items: readonly (readonly string[])[], minCount = 2): ItemFeatures {
  const count = new Map<string, number>();
  for (const names of items) for (const n of new Set(names)) count.set(n, (count.get(n) ?? 0) + 1);
  const names = [...count].filter(([, c]) => c >= minCount).map(([n]) => n).sort();
  return encodeItemFeatures(names, items);
}

/**
 * `ItemFeatures` for `items` against a fixed vocabulary `names` (a trained model's): names it does not
 * hold are dropped. What the widget does for catalog products the model has no row for.
 */
export function encodeItemFeatures(names: readonly string[], items: readonly (readonly string[])[]): ItemFeatures {
  const index = new Map(names.map((n, i) => [n, i + 1]));
  const offsets = new Uint32Array(items.length + 2);
  const values: number[] = [];
  items.forEach((item, i) => {
    const seen = new Set<number>();
    for (const n of item) {
      const f = index.get(n);
      if (f !== undefined && !seen.has(f) && seen.size < MAX_FEATURES_PER_ITEM) seen.add(f);
    }
    values.push(...[...seen].sort((a, b) => a - b));
    offsets[i + 2] = values.length;
  });
  return { names: [...names], offsets, values: Uint32Array.from(values) };
}

/** Item `index`'s feature indices (none for padding, 0). */
export function featuresOf(features: ItemFeatures, index: number): Uint32Array {
  return features.values.subarray(features.offsets[index]!, features.offsets[index + 1]!);
}

/**
 * The features of some of the items, renumbered: item `j + 1` of the result is item `indices[j]` of
 * `features`, with the same vocabulary. How the trainer gives the model it trains under `--cold-items`
 * only the items it may see, and a device its local rows (`core/federated/client.ts`).
 */
export function selectItemFeatures(features: ItemFeatures, indices: readonly number[]): ItemFeatures {
  const offsets = new Uint32Array(indices.length + 2);
  const values: number[] = [];
  indices.forEach((i, j) => {
    values.push(...featuresOf(features, i));
    offsets[j + 2] = values.length;
  });
  return { names: features.names, offsets, values: Uint32Array.from(values) };
}

/**
 * `base`'s items followed by `extra`'s, against the same vocabulary (`extra` encoded with `base.names`):
 * a model's items and the ones new to it (the widget's new catalog products, `eval`'s new items of the data).
 */
export function appendItemFeatures(base: ItemFeatures, extra: ItemFeatures): ItemFeatures {
  const n = featureItemCount(base);
  const m = featureItemCount(extra);
  const offsets = new Uint32Array(n + m + 2);
  offsets.set(base.offsets);
  for (let i = 2; i < m + 2; i++) offsets[n + i] = base.values.length + extra.offsets[i]!;
  const values = new Uint32Array(base.values.length + extra.values.length);
  values.set(base.values);
  values.set(extra.values, base.values.length);
  return { names: base.names, offsets, values };
}

/** Number of items (less the padding row) `features` describes. */
export function featureItemCount(features: ItemFeatures): number {
  return features.offsets.length - 2;
}

/**
 * Checks `features` for a model of `numItems` items and `numFeatures` feature rows: the offsets run from 0
 * without going back, every value names a feature, no item has more than `MAX_FEATURES_PER_ITEM`.
 */
export function checkItemFeatures(features: ItemFeatures, numItems: number, numFeatures: number, where = 'features'): void {
  const { names, offsets, values } = features;
  if (names.length !== numFeatures) throw new ContractError('bad_features', `${where}: ${names.length} feature names for a model of ${numFeatures} features`);
  if (offsets.length !== numItems + 2) throw new ContractError('bad_features', `${where}: offsets for ${offsets.length - 2} items, the model has ${numItems}`);
  if (offsets[0] !== 0 || offsets[1] !== 0 || offsets[offsets.length - 1] !== values.length) {
    throw new ContractError('bad_features', `${where}: offsets must start at 0 (the padding item has none) and end at the number of values`);
  }
  for (let i = 1; i < offsets.length; i++) {
    const n = offsets[i]! - offsets[i - 1]!;
    if (n < 0 || n > MAX_FEATURES_PER_ITEM) throw new ContractError('bad_features', `${where}: item ${i - 1} has ${show(n)} features (0..${MAX_FEATURES_PER_ITEM})`);
  }
  for (const v of values) if (v < 1 || v > numFeatures) throw new ContractError('bad_features', `${where}: feature index ${v} is outside 1..${numFeatures}`);
}


/**
 * Parses the shared datasets' attributes file (`{"<item id>": [<attribute id>, ...]}`) into feature names
 * per raw item id (`attr:<id>`). Throws a `ContractError` naming the first bad entry.
 */
export function parseAttributes(raw: unknown, where = 'attributes'): Map<string, string[]> {
  if (!isRecord(raw)) throw new ContractError('bad_attributes', `${where}: must be a JSON object of item id -> [attribute ids] (got ${show(raw)})`);
  const out = new Map<string, string[]>();
  for (const [item, attrs] of Object.entries(raw)) {
    if (!Array.isArray(attrs) || attrs.some((a) => !Number.isInteger(a) || (a as number) < 0)) {
      throw new ContractError('bad_attributes', `${where}: item ${show(item)} must map to a list of non-negative integer attribute ids (got ${show(attrs)})`);
    }
    out.set(item, [...new Set(attrs as number[])].map((a) => `attr:${a}`));
  }
  return out;
}
