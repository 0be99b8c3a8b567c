/**
 * A model that names variants, for a widget that ranks variant groups. A shop with `item_group_id`
 * variants that trained without `--catalog` gets a model whose items are variant ids ("jacket M"), while
 * the shopper's history, the exclusions and the cards are groups ("jacket"): the model would know none of
 * the items it is asked about, and every row would fall back. So a group the model has no row for is read
 * as a variant of it that the model knows: the one its card shows if the model knows it, else the first
 * known in catalog order. The model's answers name variants, which ranking reads as their groups
 * (`rank`'s `keyOf`). Training with `--catalog` is still better: it learns each group from the events on
 * all its variants.
 */
import type { CardCatalog } from './card-catalog.ts';

export interface ModelItems {
  /** The model's id for a group key: the key where the model knows it, else a variant it knows, else the key. */
  input(key: string): string;
  /** Every id of a group the model may answer with: excluding the group excludes each of them. */
  ids(key: string): readonly string[];
}

/** @param modelIds the model's item ids (its manifest's `items`). */
export function modelItems(modelIds: readonly string[], catalog: Pick<CardCatalog, 'products' | 'cards' | 'key'>): ModelItems {
  const known = new Set(modelIds);
  const variants = new Map<string, string[]>();
  for (const id of catalog.products.keys()) {
    const key = catalog.key(id);
    if (id === key || !known.has(id)) continue;
    const list = variants.get(key);
    if (list) list.push(id);
    else variants.set(key, [id]);
  }
  return {
    input(key) {
      const list = variants.get(key);
      if (known.has(key) || !list) return key;
      const shown = catalog.cards.get(key)?.id;
      return shown !== undefined && list.includes(shown) ? shown : list[0]!;
    },
    ids: (key) => [key, ...(variants.get(key) ?? [])],
  };
}
