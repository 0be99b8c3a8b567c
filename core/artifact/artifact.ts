import { ContractError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import type { ItemFeatures } from '../model/features.ts';
import { checkWeights, type NamedWeights } from '../model/weights.ts';
import { type Bytes, concatBytes, sha256Hex, utf8 } from './bytes.ts';
import { coldItemIndices, encodeFeatureFile, FEATURES_FILE, parseFeatureFile } from './item-features.ts';
import { MANIFEST_FORMAT, parseManifest, type FileRef, type Manifest } from './manifest.ts';
import { encodeNextSteps, NEXT_STEPS_FILE, parseNextSteps, type NextSteps } from './next-steps.ts';
import { signManifest, verifyManifest, type KeyFile, type TrustedKey } from './signing.ts';
import { decodeWeights, encodeWeights, type Quantization } from './weights-codec.ts';

/** Largest weight shard, as in tfjs' own writer: small enough for HTTP caches and partial retries. */
export const SHARD_BYTES = 4 * 1024 * 1024;

export interface ArtifactInput {
  name: string;
  version: string;
  config: ModelConfig;
  /** Catalog id of each model item, index i for item i+1. */
  itemIds: readonly string[];
  weights: NamedWeights;
  quantization: Quantization;
  /** What shoppers chose next after each item (`next-steps.ts`), shipped as `next-steps.json`; none: no such claims. */
  nextSteps?: NextSteps;
  /**
   * The content features of every model item (`core/model/features.ts`), exactly `config.numItems` of them:
   * required when `config.numFeatures` > 0, refused otherwise. Shipped as `features.bin` (`item-features.ts`).
   */
  features?: ItemFeatures;
  /**
   * Ids of model items held out of training (`--cold-items`): their id rows were never trained, so the
   * model ranks and reads them by their features alone (`withoutId`). Needs `features`. Default none.
   */
  coldItems?: readonly string[];
  training?: Record<string, unknown>;
  createdAt?: string;
}

/** An artifact in memory: its manifest and the files it names (manifest.json itself excluded). */
export interface Artifact {
  manifest: Manifest;
  files: Map<string, Bytes>;
}

/** The decoded, verified content of an artifact. */
export interface LoadedArtifact {
  manifest: Manifest;
  itemIds: string[];
  weights: NamedWeights;
  /** The verified chosen-next table, when the artifact has one. */
  nextSteps?: NextSteps;
  /** The verified content features of the model's items, exactly when `config.numFeatures` > 0. */
  features?: ItemFeatures;
  /** Ids of model items held out of training, in item order; present (maybe empty) with `features`. */
  coldItems?: string[];
}

/**
 * What `SasRec.fromWeights` needs besides the weights to run a loaded artifact as trained: its items'
 * features and the held-out items whose id rows it must not read. Empty for an id-only model.
 */
export function itemTableOptions(artifact: Pick<LoadedArtifact, 'itemIds' | 'features' | 'coldItems'>): { features?: ItemFeatures; withoutId?: number[] } {
  if (!artifact.features) return {};
  const withoutId = coldItemIndices(artifact.itemIds, artifact.coldItems);
  return { features: artifact.features, ...(withoutId.length > 0 && { withoutId }) };
}

async function ref(path: string, bytes: Bytes): Promise<FileRef> {
  return { path, sha256: await sha256Hex(bytes), bytes: bytes.byteLength };
}

/** Encodes, shards and (given a key) signs a model. The result passes `parseManifest` and `loadArtifact`. */
export async function buildArtifact(input: ArtifactInput, key?: KeyFile): Promise<Artifact> {
  checkWeights(input.config, input.weights);
  if (input.itemIds.length !== input.config.numItems) {
    throw new ContractError('bad_artifact', `${input.itemIds.length} item ids for ${input.config.numItems} model items`);
  }
  const files = new Map<string, Bytes>();
  const itemsBytes = utf8.encode(JSON.stringify(input.itemIds));
  files.set('items.json', itemsBytes);
  const nextBytes = input.nextSteps && encodeNextSteps(input.nextSteps, input.itemIds);
  if (nextBytes) files.set(NEXT_STEPS_FILE, nextBytes);
  const numFeatures = input.config.numFeatures ?? 0;
  if (numFeatures > 0 && !input.features) throw new ContractError('bad_artifact', `the model embeds ${numFeatures} content features: its items' features are needed`);
  if (numFeatures === 0 && input.features) throw new ContractError('bad_artifact', 'the model embeds no content features (config.numFeatures is 0), yet features were given');
  if (!input.features && (input.coldItems?.length ?? 0) > 0) throw new ContractError('bad_artifact', 'coldItems need features: a held-out item has no other vector');
  const featureBytes = input.features && encodeFeatureFile(input.features, input.coldItems ?? [], input.itemIds);
  if (featureBytes) files.set(FEATURES_FILE, featureBytes);
  const { specs, data } = encodeWeights(input.weights, input.quantization);
  const count = Math.max(1, Math.ceil(data.byteLength / SHARD_BYTES));
  const shards: FileRef[] = [];
  for (let i = 0; i < count; i++) {
    const path = `group1-shard${i + 1}of${count}.bin`;
    const bytes = data.slice(i * SHARD_BYTES, (i + 1) * SHARD_BYTES);
    files.set(path, bytes);
    shards.push(await ref(path, bytes));
  }
  let manifest: Manifest = {
    format: MANIFEST_FORMAT,
    name: input.name,
    version: input.version,
    createdAt: input.createdAt ?? new Date().toISOString(),
    config: input.config,
    quantization: input.quantization,
    items: { ...(await ref('items.json', itemsBytes)), count: input.itemIds.length },
    ...(nextBytes && { nextSteps: await ref(NEXT_STEPS_FILE, nextBytes) }),
    ...(featureBytes && { features: await ref(FEATURES_FILE, featureBytes) }),
    weightsManifest: [{ paths: shards.map((s) => s.path), weights: specs }],
    shards,
    ...(input.training ? { training: input.training } : {}),
  };
  manifest = parseManifest(JSON.parse(JSON.stringify(manifest)));
  if (key) manifest = await signManifest(manifest, key);
  return { manifest, files };
}

/** Reads one file of an artifact: from disk in the CLI, from `/v1/blobs/:sha256` in the widget. */
export type FetchFile = (ref: FileRef) => Promise<Uint8Array>;

/**
 * Verifies and decodes an artifact. With `trusted` keys the signature is checked before any other byte
 * is fetched; every file's size and SHA-256 are checked against the manifest before it is decoded.
 */
export async function loadArtifact(
  rawManifest: unknown,
  fetchFile: FetchFile,
  options: { trusted: readonly TrustedKey[] } | { unsigned: 'allow' },
): Promise<LoadedArtifact> {
  const manifest = parseManifest(rawManifest);
  if ('trusted' in options) await verifyManifest(manifest, options.trusted);
  const checked = async (file: FileRef): Promise<Uint8Array> => {
    const bytes = await fetchFile(file);
    if (bytes.byteLength !== file.bytes) {
      throw new ContractError('integrity', `${file.path}: ${bytes.byteLength} bytes, the manifest says ${file.bytes}`);
    }
    if ((await sha256Hex(bytes as Bytes)) !== file.sha256) {
      throw new ContractError('integrity', `${file.path}: SHA-256 does not match the manifest`);
    }
    return bytes;
  };
  const next = manifest.nextSteps;
  const feat = manifest.features;
  const [itemBytes, nextBytes, featureBytes, ...shardBytes] = await Promise.all([checked(manifest.items), next && checked(next), feat && checked(feat), ...manifest.shards.map(checked)]);
  let itemIds: unknown;
  try {
    itemIds = JSON.parse(utf8.decode(itemBytes as Bytes));
  } catch {
    throw new ContractError('integrity', `${manifest.items.path}: not valid UTF-8 JSON`);
  }
  if (
    !Array.isArray(itemIds) ||
    itemIds.length !== manifest.items.count ||
    !itemIds.every((id) => typeof id === 'string') ||
    new Set(itemIds).size !== itemIds.length
  ) {
    throw new ContractError('integrity', `${manifest.items.path}: expected ${manifest.items.count} distinct item id strings`);
  }
  const nextSteps = next && parseNextSteps(nextBytes as Bytes, itemIds as string[], next.path);
  const featureFile = feat && parseFeatureFile(featureBytes!, itemIds as string[], manifest.config.numFeatures ?? 0, feat.path);
  const weights = decodeWeights(manifest.weightsManifest.flatMap((g) => g.weights), concatBytes(shardBytes as Uint8Array[]));
  checkWeights(manifest.config, weights, `model ${manifest.name}@${manifest.version}`);
  return { manifest, itemIds: itemIds as string[], weights, ...(nextSteps && { nextSteps }), ...(featureFile && { features: featureFile.features, coldItems: featureFile.coldItems }) };
}
