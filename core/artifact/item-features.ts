/**
 * The content features of a model artifact (issue 18): one file beside the weights, `features.bin`, named in
 * the manifest (`features`), hashed and signed like them. One file, not two: a first visit's requests are
 * counted (issue 16), and the vocabulary is useless without the items' features.
 *
 * Layout: a 4-byte little-endian length, then that many bytes of UTF-8 JSON,
 * `{"format":"edge-recs-features/1","names":[...],"coldItems":[...]}` (the feature vocabulary: feature index
 * `i` is `names[i - 1]`, the `feat_emb` row `i`; and the ids of the model items held out of training with
 * `--cold-items`, whose id rows were never trained, so the model reads only their features); then each model
 * item's feature indices as unsigned LEB128 varints. First a permutation of the vocabulary, most used feature
 * first (`numFeatures` varints: the feature index of rank 0, 1, ...); then for each item 1..numItems its
 * feature count and its features' ranks, ascending, as the first rank and then the gaps. Why not a plain
 * uint16 table: a model item carries 1-31 features (the shared datasets: about 5 on average), and a few
 * features (top category levels) are on most items; ranked by use, most entries take one byte where a
 * uint16 takes two, which keeps the artifact within 1.2x of an id-only one (the budget) without a
 * compression step the widget would have to run.
 *
 * Verified on load (`parseFeatureFile`): a wrong count, an index out of range, a repeated feature or a
 * stray byte is an `integrity` error naming the file.
 */
import { ContractError, show } from '../errors.ts';
import { checkItemFeatures, MAX_FEATURES_PER_ITEM, type ItemFeatures } from '../model/features.ts';
import { concatBytes, utf8, type Bytes } from './bytes.ts';

const FEATURES_FORMAT = 'edge-recs-features/1';
/** File name inside an artifact. */
export const FEATURES_FILE = 'features.bin';

/** What `features.bin` holds, as the artifact's API carries it. */
export interface FeatureFile {
  features: ItemFeatures;
  /** Ids of model items held out of training (a subset of the item ids), in item order. */
  coldItems: string[];
}

function pushVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/**
 * Bytes of `features.bin` for a model of `itemIds` (item `i + 1` is `itemIds[i]`). `features` must describe
 * exactly those items (`checkItemFeatures`), `coldItems` must be some of them.
 */
export function encodeFeatureFile(features: ItemFeatures, coldItems: readonly string[], itemIds: readonly string[]): Bytes {
  const numFeatures = features.names.length;
  checkItemFeatures(features, itemIds.length, numFeatures);
  if (new Set(features.names).size !== numFeatures || features.names.some((n) => typeof n !== 'string' || n === '')) {
    throw new ContractError('bad_features', 'features: names must be distinct non-empty strings');
  }
  const index = new Map(itemIds.map((id, i) => [id, i]));
  const cold = [...new Set(coldItems)];
  for (const id of cold) if (!index.has(id)) throw new ContractError('bad_artifact', `coldItems: "${id}" is not one of the model's items`);
  cold.sort((a, b) => index.get(a)! - index.get(b)!);

  // Rank features by use (ties by index), so the most frequent take the one-byte varints.
  const uses = new Uint32Array(numFeatures + 1);
  for (const f of features.values) uses[f]!++;
  const byRank = Array.from({ length: numFeatures }, (_, i) => i + 1).sort((a, b) => uses[b]! - uses[a]! || a - b);
  const rankOf = new Uint32Array(numFeatures + 1);
  byRank.forEach((f, r) => (rankOf[f] = r));

  const out: number[] = [];
  for (const f of byRank) pushVarint(out, f);
  for (let item = 1; item <= itemIds.length; item++) {
    const own = features.values.subarray(features.offsets[item]!, features.offsets[item + 1]!);
    const ranks = [...new Set(Array.from(own, (f) => rankOf[f]!))].sort((a, b) => a - b);
    pushVarint(out, ranks.length);
    let previous = 0;
    ranks.forEach((r, k) => {
      pushVarint(out, k === 0 ? r : r - previous);
      previous = r;
    });
  }
  const json = utf8.encode(JSON.stringify({ format: FEATURES_FORMAT, names: features.names, coldItems: cold }));
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, json.byteLength, true);
  return concatBytes([length, json, Uint8Array.from(out)]);
}

