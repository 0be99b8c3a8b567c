/**
 * Content features in the artifact (issue 18): `features.bin` built, hashed, signed and verified with the
 * weights; `feat_emb` row-quantized under uint8; held-out items recorded; an id-only artifact unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/support/tf-backend.ts';
import { rejectedContractError, thrownContractError } from '../../test/support/contract-error.ts';
import type { ModelConfig } from '../model/config.ts';
import { buildItemFeatures, featuresOf, type ItemFeatures } from '../model/features.ts';
import { SasRec } from '../model/sasrec.ts';
import { initWeights, type NamedWeights } from '../model/weights.ts';
import { buildArtifact, itemTableOptions, loadArtifact, type Artifact, type ArtifactInput } from './artifact.ts';
import { concatBytes, utf8 } from './bytes.ts';
import { FEATURES_FILE, coldItemIndices, encodeFeatureFile, parseFeatureFile } from './item-features.ts';
import { parseManifest, type FileRef } from './manifest.ts';
import { generateKeyFile, type KeyFile, type TrustedKey } from './signing.ts';

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `sku-${i + 1}`);
/** Six items: features named like a catalog's, item 6 with none. */
const NAMES = [['cat:a', 'brand:x'], ['cat:a', 'brand:y'], ['cat:b', 'brand:x'], ['cat:a', 'cat:b', 'price:12'], ['cat:b', 'price:12', 'brand:y'], []];
const features: ItemFeatures = buildItemFeatures(NAMES);
const config: ModelConfig = { numItems: 6, dim: 4, blocks: 1, heads: 1, maxLen: 3, numFeatures: features.names.length };

let key: Required<KeyFile>;
let trusted: TrustedKey[];
beforeAll(async () => {
  key = await generateKeyFile();
  trusted = [{ keyId: key.keyId, publicKey: key.publicKey }];
  await useTestBackend('cpu');
});

function weights(seed = 3): NamedWeights {
  const w = initWeights(config, seed);
  // Rows large enough that a wrong feature or a quantization step would move scores visibly.
  for (const t of w.values()) if (t.shape.length === 2) t.values.forEach((v, i) => (t.values[i] = v * 20));
  return w;
}

const input = (over: Partial<ArtifactInput> = {}): ArtifactInput => ({
  name: 'default',
  version: 'v1',
  config,
  itemIds: ids(6),
  weights: weights(),
  quantization: 'float32',
  features,
  coldItems: ['sku-4'],
  ...over,
});

const serve = (artifact: Artifact, tamper: (files: Map<string, Uint8Array>) => void = () => {}) => {
  const files = new Map([...artifact.files].map(([p, b]) => [p, b.slice()]));
  tamper(files);
  return async (ref: FileRef): Promise<Uint8Array> => files.get(ref.path)!;
};
const json = (m: unknown): Record<string, any> => JSON.parse(JSON.stringify(m)) as Record<string, any>;
const itemsOf = (f: ItemFeatures): number[][] => Array.from({ length: f.offsets.length - 1 }, (_, i) => [...featuresOf(f, i)]);

