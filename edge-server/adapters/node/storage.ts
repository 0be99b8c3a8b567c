/**
 * `Storage` on the local file system:
 *
 *   dir/blobs/ab/cdef...   blob whose SHA-256 is `abcdef...` (256 fan-out directories keep listings short)
 *   dir/models/<name>.json the model's record
 *   dir/tmp/               files being written
 *
 * Every file is written to `tmp/`, fsynced, then renamed into place, and the directory fsynced: a
 * rename within one file system is atomic, so after a crash a path holds either the old or the new
 * complete file, never a torn one. Assumes one server process writes a directory at a time.
 */
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex, type Bytes } from '../../../core/artifact/bytes.ts';
import { MODEL_NAME } from '../../../core/artifact/manifest.ts';
import { ContractError, isRecord } from '../../../core/errors.ts';
import { optionError } from '../../../core/options.ts';
import type { ModelRecord, Storage } from '../../models/storage.ts';
import { writeFileAtomic } from './durable-file.ts';

const SHA256 = /^[0-9a-f]{64}$/;
/** Temp files older than this at startup were left by a crash; younger ones may be another writer's. */
const STALE_TMP_MS = 60 * 60 * 1000;

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}


/** Where a storage directory keeps its blobs: `blobsRoot(dir)/<first 2 hex digits>/<other 62>`. */
export const blobsRoot = (dir: string): string => join(dir, 'blobs');

export interface DiskStorageOptions {
  /**
   * Bytes of blobs kept in memory (least recently used first out). Default 64 MiB: blobs never change,
   * so serving a hot shard or manifest from memory saves a file read per request; a model's blobs are a
   * few MB. 0 turns the cache off. `blobs.get` then returns shared bytes: callers must not modify them
   * (none in this codebase does).
   * @example { blobCacheBytes: 256 * 1024 * 1024 }
   */
  blobCacheBytes?: number;
}

/**
 * Opens (creating if needed) a storage directory and removes temp files that a crash left behind.
 * Records that exist are also kept in memory once read (written through on every put), which is sound
 * because one process writes a directory at a time (see above); a name without a record is looked up
 * on disk each time, so made-up names cost no memory.
 * @example const storage = await openDiskStorage('.edge-recs/data');
 */
export async function openDiskStorage(dir: string, options: DiskStorageOptions = {}): Promise<Storage> {
  const cacheBudget = options.blobCacheBytes ?? 64 * 1024 * 1024;
  if (!Number.isInteger(cacheBudget) || cacheBudget < 0) optionError('openDiskStorage')(`blobCacheBytes must be a non-negative integer (got ${String(cacheBudget)})`);
  /** Insertion order is recency order: a hit is moved to the end, eviction takes from the front. */
  const blobCache = new Map<string, Bytes>();
  let cachedBytes = 0;
  const remember = (sha256: string, bytes: Bytes): void => {
    // One blob may not take more than a quarter of the cache, so one large shard cannot flush it.
    if (bytes.byteLength > cacheBudget / 4 || blobCache.has(sha256)) return;
    blobCache.set(sha256, bytes);
    cachedBytes += bytes.byteLength;
    for (const [key, value] of blobCache) {
      if (cachedBytes <= cacheBudget) break;
      blobCache.delete(key);
      cachedBytes -= value.byteLength;
    }
  };
  /** Published models' records: as many as an admin published, never a name a client made up. */
  const records = new Map<string, string>();
  /** Bumped by every put, so a read that raced a put never caches the text it replaced. */
  let recordWrites = 0;
  const blobsDir = blobsRoot(dir);
  const modelsDir = join(dir, 'models');
  const tmpDir = join(dir, 'tmp');
  await Promise.all([blobsDir, modelsDir, tmpDir].map((d) => mkdir(d, { recursive: true })));
  const now = Date.now();
  for (const name of await readdir(tmpDir)) {
    const path = join(tmpDir, name);
    const info = await stat(path).catch(() => null);
    if (info && now - info.mtimeMs > STALE_TMP_MS) await rm(path, { force: true, recursive: true });
  }

  const writeAtomic = (path: string, bytes: Uint8Array): Promise<void> => writeFileAtomic(path, bytes, tmpDir);

  const blobPath = (sha256: string): string => join(blobsDir, sha256.slice(0, 2), sha256.slice(2));

  return {
    blobs: {
      async put(bytes) {
        const sha256 = await sha256Hex(bytes as Bytes);
        const path = blobPath(sha256);
        // Content-addressed: a blob already at its address holds these very bytes.
        if (await exists(path)) return sha256;
        await mkdir(join(path, '..'), { recursive: true });
        await writeAtomic(path, bytes);
        return sha256;
      },
      async get(sha256) {
        if (!SHA256.test(sha256)) return null;
        const hit = blobCache.get(sha256);
        if (hit) {
          blobCache.delete(sha256);
          blobCache.set(sha256, hit);
          return hit;
        }
        try {
          const buffer = await readFile(blobPath(sha256));
          const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) as Bytes;
          remember(sha256, bytes);
          return bytes;
        } catch (err) {
          if (isNotFound(err)) return null;
          throw err;
        }
      },
      async has(sha256) {
        if (!SHA256.test(sha256)) return false;
        return exists(blobPath(sha256));
      },
    },
    meta: {
      async getModel(name) {
        // No file can exist for a name outside the rule; don't let one reach the file system.
        if (!MODEL_NAME.test(name)) return null;
        let text: string | null | undefined = records.get(name);
        if (text === undefined) {
          const writesBefore = recordWrites;
          try {
            text = await readFile(join(modelsDir, `${name}.json`), 'utf8');
          } catch (err) {
            if (!isNotFound(err)) throw err;
            text = null;
          }
          // Misses are not remembered: any client can ask for any name, and a cache of names that do
          // not exist would grow with every one it made up (issue 14). Reading a missing file is cheap.
          if (text !== null && recordWrites === writesBefore) records.set(name, text);
        }
        if (text === null) return null;
        const record: unknown = JSON.parse(text);
        if (!isRecord(record) || record.name !== name || typeof record.current !== 'string' || !Array.isArray(record.versions)) {
          throw new Error(`${join(modelsDir, `${name}.json`)} is not a model record`);
        }
        return record as unknown as ModelRecord;
      },
      async putModel(record) {
        if (!MODEL_NAME.test(record.name)) {
          throw new ContractError('bad_name', `model name must match ${MODEL_NAME} (got ${JSON.stringify(record.name)})`);
        }
        const text = `${JSON.stringify(record, null, 2)}\n`;
        records.delete(record.name);
        recordWrites++;
        await writeAtomic(join(modelsDir, `${record.name}.json`), new TextEncoder().encode(text));
        records.set(record.name, text);
      },
    },
  };
}
