/**
 * `Storage` on Cloudflare bindings:
 *
 *   R2 `BLOBS`     blobs/<sha256>   content-addressed, immutable bytes (shards, item maps, manifests)
 *   DO `MODELS`    model:<name>     the model's record, in the storage of that model's `ModelRegistry`
 *
 * Blobs may be written from anywhere: a key is the hash of its bytes, so two writers of one key write
 * the same bytes. A record is read-modify-written, so it has exactly one writer: the model's Durable
 * Object, of which Cloudflare runs one instance in the world. The Worker reads records through it and
 * publishes by asking it to (`publishToRegistry`), never by writing a record itself.
 */
import type {
  DurableObjectNamespace,
  DurableObjectStorage,
  R2Bucket,
} from '@cloudflare/workers-types/latest/index.ts';
import { sha256Hex, type Bytes } from '../../../core/artifact/bytes.ts';
import { MODEL_NAME, type Manifest } from '../../../core/artifact/manifest.ts';
import { ContractError } from '../../../core/errors.ts';
import type { ModelChange, PublishRelease, RegistryWriter } from '../../admin/registry-ops.ts';
import type { PublishResult } from '../../registry.ts';
import type { BlobStore, MetaStore, ModelRecord, Storage } from '../../storage.ts';
import type { ModelRegistry } from './model-registry.ts';

const SHA256 = /^[0-9a-f]{64}$/;
/** Blobs share the bucket with what later issues store (e.g. accepted updates), under their own prefix. */
export const BLOB_PREFIX = 'blobs/';
const RECORD_PREFIX = 'model:';

/**
 * Blobs in R2 under `blobs/<sha256>`. Each put hands R2 the SHA-256 too, and R2 refuses the write if
 * the bytes it received hash otherwise, so a blob corrupted on the way is never stored under the
 * address it claims.
 */
export function r2BlobStore(bucket: R2Bucket): BlobStore {
  return {
    async put(bytes) {
      const sha256 = await sha256Hex(bytes as Bytes);
      const key = BLOB_PREFIX + sha256;
      // Content-addressed: an object at this key already holds these bytes; skip the upload.
      if (await bucket.head(key)) return sha256;
      await bucket.put(key, bytes, { sha256, httpMetadata: { contentType: 'application/octet-stream' } });
      return sha256;
    },
    async get(sha256) {
      if (!SHA256.test(sha256)) return null;
      const object = await bucket.get(BLOB_PREFIX + sha256);
      return object ? (new Uint8Array(await object.arrayBuffer()) as Bytes) : null;
    },
    async has(sha256) {
      if (!SHA256.test(sha256)) return false;
      return (await bucket.head(BLOB_PREFIX + sha256)) !== null;
    },
  };
}

/**
 * Records in a Durable Object's own storage: what `ModelRegistry` runs the registry on. Each put is
 * atomic and durable before the Object answers (its output gate holds the reply until the write is
 * stored); ordering the read-modify-write of a publish is the Object's job.
 */
export function durableMetaStore(storage: DurableObjectStorage): MetaStore {
  return {
    async getModel(name) {
      return (await storage.get<ModelRecord>(RECORD_PREFIX + name)) ?? null;
    },
    async putModel(record) {
      if (!MODEL_NAME.test(record.name)) {
        throw new ContractError('bad_name', `model name must match ${MODEL_NAME} (got ${JSON.stringify(record.name)})`);
      }
      await storage.put(RECORD_PREFIX + record.name, record);
    },
  };
}

/** The Durable Object that owns `name`'s record. Names outside `MODEL_NAME` get none. */
function registryFor(models: DurableObjectNamespace<ModelRegistry>, name: string) {
  return models.get(models.idFromName(name));
}

/**
 * Records as the Worker sees them: each call goes to the model's `ModelRegistry`. `putModel` is
 * ordered there with publishes, so it cannot interleave with one; it replaces the record whole, as on
 * every adapter. To publish, use `publishToRegistry`, which runs the whole read-modify-write inside the
 * Object.
 */
