/**
 * `Storage` on Cloudflare bindings:
 *
 *   R2 `BLOBS`     blobs/<sha256>   content-addressed, immutable bytes (shards, item maps, manifests)
 *   DO `MODELS`    model:<name>     the model's record, in the storage of that model's `ModelRegistry`
 *
 * Blobs may be written from anywhere: a key is the hash of its bytes, so two writers of one key write
 * the same bytes. A record is read-modify-written, so it has exactly one writer: the model's Durable
 * Object, of which Cloudflare runs one instance in the world. The Worker reads records through it and
 * publishes by asking it to (`publishToRegistry`, `registry-client.ts`), never by writing a record itself.
 */
import type { DurableObjectStorage, R2Bucket } from '@cloudflare/workers-types/latest/index.ts';
import { sha256Hex, type Bytes } from '../../../core/artifact/bytes.ts';
import { MODEL_NAME, type Manifest } from '../../../core/artifact/manifest.ts';
import { ContractError } from '../../../core/errors.ts';
import type { PublishResult } from '../../models/registry.ts';
import type { BlobStore, MetaStore, ModelRecord } from '../../models/storage.ts';

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
