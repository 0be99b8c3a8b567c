/**
 * The model registry: publishing verified artifacts into a `Storage` and finding the version to serve.
 * Runtime-neutral (Web-standard APIs only), so every adapter and the admin API share one publish path.
 */
import { canonicalJson, sha256Hex, utf8, type Bytes } from '../../core/artifact/bytes.ts';
import { manifestFiles, parseManifest, type FileRef, type Manifest } from '../../core/artifact/manifest.ts';
import { verifyManifest, type TrustedKey } from '../../core/artifact/signing.ts';
import { ContractError } from '../../core/errors.ts';
import type { ModelRecord, Storage } from './storage.ts';

export interface PublishOptions {
  /**
   * Keys allowed to sign models. Publishing refuses an unsigned manifest, one signed by any other key
   * and one whose signature does not match, so storage only ever holds models a trusted key vouched for.
   */
  trusted: readonly TrustedKey[];
  /**
   * Serve the new version to this percentage (1-100) of manifest requests as a canary, leaving the
   * current version as it is, in the same write that records the version. Default: none, the version
   * becomes current. Why: published as current first, a version reaches every shopper before a canary
   * of it could start.
   * @example 10
   */
  canary?: number;
}

/** Percentages a canary publish takes: 0 would serve the new version to nobody (not a canary). */
function checkCanaryPercent(percent: unknown): number {
  if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 1 || percent > 100) {
    throw new ContractError('bad_canary', `a canary's percentage must be an integer 1-100 (got ${JSON.stringify(percent)})`);
  }
  return percent;
}

export interface PublishResult {
  /** The model's record after publishing: its `current` is the published version, or its `canary` with `options.canary`. */
  record: ModelRecord;
  /** Address of the stored `manifest.json`, also its HTTP ETag. */
  manifestSha256: string;
  /** `false` when this exact manifest was already published (the call then only made it current). */
  created: boolean;
}

/** What `/v1/models/:name/manifest` serves. */
export interface CurrentManifest {
  manifest: Manifest;
  sha256: string;
  /** The manifest exactly as stored: the bytes its SHA-256 and signature refer to. */
  bytes: Bytes;
}

/**
 * Publishes are read-modify-write on a model's record; run them one at a time per meta store, so two
 * concurrent publishes in this process cannot drop each other's version. (Across processes the
 * adapter's store must provide this; a single writer per data directory is assumed for now.)
 */
const publishQueues = new WeakMap<object, Promise<unknown>>();

export function serialized<T>(key: object, task: () => Promise<T>): Promise<T> {
  const previous = publishQueues.get(key) ?? Promise.resolve();
  const next = previous.then(task, task);
  publishQueues.set(key, next.catch(() => undefined));
  return next;
}

async function checkFile(ref: FileRef, files: ReadonlyMap<string, Uint8Array>): Promise<Uint8Array> {
  const bytes = files.get(ref.path);
  if (!bytes) throw new ContractError('integrity', `${ref.path}: named by the manifest but missing from the artifact`);
  if (bytes.byteLength !== ref.bytes) {
    throw new ContractError('integrity', `${ref.path}: ${bytes.byteLength} bytes, the manifest says ${ref.bytes}`);
  }
  if ((await sha256Hex(bytes as Bytes)) !== ref.sha256) {
    throw new ContractError('integrity', `${ref.path}: SHA-256 does not match the manifest`);
  }
  return bytes;
}

/**
 * Verifies an artifact and makes it the model's current version.
 *
 * Checks, in order: the manifest is well formed, its signature is by a trusted key, and every file
 * has the size and SHA-256 the manifest names (no file missing, none extra). Then stores the files,
 * then the manifest (serialized as canonical JSON, so the same manifest always gets the same address),
 * and only then the record, so a crash mid-way never leaves a record pointing at missing blobs.
 *
 * Publishing a version again with the identical manifest is idempotent and makes it current again
 * (a rollback); with a different manifest it is refused, since clients cache a version's files forever.
 * With `options.canary` the version is recorded and made the canary in that one write; the current
 * version stays, so no request is ever served the new version outside the canary's share.
 *
 * @throws ContractError `bad_manifest`, `unsigned`, `untrusted_key`, `bad_signature`, `integrity`,
 *   `bad_artifact` (a file the manifest does not name) or `version_exists`; with a canary also
 *   `bad_canary` (a bad percentage, or the version is already current) and `no_current_version` (the
 *   model's first version, which has nothing to serve the other requests).
 */