export function registryMetaStore(models: DurableObjectNamespace<ModelRegistry>): MetaStore {
  return {
    async getModel(name) {
      // No record can exist for such a name: answer without starting an Object for it.
      if (!MODEL_NAME.test(name)) return null;
      return registryFor(models, name).getModel(name);
    },
    async putModel(record) {
      if (!MODEL_NAME.test(record.name)) {
        throw new ContractError('bad_name', `model name must match ${MODEL_NAME} (got ${JSON.stringify(record.name)})`);
      }
      await registryFor(models, record.name).putModel(record);
    },
  };
}

/** The Worker's `Storage`: blobs in R2, records through the models' Durable Objects. */
export function workersStorage(env: { BLOBS: R2Bucket; MODELS: DurableObjectNamespace<ModelRegistry> }): Storage {
  return { blobs: r2BlobStore(env.BLOBS), meta: registryMetaStore(env.MODELS) };
}

/** An artifact as sent to a `ModelRegistry`: what `publishArtifact` takes. */
export interface ArtifactUpload {
  manifest: Manifest;
  files: ReadonlyMap<string, Uint8Array>;
}

/**
 * How a publish ends, as a value: an error's class and fields do not survive an RPC call (only its
 * message does), and callers need a refused publish's `code` to answer 400 rather than 500.
 */
export type PublishOutcome = { ok: true; result: PublishResult } | { ok: false; error: { code: string; message: string } };

/** How a record change ends, as a value (see `PublishOutcome`). */
export type ChangeOutcome = { ok: true; record: ModelRecord } | { ok: false; error: { code: string; message: string } };

/**
 * Publishes a signed artifact on Workers: `publishArtifact`, run inside the model's `ModelRegistry`
 * (the record's single writer), against R2 and the keys in the Worker's `TRUSTED_KEYS`. Two publishes
 * racing for one model are ordered there, so neither loses the other's version. The admin API
 * (`/v1/admin/*`) is to call this; it is also how the contract tests publish into workerd.
 *
 * The artifact crosses an RPC call, whose messages are capped (32 MiB on Cloudflare today); an
 * artifact larger than that needs its blobs put into R2 first and only the manifest sent.
 *
 * With `release.canary` the version becomes the canary instead of current, in the same write there.
 *
 * @throws ContractError as `publishArtifact` does (`untrusted_key`, `integrity`, `version_exists`, ...).
 */
export async function publishToRegistry(models: DurableObjectNamespace<ModelRegistry>, artifact: ArtifactUpload, release?: PublishRelease): Promise<PublishResult> {
  const name = artifact.manifest.name;
  if (typeof name !== 'string' || !MODEL_NAME.test(name)) {
    throw new ContractError('bad_manifest', `name must match ${MODEL_NAME} (got ${JSON.stringify(name)})`);
  }
  const outcome: PublishOutcome = await registryFor(models, name).publish(artifact, release);
  if (!outcome.ok) throw new ContractError(outcome.error.code, outcome.error.message);
  return outcome.result;
}

/**
 * Changes a model's record on Workers (promote, rollback, canary) inside its `ModelRegistry`, ordered
 * with publishes there.
 * @throws ContractError as `applyChange` does (`unknown_model`, `unknown_version`, ...).
 */
export async function changeInRegistry(models: DurableObjectNamespace<ModelRegistry>, name: string, change: ModelChange): Promise<ModelRecord> {
  if (!MODEL_NAME.test(name)) throw new ContractError('unknown_model', `no model named ${JSON.stringify(name)} is published`);
  const outcome: ChangeOutcome = await registryFor(models, name).change(name, change);
  if (!outcome.ok) throw new ContractError(outcome.error.code, outcome.error.message);
  return outcome.record;
}

/** The admin API's `RegistryWriter` on Workers: every write runs in the model's Durable Object. */
export function workersRegistry(models: DurableObjectNamespace<ModelRegistry>): RegistryWriter {
  return { publish: (artifact, release) => publishToRegistry(models, artifact, release), change: (name, change) => changeInRegistry(models, name, change) };
}
