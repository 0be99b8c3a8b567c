/**
 * The content features of a model's items, from what `train` is given besides the interactions: the
 * shared datasets' attributes file (`--attributes`, item id -> attribute ids) and the merchant's catalog
 * (`--catalog`: each item's category levels, brand and price band, `productFeatureNames`). The feature
 * names and their encoding are `core/model/features.ts`'s, the one implementation the widget also uses.
 */
import type { Product } from '../../core/catalog.ts';
import { ContractError } from '../../core/errors.ts';
import {
  buildItemFeatures,
  featuresOf,
  groupFeatureNames,
  parseAttributes,
  type ItemFeatures,
} from '../../core/model/features.ts';
import type { CatalogFile } from './catalog-file.ts';
import { readText } from './input-files.ts';

/** Where each feature name of the vocabulary must occur at least, as `buildItemFeatures` counts: a name on one item teaches nothing it could share. */
export const FEATURE_MIN_ITEMS = 2;

/**
 * Reads `--attributes FILE` (gzip too): the shared datasets' `{"<item id>": [<attribute id>, ...]}`, as
 * feature names (`attr:<id>`) per item id.
 * @throws ContractError (`bad_attributes`) naming the file and the first bad entry; CliError when the file cannot be read.
 */
export async function readAttributesFile(file: string): Promise<Map<string, string[]>> {
  const text = await readText(file);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ContractError('bad_attributes', `${file}: not valid JSON (${(e as Error).message}); expected {"<item id>": [<attribute id>, ...]}, the format of ../shared/datasets/*.attributes.json`);
  }
  const attributes = parseAttributes(raw, file);
  if (attributes.size === 0) throw new ContractError('bad_attributes', `${file}: names no item; expected {"<item id>": [<attribute id>, ...]}`);
  return attributes;
}


/**
 * Feature names of each model item id, before any vocabulary (`modelItemFeatures` for `train`, `eval`
 * against a trained model's): the attributes of the item (with a catalog, of any of its group's variants)
 * and its catalog group's category levels, brand and price bands (`groupFeatureNames`).
 */
export function itemFeatureNames(attributes: ReadonlyMap<string, readonly string[]> | undefined, catalog: CatalogFile | undefined): (id: string) => string[] {
  const byItem = new Map<string, string[]>();
  for (const [id, attrs] of attributes ?? []) {
    const key = catalog?.groups.keyOf(id) ?? id;
    byItem.set(key, [...(byItem.get(key) ?? []), ...attrs]);
  }
  return (id) => {
    const variants = catalog?.groups.groups.get(id);
    return [...new Set([...(byItem.get(id) ?? []), ...(variants ? groupFeatureNames(variants) : [])])];
  };
}

/** What the features were made of, for the console, `--json` and the model's training record. */
export interface FeatureSummary {
  /** Feature names in the vocabulary (the model's `numFeatures`). */
  names: number;
  /** Model items with at least one feature; the others have their id row only. */
  items: number;
  /** Model items in all. */
  of: number;
  /** Names per kind (`attr`, `cat`, `brand`, `price`). */
  kinds: Record<string, number>;
}

/**
 * The features of the model items `itemIds` (model index `i + 1` is `itemIds[i]`) from the attributes
 * (by item id; with a catalog, an attribute entry of a variant counts for its group) and the catalog
 * (by variant group, `groupFeatureNames`). The vocabulary keeps names on at least `FEATURE_MIN_ITEMS`
 * items, counted over every model item, held-out ones too: the catalog is known for all of them, only
 * their interactions are held out.
 * @throws ContractError when the attributes name none of the items (the wrong file for the data), or no
 *   name is shared by two items (nothing to learn from content: train with --no-features).
 */
export function modelItemFeatures(
  itemIds: readonly string[],
  sources: { attributes?: { file: string; byId: ReadonlyMap<string, readonly string[]> }; catalog?: CatalogFile },
): { features: ItemFeatures; summary: FeatureSummary } {
  const { attributes, catalog } = sources;
  if (attributes) {
    const items = new Set(itemIds);
    if (![...attributes.byId.keys()].some((id) => items.has(catalog?.groups.keyOf(id) ?? id))) {
      const theirs = [...attributes.byId.keys()].slice(0, 3).map((id) => JSON.stringify(id)).join(', ');
      const ours = itemIds.slice(0, 3).map((id) => JSON.stringify(id)).join(', ');
      throw new ContractError('bad_attributes', `${attributes.file}: none of its ${attributes.byId.size} item ids is an item of the data (it has ${theirs}, ...; the data ${ours}, ...): is it the attributes file of another dataset?`);
    }
  }
  const namesOf = itemFeatureNames(attributes?.byId, catalog);
  const features = buildItemFeatures(itemIds.map(namesOf), FEATURE_MIN_ITEMS);
  if (features.names.length === 0) {
    throw new ContractError('bad_features', `no content feature is shared by ${FEATURE_MIN_ITEMS} or more of the ${itemIds.length} items, so the model has nothing to learn from content; train with --no-features`);
  }
  let items = 0;
  for (let i = 1; i <= itemIds.length; i++) if (featuresOf(features, i).length > 0) items++;
  const kinds: Record<string, number> = {};
  for (const n of features.names) {
    const kind = n.slice(0, n.indexOf(':'));
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return { features, summary: { names: features.names.length, items, of: itemIds.length, kinds } };
}

