/**
 * The storage the edge server depends on, in Web-standard types only, so one app runs on any runtime:
 * `adapters/node` keeps it on disk, `memory-storage.ts` in memory (in-process, the reference every
 * adapter matches), and `adapters/workers` in R2 (blobs) and each model's Durable Object (meta).
 */
import type { Bytes } from '../../core/artifact/bytes.ts';

/**
 * Immutable bytes addressed by their SHA-256. Content addressing makes every blob cacheable forever
 * and makes `put` idempotent: storing the same bytes twice is a no-op that returns the same address.
 */
export interface BlobStore {
  /** Stores `bytes` (if not already stored) and returns their lowercase hex SHA-256. */
  put(bytes: Uint8Array): Promise<string>;
  /** The bytes whose SHA-256 is `sha256`, or `null` when no such blob is stored. */
  get(sha256: string): Promise<Bytes | null>;
  has(sha256: string): Promise<boolean>;
}

/** One published version of a model. */
export interface ModelVersion {
  version: string;
  /** Address of the version's `manifest.json` in the blob store. */
  manifestSha256: string;
  /** ISO-8601 time the version was first published. */
  publishedAt: string;
}

/** Everything the server knows about one model name: its versions and which one is served. */
export interface ModelRecord {
  name: string;
  /** The version served at `/v1/models/:name/manifest`; always one of `versions`. */
  current: string;
  /** In publication order, oldest first. */
  versions: ModelVersion[];
  /**
   * A second version served to `percent` of manifest requests (`edge-server/models/registry-ops.ts`);
   * absent when no canary runs. Always one of `versions` and never `current`.
   */
  canary?: { version: string; percent: number };
}

/** Small mutable records. Writes replace the whole record, so adapters can make them atomic. */
export interface MetaStore {
  getModel(name: string): Promise<ModelRecord | null>;
  putModel(record: ModelRecord): Promise<void>;
}

export interface Storage {
  blobs: BlobStore;
  meta: MetaStore;
}
