import { ContractError, isRecord, show } from '../errors.ts';
import { parseModelConfig, type ModelConfig } from '../model/config.ts';
import { QUANTIZATIONS, type Quantization, type WeightSpec } from './weights-codec.ts';

export const MANIFEST_FORMAT = 'edge-recs-model/1';

/** A file of an artifact, addressed by content: the edge server serves it at `/v1/blobs/:sha256`. */
export interface FileRef {
  /** File name inside the artifact directory: letters, digits, `.`, `_`, `-` only (no paths). */
  path: string;
  sha256: string;
  bytes: number;
}

export interface Signature {
  alg: 'Ed25519';
  /** First 16 hex digits of the SHA-256 of the raw public key. */
  keyId: string;
  /** Base64 signature over `canonicalJson(manifest without "signature")`. */
  value: string;
}

/** `manifest.json` of a model artifact: everything needed to fetch, verify and run the model. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  /** Model name, e.g. `default`; one name has a line of versions. */
  name: string;
  /** Version label, unique per name (`20261124T163000Z`, `r12`). */
  version: string;
  createdAt: string;
  config: ModelConfig;
  quantization: Quantization;
  /** JSON array of item ids: entry i is the catalog id of model item index i+1. */
  items: FileRef & { count: number };
  /**
   * What shoppers of the training data chose next after each item (`next-steps.ts`): the evidence copy
   * about other shoppers needs. Absent in artifacts made before it existed: such a model makes no such claim.
   */
  nextSteps?: FileRef;
  /**
   * The item content features, `features.bin` (`item-features.ts`): the feature names, each model item's
   * features and the items held out of training. Present exactly when `config.numFeatures` > 0; an id-only
   * model has none.
   */
  features?: FileRef;
  /** tfjs weights manifest: the shards' concatenation holds these weights in order. */
  weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }>;
  /** One entry per path in `weightsManifest[*].paths`, in order. */
  shards: FileRef[];
  /** Free-form provenance: data, metrics, training settings. Signed with the rest. */
  training?: Record<string, unknown>;
  signature?: Signature;
}

/**
 * Every file the manifest names, each once: the item map, the chosen-next table and the content features
 * when there are some, the weight shards. What a publish must carry, a load must verify and a cache must keep.
 */
export function manifestFiles(manifest: Pick<Manifest, 'items' | 'nextSteps' | 'shards'> & { features?: Manifest['features'] }): FileRef[] {
  return [
    manifest.items,
    ...(manifest.nextSteps ? [manifest.nextSteps] : []),
    ...(manifest.features ? [manifest.features] : []),
    ...manifest.shards,
  ];
}

/** Model names: lowercase, safe as a URL segment and a file name. */
export const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Version labels: safe as a URL query value and a file name. */
export const VERSION_LABEL = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const VERSION = VERSION_LABEL;
const PATH = /^(?!\.\.?$)[A-Za-z0-9._-]{1,128}$/;
const SHA = /^[0-9a-f]{64}$/;

function bad(message: string): never {
  throw new ContractError('bad_manifest', `manifest.json: ${message}`);
}

function parseFileRef(raw: unknown, where: string): FileRef {
  if (!isRecord(raw)) bad(`${where} must be an object`);
  if (typeof raw.path !== 'string' || !PATH.test(raw.path)) bad(`${where}.path must be a plain file name (got ${show(raw.path)})`);
  if (typeof raw.sha256 !== 'string' || !SHA.test(raw.sha256)) bad(`${where}.sha256 must be 64 lowercase hex digits`);
  if (!Number.isInteger(raw.bytes) || (raw.bytes as number) < 0) bad(`${where}.bytes must be a non-negative integer`);
  return { path: raw.path, sha256: raw.sha256, bytes: raw.bytes as number };
}

