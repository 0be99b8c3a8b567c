/**
 * Where the shop's catalog is kept: one normalized JSON document (`Catalog` of `core/catalog.ts`),
 * replaced whole on each upload. Memory here; on disk in `adapters/node/catalog-store.ts`; in R2 in
 * `adapters/workers/catalog-store.ts`.
 */
import { sha256Hex, utf8, type Bytes } from '../../core/artifact/bytes.ts';

export interface StoredCatalog {
  /** The catalog as served: UTF-8 JSON. */
  json: Bytes;
  /** SHA-256 of `json`, hex: its ETag. */
  sha256: string;
}

export interface CatalogStore {
  /** The stored catalog, or null before the first upload. */
  get(): Promise<StoredCatalog | null>;
  /** Replaces the catalog atomically: readers see the old or the new document, never a mix. */
  put(json: Bytes): Promise<StoredCatalog>;
}

/** Catalog held in process memory (tests, and the default of `createApp`). */
export function createMemoryCatalog(): CatalogStore {
  let stored: StoredCatalog | null = null;
  return {
    async get() {
      return stored && { json: new Uint8Array(stored.json), sha256: stored.sha256 };
    },
    async put(json) {
      const copy: Bytes = new Uint8Array(json);
      stored = { json: copy, sha256: await sha256Hex(copy) };
      return { json: new Uint8Array(copy), sha256: stored.sha256 };
    },
  };
}

/** Encodes a catalog the way every store keeps it. */
export const catalogJson = (catalog: unknown): Bytes => utf8.encode(JSON.stringify(catalog));