/**
 * Reads `features.bin` (already checked against the manifest's SHA-256) for a model of `itemIds` and
 * `numFeatures` feature rows. Item features come back sorted by feature index, as `encodeItemFeatures`
 * writes them.
 * @throws ContractError `integrity`, naming the file and what is wrong.
 */
export function parseFeatureFile(file: Uint8Array, itemIds: readonly string[], numFeatures: number, path = FEATURES_FILE): FeatureFile {
  const bad = (message: string): never => {
    throw new ContractError('integrity', `${path}: ${message}`);
  };
  if (file.byteLength < 4) bad('shorter than its header');
  const length = new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(0, true);
  if (4 + length > file.byteLength) bad(`its JSON header (${length} bytes) runs past the end`);
  const json = file.slice(4, 4 + length);
  const bin = file.subarray(4 + length);
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(json));
  } catch {
    bad('the header is not valid UTF-8 JSON');
  }
  const doc = raw as { format?: unknown; names?: unknown; coldItems?: unknown } | null;
  if (typeof doc !== 'object' || doc === null || doc.format !== FEATURES_FORMAT) bad(`format must be "${FEATURES_FORMAT}" (got ${show(doc?.format)})`);
  const names = doc!.names;
  if (!Array.isArray(names) || names.length !== numFeatures || !names.every((n) => typeof n === 'string' && n !== '') || new Set(names).size !== names.length) {
    bad(`names must be ${numFeatures} distinct non-empty strings (the model's numFeatures)`);
  }
  const index = new Map(itemIds.map((id, i) => [id, i]));
  const coldItems = doc!.coldItems;
  if (!Array.isArray(coldItems) || !coldItems.every((id) => typeof id === 'string' && index.has(id)) || new Set(coldItems).size !== coldItems.length) {
    bad('coldItems must be distinct ids of the model\'s items');
  }

  let at = 0;
  const read = (): number => {
    let v = 0;
    let scale = 1;
    for (let n = 0; n < 5; n++) {
      if (at >= bin.length) bad('ends in the middle of an entry');
      const b = bin[at++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 0x80;
    }
    return bad(`varint longer than 5 bytes at byte ${at}`);
  };
  const byRank = new Uint32Array(numFeatures);
  const placed = new Uint8Array(numFeatures + 1);
  for (let r = 0; r < numFeatures; r++) {
    const f = read();
    if (f < 1 || f > numFeatures || placed[f]) bad(`the feature order is not a permutation of 1..${numFeatures}`);
    placed[f] = 1;
    byRank[r] = f;
  }
  const offsets = new Uint32Array(itemIds.length + 2);
  const values: number[] = [];
  for (let item = 1; item <= itemIds.length; item++) {
    const count = read();
    if (count > MAX_FEATURES_PER_ITEM) bad(`item ${item} has ${count} features (at most ${MAX_FEATURES_PER_ITEM})`);
    const own: number[] = [];
    let rank = 0;
    for (let k = 0; k < count; k++) {
      const step = read();
      if (k > 0 && step === 0) bad(`item ${item} repeats a feature`);
      rank += step;
      if (rank >= numFeatures) bad(`item ${item} names feature rank ${rank} of ${numFeatures}`);
      own.push(byRank[rank]!);
    }
    values.push(...own.sort((a, b) => a - b));
    offsets[item + 1] = values.length;
  }
  if (at !== bin.length) bad(`${bin.length - at} bytes after the last item`);
  const features: ItemFeatures = { names: names as string[], offsets, values: Uint32Array.from(values) };
  checkItemFeatures(features, itemIds.length, numFeatures, path);
  // In item order, whatever order the file lists them in.
  const cold = (coldItems as string[]).slice().sort((a, b) => index.get(a)! - index.get(b)!);
  return { features, coldItems: cold };
}

/** Item indices (1-based) of `coldItems` in `itemIds`: `SasRec.fromWeights`'s `withoutId`. */
export function coldItemIndices(itemIds: readonly string[], coldItems: readonly string[] = []): number[] {
  if (coldItems.length === 0) return [];
  const index = new Map(itemIds.map((id, i) => [id, i + 1]));
  return coldItems.map((id) => index.get(id)).filter((i): i is number => i !== undefined);
}