/** Validates a parsed `manifest.json`; names the first field at fault. */
export function parseManifest(raw: unknown): Manifest {
  if (!isRecord(raw)) bad('expected a JSON object');
  if (raw.format !== MANIFEST_FORMAT) bad(`format must be "${MANIFEST_FORMAT}" (got ${show(raw.format)})`);
  if (typeof raw.name !== 'string' || !MODEL_NAME.test(raw.name)) bad(`name must match ${MODEL_NAME} (got ${show(raw.name)})`);
  if (typeof raw.version !== 'string' || !VERSION.test(raw.version)) bad(`version must match ${VERSION} (got ${show(raw.version)})`);
  if (typeof raw.createdAt !== 'string') bad('createdAt must be an ISO-8601 string');
  let config: ModelConfig;
  try {
    config = parseModelConfig(raw.config);
  } catch (e) {
    bad((e as Error).message);
  }
  if (!QUANTIZATIONS.includes(raw.quantization as Quantization)) {
    bad(`quantization must be one of ${QUANTIZATIONS.join(', ')} (got ${show(raw.quantization)})`);
  }
  if (!isRecord(raw.items)) bad('items must be an object');
  const items = { ...parseFileRef(raw.items, 'items'), count: raw.items.count as number };
  if (items.count !== config.numItems) bad(`items.count (${show(raw.items.count)}) must equal config.numItems (${config.numItems})`);
  if (!Array.isArray(raw.weightsManifest) || raw.weightsManifest.length === 0) bad('weightsManifest must be a non-empty array');
  const weightsManifest = raw.weightsManifest.map((group: unknown, g) => {
    if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) bad(`weightsManifest[${g}] must have paths and weights`);
    const paths = group.paths.map((p: unknown, i) => {
      if (typeof p !== 'string' || !PATH.test(p)) bad(`weightsManifest[${g}].paths[${i}] must be a plain file name (got ${show(p)})`);
      return p;
    });
    const weights = group.weights.map((w: unknown, i) => parseSpec(w, `weightsManifest[${g}].weights[${i}]`));
    return { paths, weights };
  });
  if (!Array.isArray(raw.shards)) bad('shards must be an array');
  const shards = raw.shards.map((s: unknown, i) => parseFileRef(s, `shards[${i}]`));
  const paths = weightsManifest.flatMap((g) => g.paths);
  if (paths.join('\n') !== shards.map((s) => s.path).join('\n')) bad('shards must list the weightsManifest paths in order');
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    name: raw.name,
    version: raw.version,
    createdAt: raw.createdAt,
    config,
    quantization: raw.quantization as Quantization,
    items,
    weightsManifest,
    shards,
  };
  const taken = new Set([items.path, ...paths]);
  const claim = (ref: FileRef, where: string): FileRef => {
    if (taken.has(ref.path)) bad(`${where}.path "${ref.path}" is already another file's`);
    taken.add(ref.path);
    return ref;
  };
  if (raw.nextSteps !== undefined) manifest.nextSteps = claim(parseFileRef(raw.nextSteps, 'nextSteps'), 'nextSteps');
  const numFeatures = config.numFeatures ?? 0;
  if (raw.features !== undefined) {
    if (numFeatures === 0) bad('features must be absent for a model without content features (config.numFeatures is 0)');
    manifest.features = claim(parseFileRef(raw.features, 'features'), 'features');
  } else if (numFeatures > 0) bad(`features must name the feature file of a model with ${numFeatures} content features`);
  if (raw.training !== undefined) {
    if (!isRecord(raw.training)) bad('training must be an object');
    manifest.training = raw.training;
  }
  if (raw.signature !== undefined) {
    const s = raw.signature;
    if (!isRecord(s) || s.alg !== 'Ed25519' || typeof s.keyId !== 'string' || typeof s.value !== 'string') {
      bad('signature must be {"alg":"Ed25519","keyId","value"}');
    }
    manifest.signature = { alg: 'Ed25519', keyId: s.keyId, value: s.value };
  }
  return manifest;
}

function parseSpec(raw: unknown, where: string): WeightSpec {
  if (!isRecord(raw) || typeof raw.name !== 'string' || raw.name.length > 200) bad(`${where}.name must be a string`);
  if (!Array.isArray(raw.shape) || !raw.shape.every((d) => Number.isInteger(d) && d >= 0)) bad(`${where}.shape must be an array of sizes`);
  if (raw.dtype !== 'float32') bad(`${where}.dtype must be "float32" (got ${show(raw.dtype)})`);
  const spec: WeightSpec = { name: raw.name, shape: raw.shape as number[], dtype: 'float32' };
  const q = raw.quantization;
  if (q !== undefined) {
    if (isRecord(q) && q.dtype === 'float16') spec.quantization = { dtype: 'float16' };
    else if (isRecord(q) && q.dtype === 'uint8' && q.scheme === 'per-row-affine' && raw.shape.length === 2) {
      spec.quantization = { dtype: 'uint8', scheme: 'per-row-affine' };
    } else bad(`${where}.quantization must be {"dtype":"float16"} or {"dtype":"uint8","scheme":"per-row-affine"} on a matrix`);
  }
  return spec;
}