describe('an artifact with content features', () => {
  it('ships the vocabulary, every item\'s features and the held-out items as signed, hashed files, and loads them back', async () => {
    const artifact = await buildArtifact(input(), key);
    expect(artifact.manifest.features).toEqual(expect.objectContaining({ path: FEATURES_FILE, bytes: artifact.files.get(FEATURES_FILE)!.byteLength }));
    const loaded = await loadArtifact(json(artifact.manifest), serve(artifact), { trusted });
    expect(loaded.features!.names).toEqual(features.names);
    expect(itemsOf(loaded.features!)).toEqual(itemsOf(features));
    expect(loaded.coldItems).toEqual(['sku-4']);
    expect(itemTableOptions(loaded)).toEqual({ features: loaded.features, withoutId: [4] });
  });

  it('scores as the model in memory once loaded with itemTableOptions (held-out item without its id row)', async () => {
    const w = weights();
    const artifact = await buildArtifact(input({ weights: w }));
    const loaded = await loadArtifact(json(artifact.manifest), serve(artifact), { unsigned: 'allow' });
    const original = SasRec.fromWeights(config, w, { features, withoutId: [4] });
    const shipped = SasRec.fromWeights(loaded.manifest.config, loaded.weights, itemTableOptions(loaded));
    const withId = SasRec.fromWeights(config, w, { features });
    try {
      const history = [[1, 4, 2]];
      const [a, b, c] = await Promise.all([original.scoreBatch(history), shipped.scoreBatch(history), withId.scoreBatch(history)]);
      [...a].forEach((v, i) => expect(b[i]).toBeCloseTo(v, 4));
      // The held-out item's untrained id row is really left out: with it, item 4 scores otherwise.
      expect(Math.abs(c[4]! - a[4]!)).toBeGreaterThan(1e-3);
    } finally {
      for (const m of [original, shipped, withId]) m.dispose();
      expect(tf.memory().numTensors).toBe(0);
    }
  });

  it('row-quantizes feat_emb under uint8 like item_emb, keeping the padding row exactly zero', async () => {
    const w = weights();
    const artifact = await buildArtifact(input({ weights: w, quantization: 'uint8' }));
    const spec = artifact.manifest.weightsManifest[0]!.weights.find((s) => s.name === 'feat_emb')!;
    expect(spec.quantization).toEqual({ dtype: 'uint8', scheme: 'per-row-affine' });
    const loaded = await loadArtifact(json(artifact.manifest), serve(artifact), { unsigned: 'allow' });
    const [rows, cols] = spec.shape as [number, number];
    const before = w.get('feat_emb')!.values;
    const after = loaded.weights.get('feat_emb')!.values;
    expect([...after.subarray(0, cols)]).toEqual([0, 0, 0, 0]);
    for (let r = 0; r < rows; r++) {
      const row = before.subarray(r * cols, (r + 1) * cols);
      const step = (Math.max(...row) - Math.min(...row)) / 255;
      for (let c = 0; c < cols; c++) expect(Math.abs(after[r * cols + c]! - row[c]!)).toBeLessThanOrEqual(step / 2 + 1e-6);
    }
    expect(after).not.toEqual(before);
  });

  it('an id-only artifact has no feature files and loads without features, as before', async () => {
    const idOnly: ModelConfig = { numItems: 6, dim: 4, blocks: 1, heads: 1, maxLen: 3 };
    const artifact = await buildArtifact({ name: 'default', version: 'v1', config: idOnly, itemIds: ids(6), weights: initWeights(idOnly, 1), quantization: 'uint8' });
    expect(artifact.manifest.features).toBeUndefined();
    expect([...artifact.files.keys()].sort()).toEqual(['group1-shard1of1.bin', 'items.json']);
    const loaded = await loadArtifact(json(artifact.manifest), serve(artifact), { unsigned: 'allow' });
    expect(loaded.features).toBeUndefined();
    expect(loaded.coldItems).toBeUndefined();
    expect(itemTableOptions(loaded)).toEqual({});
  });

  it.each<[string, Partial<ArtifactInput>, RegExp]>([
    ['a feature model without features', { features: undefined, coldItems: undefined }, /features are needed/],
    ['features for an id-only model', { config: { ...config, numFeatures: 0 }, weights: initWeights({ ...config, numFeatures: 0 }, 1) }, /no content features/],
    ['features of fewer items than the model', { features: buildItemFeatures(NAMES.slice(0, 5)) }, /offsets for 5 items/],
    ['a held-out item the model does not have', { coldItems: ['sku-9'] }, /sku-9/],
    ['held-out items without features', { config: { ...config, numFeatures: 0 }, features: undefined, weights: initWeights({ ...config, numFeatures: 0 }, 1) }, /coldItems need features/],
  ])('refuses to build %s', async (_what, over, message) => {
    const err = await rejectedContractError(buildArtifact(input(over)));
    expect(err.message).toMatch(message);
  });
});

