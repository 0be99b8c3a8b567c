/**
 * `CatalogStore` on the local file system: `dir/catalog.json`, replaced by writing a temp file,
 * fsyncing it and renaming it over the old one (atomic), so a reader or a crash sees the old or the new
 * catalog whole. Kept in memory after the first read; assumes one server process per directory.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex, type Bytes } from '../../../core/artifact/bytes.ts';
import type { CatalogStore, StoredCatalog } from '../../catalog/store.ts';
import { writeFileAtomic } from './durable-file.ts';

/**
 * Opens (creating if needed) a catalog directory.
 * @example const catalog = await openDiskCatalog('.edge-recs/catalog');
 */
export async function openDiskCatalog(dir: string): Promise<CatalogStore> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'catalog.json');
  let cached: StoredCatalog | null | undefined;

  return {
    async get() {
      if (cached === undefined) {
        try {
          const buffer = await readFile(path);
          const json = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) as Bytes;
          cached = { json, sha256: await sha256Hex(json) };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          cached = null;
        }
      }
      return cached;
    },
    async put(json) {
      await writeFileAtomic(path, json);
      const copy: Bytes = new Uint8Array(json);
      cached = { json: copy, sha256: await sha256Hex(copy) };
      return cached;
    },
  };
}
