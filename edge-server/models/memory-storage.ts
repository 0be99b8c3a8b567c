import { sha256Hex, type Bytes } from '../../core/artifact/bytes.ts';
import type { ModelRecord, Storage } from './storage.ts';

/**
 * Storage held in process memory: for tests, and the reference behaviour every adapter must match.
 * Nothing survives a restart.
 *
 * Every value is copied on the way in and out, as a real store would serialize it, so a caller that
 * mutates what it passed or got back cannot change what is stored.
 */
export function createMemoryStorage(): Storage {
  const blobs = new Map<string, Bytes>();
  const models = new Map<string, ModelRecord>();
  return {
    blobs: {
      async put(bytes) {
        const copy: Bytes = new Uint8Array(bytes);
        const sha256 = await sha256Hex(copy);
        if (!blobs.has(sha256)) blobs.set(sha256, copy);
        return sha256;
      },
      async get(sha256) {
        const bytes = blobs.get(sha256);
        return bytes ? new Uint8Array(bytes) : null;
      },
      async has(sha256) {
        return blobs.has(sha256);
      },
    },
    meta: {
      async getModel(name) {
        const record = models.get(name);
        return record ? structuredClone(record) : null;
      },
      async putModel(record) {
        models.set(record.name, structuredClone(record));
      },
    },
  };
}