describe('the manifest\'s features entry', () => {
  let artifact: Artifact;
  beforeAll(async () => {
    artifact = await buildArtifact(input(), key);
  });

  it('is required for a model with numFeatures and refused for one without', () => {
    const without = json(artifact.manifest);
    delete without.features;
    expect(thrownContractError(() => parseManifest(without), 'bad_manifest').message).toMatch(/features must name the feature file/);
    const idOnly = json(artifact.manifest);
    delete idOnly.config.numFeatures;
    idOnly.weightsManifest[0].weights = idOnly.weightsManifest[0].weights.filter((w: { name: string }) => w.name !== 'feat_emb');
    expect(thrownContractError(() => parseManifest(idOnly), 'bad_manifest').message).toMatch(/features must be absent/);
  });

  it('may not reuse another file\'s path', () => {
    const raw = json(artifact.manifest);
    raw.features.path = 'items.json';
    expect(thrownContractError(() => parseManifest(raw), 'bad_manifest').message).toMatch(/features.path "items.json" is already another file's/);
  });

  it('is covered by the signature: a changed feature file reference is refused before any file is fetched', async () => {
    const raw = json(artifact.manifest);
    raw.features.sha256 = 'f'.repeat(64);
    let fetched = 0;
    const err = await rejectedContractError(loadArtifact(raw, async () => (fetched++, new Uint8Array()), { trusted }));
    expect(err.code).toBe('bad_signature');
    expect(fetched).toBe(0);
  });

  it('refuses a tampered features.bin with an integrity error naming it', async () => {
    const last = artifact.files.get(FEATURES_FILE)!.byteLength - 1;
    const err = await rejectedContractError(loadArtifact(json(artifact.manifest), serve(artifact, (f) => (f.get(FEATURES_FILE)![last]! ^= 0x01)), { trusted }));
    expect(err.code).toBe('integrity');
    expect(err.message).toContain(`${FEATURES_FILE}: SHA-256`);
  });
});

describe('features.bin', () => {
  const itemIds = ids(6);
  const file = encodeFeatureFile(features, ['sku-5', 'sku-2'], itemIds);
  const headerLength = new DataView(file.buffer).getUint32(0, true);
  const header = file.slice(0, 4 + headerLength);
  const stream = [...file.subarray(4 + headerLength)];
  const withHeader = (doc: unknown): Uint8Array => {
    const json = utf8.encode(JSON.stringify(doc));
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, json.byteLength, true);
    return concatBytes([length, json, Uint8Array.from(stream)]);
  };
  const parse = (bytes: Uint8Array) => () => parseFeatureFile(bytes, itemIds, features.names.length);

  it('round-trips every item\'s features and lists held-out items in item order', () => {
    const back = parse(file)();
    expect(itemsOf(back.features)).toEqual(itemsOf(features));
    expect(back.coldItems).toEqual(['sku-2', 'sku-5']);
    expect(coldItemIndices(itemIds, back.coldItems)).toEqual([2, 5]);
  });

  it('takes one byte per entry for the features most items carry', () => {
    // 500 items, each with the common feature and one of 200 rare ones: the common one ranks first.
    const names = Array.from({ length: 500 }, (_, i) => ['cat:all', `brand:${i % 200}`]);
    const many = buildItemFeatures(names);
    const bytes = encodeFeatureFile(many, [], ids(500));
    const json = new DataView(bytes.buffer).getUint32(0, true);
    // A uint16 table would take 500 * 2 * 2 bytes for the values alone.
    expect(bytes.byteLength - 4 - json).toBeLessThan(201 * 2 + 500 * (1 + 1 + 2));
    expect(itemsOf(parseFeatureFile(bytes, ids(500), many.names.length).features)).toEqual(itemsOf(many));
  });

  const numFeatures = features.names.length;
  const tampered: Array<[string, (b: number[]) => number[], RegExp]> = [
    ['a byte after the last item', (b) => [...b, 0], /1 bytes after the last item/],
    ['a truncated stream', (b) => b.slice(0, -1), /ends in the middle/],
    ['an order that is not a permutation', (b) => [b[1]!, ...b.slice(1)], /not a permutation/],
    // Item 1's second feature as a gap of 0: the same feature twice.
    ['a repeated feature', (b) => { const c = [...b]; c[numFeatures + 2] = 0; return c; }, /item 1 repeats a feature/],
    ['too many features on an item', (b) => { const c = [...b]; c[numFeatures] = 65; return c; }, /item 1 has 65 features/],
  ];
  it.each(tampered)('refuses %s as an integrity error', (_what, change, message) => {
    const err = thrownContractError(parse(concatBytes([header, Uint8Array.from(change(stream))])), 'integrity');
    expect(err.message).toMatch(message);
    expect(err.message).toContain(FEATURES_FILE);
  });

  it.each<[string, unknown, RegExp]>([
    ['another format', { format: 'x', names: features.names, coldItems: [] }, /format must be/],
    ['too few names', { format: 'edge-recs-features/1', names: features.names.slice(1), coldItems: [] }, /names must be/],
    ['repeated names', { format: 'edge-recs-features/1', names: features.names.map(() => 'a'), coldItems: [] }, /names must be/],
    ['a held-out item the model does not have', { format: 'edge-recs-features/1', names: features.names, coldItems: ['nope'] }, /coldItems/],
  ])('refuses a header with %s', (_what, doc, message) => {
    const err = thrownContractError(parse(withHeader(doc)), 'integrity');
    expect(err.message).toMatch(message);
    expect(err.message).toContain(FEATURES_FILE);
  });

  it('refuses a header that runs past the end of the file', () => {
    const bytes = file.slice();
    new DataView(bytes.buffer).setUint32(0, bytes.byteLength, true);
    expect(thrownContractError(parse(bytes), 'integrity').message).toMatch(/runs past the end/);
  });
});
