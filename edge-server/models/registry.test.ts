import { describe, expect, expectTypeOf, it } from 'vitest';
import { sha256Hex } from '../../core/artifact/bytes.ts';
import type { Manifest } from '../../core/artifact/manifest.ts';
import { ContractError } from '../../core/errors.ts';
import { createMemoryStorage } from './memory-storage.ts';
import { currentManifest, publishArtifact, type CurrentManifest } from './registry.ts';
import { signer, tinyArtifact } from '../../test/support/edge-server/fixtures.ts';
import { rejectedContractError } from '../../test/support/contract-error.ts';

const rejection = (promise: Promise<unknown>): Promise<ContractError> => rejectedContractError(promise);

describe('publishArtifact', () => {
  it('stores the files and manifest by content and makes the version current', async () => {
    const storage = createMemoryStorage();
    const { key, trusted } = await signer();
    const artifact = await tinyArtifact(key);
    const result = await publishArtifact(storage, artifact, { trusted });

    expect(result.created).toBe(true);
    expect(result.record).toMatchObject({ name: 'default', current: 'v1', versions: [{ version: 'v1', manifestSha256: result.manifestSha256 }] });
    for (const ref of [artifact.manifest.items, ...artifact.manifest.shards]) {
      expect(await storage.blobs.get(ref.sha256)).toEqual(artifact.files.get(ref.path));
    }
    const current = await currentManifest(storage, 'default');
    expectTypeOf(current).toEqualTypeOf<CurrentManifest | null>();
    expect(current?.manifest).toEqual(artifact.manifest);
    expect(current?.sha256).toBe(result.manifestSha256);
    expect(await sha256Hex(current!.bytes)).toBe(result.manifestSha256);
  });

  it('refuses an unsigned manifest', async () => {
    const storage = createMemoryStorage();
    const { trusted } = await signer();
    const err = await rejection(publishArtifact(storage, await tinyArtifact(undefined), { trusted }));
    expect(err.code).toBe('unsigned');
    expect(await storage.meta.getModel('default')).toBeNull();
  });

  it('refuses a manifest signed by a key that is not trusted', async () => {
    const storage = createMemoryStorage();
    const { key } = await signer();
    const { trusted: other } = await signer();
    const err = await rejection(publishArtifact(storage, await tinyArtifact(key), { trusted: other }));
    expect(err.code).toBe('untrusted_key');
    expect(await storage.meta.getModel('default')).toBeNull();
  });

  it('refuses a manifest changed after signing', async () => {
    const storage = createMemoryStorage();
    const { key, trusted } = await signer();
    const artifact = await tinyArtifact(key);
    const manifest: Manifest = { ...artifact.manifest, version: 'v9' };
    const err = await rejection(publishArtifact(storage, { ...artifact, manifest }, { trusted }));
    expect(err.code).toBe('bad_signature');
  });

  it('refuses a file whose bytes differ from the manifest, and stores nothing', async () => {
    const storage = createMemoryStorage();
    const { key, trusted } = await signer();
    const artifact = await tinyArtifact(key);
    const shard = artifact.manifest.shards[0]!;
    const tampered = new Uint8Array(artifact.files.get(shard.path)!);
    tampered[0]! ^= 0xff;
    const files = new Map(artifact.files).set(shard.path, tampered);
    const err = await rejection(publishArtifact(storage, { ...artifact, files }, { trusted }));
    expect(err.code).toBe('integrity');
    expect(err.message).toContain(shard.path);
    expect(await storage.meta.getModel('default')).toBeNull();
    expect(await storage.blobs.has(artifact.manifest.items.sha256)).toBe(false);
  });

  it('refuses a missing file and a file of the wrong size', async () => {
    const storage = createMemoryStorage();
    const { key, trusted } = await signer();
    const artifact = await tinyArtifact(key);
    const missing = new Map(artifact.files);
    missing.delete('items.json');
    expect((await rejection(publishArtifact(storage, { ...artifact, files: missing }, { trusted }))).code).toBe('integrity');
    const short = new Map(artifact.files).set('items.json', new Uint8Array(3));
    expect((await rejection(publishArtifact(storage, { ...artifact, files: short }, { trusted }))).message).toMatch(/3 bytes/);
  });

  it('refuses files the manifest does not name', async () => {
    const storage = createMemoryStorage();
    const { key, trusted } = await signer();
    const artifact = await tinyArtifact(key);
    const files = new Map(artifact.files).set('extra.bin', new Uint8Array(1));
    const err = await rejection(publishArtifact(storage, { ...artifact, files }, { trusted }));
    expect(err.code).toBe('bad_artifact');
    expect(err.message).toContain('"extra.bin"');
  });

  it('refuses a version that exists with a different manifest and keeps the record', async () => {
    const storage = createMemoryStorage();
    const { key, trusted } = await signer();
    await publishArtifact(storage, await tinyArtifact(key, 'v1', 1), { trusted });
    const before = await storage.meta.getModel('default');
    const err = await rejection(publishArtifact(storage, await tinyArtifact(key, 'v1', 2), { trusted }));
    expect(err.code).toBe('version_exists');
    expect(await storage.meta.getModel('default')).toEqual(before);
  });

  it('treats republishing the same manifest as idempotent and makes it current again (rollback)', async () => {
    const storage = createMemoryStorage();
    const { key, trusted } = await signer();
    const v1 = await tinyArtifact(key, 'v1', 1);
    const first = await publishArtifact(storage, v1, { trusted });
    await publishArtifact(storage, await tinyArtifact(key, 'v2', 2), { trusted });
    expect((await currentManifest(storage, 'default'))?.manifest.version).toBe('v2');

    const again = await publishArtifact(storage, v1, { trusted });
    expect(again.created).toBe(false);
    expect(again.manifestSha256).toBe(first.manifestSha256);
    expect(again.record.current).toBe('v1');
    expect(again.record.versions.map((v) => v.version)).toEqual(['v1', 'v2']);
    expect(again.record.versions[0]!.publishedAt).toBe(first.record.versions[0]!.publishedAt);
  });

  it('keeps every version when publishes of one model run concurrently', async () => {
    const storage = createMemoryStorage();
    const { key, trusted } = await signer();
    const artifacts = await Promise.all(['v1', 'v2', 'v3'].map((v, i) => tinyArtifact(key, v, i + 1)));
    await Promise.all(artifacts.map((a) => publishArtifact(storage, a, { trusted })));
    const record = await storage.meta.getModel('default');
    expect(record?.versions.map((v) => v.version).sort()).toEqual(['v1', 'v2', 'v3']);
  });
});

describe('currentManifest', () => {
  it('returns null for a model that was never published', async () => {
    expect(await currentManifest(createMemoryStorage(), 'default')).toBeNull();
  });

  it('reports a record whose manifest blob is gone as an internal error, not bad input', async () => {
    const storage = createMemoryStorage();
    await storage.meta.putModel({ name: 'default', current: 'v1', versions: [{ version: 'v1', manifestSha256: 'a'.repeat(64), publishedAt: '' }] });
    const err = await currentManifest(storage, 'default').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ContractError);
  });
});

describe('createMemoryStorage', () => {
  it('keeps what it stores apart from what callers later mutate', async () => {
    const storage = createMemoryStorage();
    const bytes = new Uint8Array([1, 2, 3]);
    const sha = await storage.blobs.put(bytes);
    bytes[0] = 9;
    (await storage.blobs.get(sha))![1] = 9;
    expect(await storage.blobs.get(sha)).toEqual(new Uint8Array([1, 2, 3]));

    await storage.meta.putModel({ name: 'm', current: 'a', versions: [] });
    (await storage.meta.getModel('m'))!.current = 'changed';
    expect((await storage.meta.getModel('m'))!.current).toBe('a');
  });
});
