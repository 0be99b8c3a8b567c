import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../core/artifact/bytes.ts';
import { ContractError } from '../../../core/errors.ts';
import { currentManifest, publishArtifact } from '../../models/registry.ts';
import { signer, tinyArtifact } from '../../../test/support/edge-server/fixtures.ts';
import { openDiskStorage } from './storage.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-storage-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

describe('openDiskStorage', () => {
  it('serves a published model after the storage is reopened', async () => {
    const { key, trusted } = await signer();
    const artifact = await tinyArtifact(key);
    const published = await publishArtifact(await openDiskStorage(dir), artifact, { trusted });

    const reopened = await openDiskStorage(dir);
    const current = await currentManifest(reopened, 'default');
    expect(current?.manifest).toEqual(artifact.manifest);
    expect(current?.sha256).toBe(published.manifestSha256);
    expect(await reopened.meta.getModel('default')).toEqual(published.record);
    for (const ref of artifact.manifest.shards) expect(await reopened.blobs.get(ref.sha256)).toEqual(artifact.files.get(ref.path));
  });

  it('lays blobs out by address and records as JSON, leaving no temp files behind', async () => {
    const { key, trusted } = await signer();
    const artifact = await tinyArtifact(key);
    const { manifestSha256 } = await publishArtifact(await openDiskStorage(dir), artifact, { trusted });

    const shas = [artifact.manifest.items.sha256, ...artifact.manifest.shards.map((s) => s.sha256), manifestSha256];
    const expected = [...shas.map((s) => join('blobs', s.slice(0, 2), s.slice(2))), join('models', 'default.json')].sort();
    expect(await filesUnder(dir)).toEqual(expected);
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    expect(JSON.parse(await readFile(join(dir, 'models', 'default.json'), 'utf8'))).toMatchObject({ name: 'default', current: 'v1' });
  });

  it('stores the same bytes once: a second put returns the same address and leaves the file alone', async () => {
    const storage = await openDiskStorage(dir);
    const bytes = new TextEncoder().encode('same bytes');
    const sha = await storage.blobs.put(bytes);
    expect(sha).toBe(await sha256Hex(bytes));
    const path = join(dir, 'blobs', sha.slice(0, 2), sha.slice(2));
    const before = await stat(path);
    expect(await storage.blobs.put(new Uint8Array(bytes))).toBe(sha);
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);
    expect(await filesUnder(join(dir, 'blobs'))).toHaveLength(1);
    expect(await storage.blobs.has(sha)).toBe(true);
  });

  it('keeps recently read blobs in memory within its budget, and none with a budget of 0', async () => {
    const bytes = new TextEncoder().encode('hot blob');
    const cached = await openDiskStorage(dir);
    const sha = await cached.blobs.put(bytes);
    expect(await cached.blobs.get(sha)).toEqual(bytes);
    const uncached = await openDiskStorage(dir, { blobCacheBytes: 0 });
    expect(await uncached.blobs.get(sha)).toEqual(bytes);
    // With the file gone, only the cache can still answer.
    await rm(join(dir, 'blobs', sha.slice(0, 2), sha.slice(2)));
    expect(await cached.blobs.get(sha)).toEqual(bytes);
    expect(await uncached.blobs.get(sha)).toBeNull();
    await expect(openDiskStorage(dir, { blobCacheBytes: -1 })).rejects.toThrow(/blobCacheBytes must be a non-negative integer/);
  });

  it('answers record reads after a write with the written record, even when a read raced the write', async () => {
    const storage = await openDiskStorage(dir);
    await storage.meta.putModel({ name: 'm', current: 'a', versions: [] });
    const [, during] = await Promise.all([storage.meta.putModel({ name: 'm', current: 'b', versions: [] }), storage.meta.getModel('m')]);
    expect(['a', 'b']).toContain(during?.current);
    expect((await storage.meta.getModel('m'))?.current).toBe('b');
    await expect((await openDiskStorage(dir)).meta.getModel('m')).resolves.toMatchObject({ current: 'b' });
  });

  it('replaces a record whole on every write', async () => {
    const storage = await openDiskStorage(dir);
    await storage.meta.putModel({ name: 'm', current: 'a', versions: [{ version: 'a', manifestSha256: '1'.repeat(64), publishedAt: 't' }] });
    await storage.meta.putModel({ name: 'm', current: 'b', versions: [] });
    expect(await storage.meta.getModel('m')).toEqual({ name: 'm', current: 'b', versions: [] });
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
  });

  it('answers unknown and malformed addresses and names with null, without touching the file system outside', async () => {
    await writeFile(join(dir, 'secret.json'), '{"name":"secret"}');
    const storage = await openDiskStorage(dir);
    expect(await storage.blobs.get('0'.repeat(64))).toBeNull();
    expect(await storage.blobs.has('0'.repeat(64))).toBe(false);
    expect(await storage.blobs.get('../../secret.json')).toBeNull();
    expect(await storage.meta.getModel('nope')).toBeNull();
    expect(await storage.meta.getModel('../secret')).toBeNull();
  });

  it('refuses to write a record whose name could not be a file name', async () => {
    const storage = await openDiskStorage(dir);
    const err = await storage.meta.putModel({ name: '../escape', current: 'a', versions: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect((err as ContractError).code).toBe('bad_name');
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('removes temp files a crash left behind, but not ones another writer may still be writing', async () => {
    await openDiskStorage(dir);
    const stale = join(dir, 'tmp', 'stale');
    const fresh = join(dir, 'tmp', 'fresh');
    await writeFile(stale, 'torn');
    await writeFile(fresh, 'in flight');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, twoHoursAgo, twoHoursAgo);
    await openDiskStorage(dir);
    expect(await readdir(join(dir, 'tmp'))).toEqual(['fresh']);
  });
});