export async function publishArtifact(
  storage: Storage,
  artifact: { manifest: Manifest; files: ReadonlyMap<string, Uint8Array> },
  options: PublishOptions,
): Promise<PublishResult> {
  // Re-parse: the artifact may come from an upload, and its type says nothing about its content.
  const manifest = parseManifest(artifact.manifest);
  const canary = options.canary === undefined ? undefined : checkCanaryPercent(options.canary);
  await verifyManifest(manifest, options.trusted);
  const refs = manifestFiles(manifest);
  const named = new Set(refs.map((r) => r.path));
  const extra = [...artifact.files.keys()].filter((path) => !named.has(path));
  if (extra.length > 0) {
    throw new ContractError('bad_artifact', `files not named by the manifest: ${extra.map((p) => `"${p}"`).join(', ')}`);
  }
  const checked = await Promise.all(refs.map((r) => checkFile(r, artifact.files)));
  const manifestBytes = utf8.encode(canonicalJson(manifest));
  const manifestSha256 = await sha256Hex(manifestBytes);

  return serialized(storage.meta, async () => {
    const existing = await storage.meta.getModel(manifest.name);
    const previous = existing?.versions.find((v) => v.version === manifest.version);
    if (previous && previous.manifestSha256 !== manifestSha256) {
      throw new ContractError(
        'version_exists',
        `model ${manifest.name}@${manifest.version} is already published with a different manifest; publish under a new version`,
      );
    }
    if (canary !== undefined) {
      // Refused before any blob is stored: a refused publish leaves storage as it was.
      if (!existing) {
        throw new ContractError('no_current_version', `model ${manifest.name} has no version yet to serve beside a canary; publish ${manifest.version} without a canary first`);
      }
      if (existing.current === manifest.version) {
        throw new ContractError('bad_canary', `${manifest.version} is already the current version of ${manifest.name}; a canary must be another version`);
      }
    }
    for (const bytes of checked) await storage.blobs.put(bytes);
    const stored = await storage.blobs.put(manifestBytes);
    if (stored !== manifestSha256) throw new Error(`blob store returned ${stored} for a blob whose SHA-256 is ${manifestSha256}`);

    const record: ModelRecord = existing ?? { name: manifest.name, current: manifest.version, versions: [] };
    if (!previous) record.versions.push({ version: manifest.version, manifestSha256, publishedAt: new Date().toISOString() });
    if (canary !== undefined) record.canary = { version: manifest.version, percent: canary };
    else {
      record.current = manifest.version;
      // As a promote does: a version served to everyone is no longer anyone's canary.
      if (record.canary?.version === manifest.version) delete record.canary;
    }
    await storage.meta.putModel(record);
    return { record, manifestSha256, created: !previous };
  });
}

/**
 * Parsed manifests by address. A manifest's bytes never change (its address is their SHA-256), so the
 * parse and check `parseManifest` does need not be repeated for every request that serves it.
 */
const parsedManifests = new Map<string, CurrentManifest>();
const PARSED_MANIFESTS_MAX = 256;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * The manifest of the model's current version, or `null` when no model of that name is published.
 * `pick` chooses another of its versions instead (a canary: `models/registry-ops.ts`).
 */
export async function currentManifest(
  storage: Storage,
  name: string,
  pick: (record: ModelRecord) => string = (record) => record.current,
): Promise<CurrentManifest | null> {
  const record = await storage.meta.getModel(name);
  if (!record) return null;
  const version = pick(record);
  const entry = record.versions.find((v) => v.version === version);
  // Both are storage corruption, not bad input: they surface as a 500 and belong in the server log.
  if (!entry) throw new Error(`model ${name}: version ${version} is not among its versions`);
  const known = parsedManifests.get(entry.manifestSha256);
  if (known) return known;
  const bytes = await storage.blobs.get(entry.manifestSha256);
  if (!bytes) throw new Error(`model ${name}@${entry.version}: manifest blob ${entry.manifestSha256} is missing`);
  let manifest: Manifest;
  try {
    manifest = parseManifest(JSON.parse(utf8.decode(bytes)));
  } catch (cause) {
    // Not a ContractError: the client sent nothing wrong, so this must not become a 400.
    throw new Error(`model ${name}@${entry.version}: stored manifest does not parse`, { cause });
  }
  // Shared by every later caller: frozen, so a caller that tried to change it would fail loudly.
  const current = { manifest: deepFreeze(manifest), sha256: entry.manifestSha256, bytes };
  if (parsedManifests.size >= PARSED_MANIFESTS_MAX) parsedManifests.delete(parsedManifests.keys().next().value!);
  parsedManifests.set(entry.manifestSha256, current);
  return current;
}
