/**
 * The items a model with content features ranks on this page (issue 18): its own items, then every
 * product of the shop's catalog it has no row for (new since training), each embedded from its features
 * as the trainer computed them (`productFeatureNames`, against the model's vocabulary). So a product added
 * to the catalog is ranked by the model on the next page view, with no retraining. No tfjs here: the
 * decisions are plain data, tested without a backend.
 */
import { coldItemIndices } from '../../core/artifact/item-features.ts';
import { groupIndex, type Catalog, type Product } from '../../core/catalog.ts';
import { appendItemFeatures, encodeItemFeatures, groupFeatureNames, type ItemFeatures } from '../../core/model/features.ts';

/** What `SasRec.fromWeights` and the runtime's id map need to rank a model's items and the catalog's new ones. */
export interface ContentItems {
  /** Catalog id of every item index: `ids[i]` is item `i + 1`; the model's own first, then the new ones. */
  ids: string[];
  /** Features of every item of `ids` (the model's, then the new products'). */
  features: ItemFeatures;
  /** Item indices whose id row is not read: the model's held-out items (`coldItems`). */
  withoutId: number[];
  /** The catalog products appended after the model's items, in catalog order. */
  newItems: string[];
  /** Ids the model ranks from their features alone, with no id row: the held-out and the new ones. */
  fromContent: ReadonlySet<string>;
}

/**
 * The model's items and the catalog's products it has no row for. A product is new when neither its
 * variant group's key nor any of its variants is a model item (a model trained with `--catalog` names
 * groups; one trained without names variants, which `ranking/model-items.ts` maps): it is appended as its
 * group key, with the features of all its variants, as the trainer gives a group. A product whose features the model's
 * vocabulary does not hold at all stays out: it would have no vector but the padding row's.
 */
export function contentItems(
  model: { itemIds: readonly string[]; features: ItemFeatures; coldItems?: readonly string[] },
  catalog: Pick<Catalog, 'products'> | undefined,
): ContentItems {
  const known = new Set(model.itemIds);
  const vocabulary = new Set(model.features.names);
  const newItems: string[] = [];
  const names: string[][] = [];
  if (catalog) {
    const groups = groupIndex(catalog);
    for (const [key, variants] of groups.groups) {
      if (known.has(key) || variants.some((p) => known.has(p.id))) continue;
      const own = groupFeatureNames(variants);
      if (!own.some((n) => vocabulary.has(n))) continue;
      newItems.push(key);
      names.push(own);
    }
  }
  const features = newItems.length > 0 ? appendItemFeatures(model.features, encodeItemFeatures(model.features.names, names)) : model.features;
  return {
    ids: [...model.itemIds, ...newItems],
    features,
    withoutId: coldItemIndices(model.itemIds, model.coldItems),
    newItems,
    fromContent: new Set([...(model.coldItems ?? []), ...newItems]),
  };
}

