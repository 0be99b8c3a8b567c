import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { ContractError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { initWeights, type NamedWeights } from '../model/weights.ts';
import { buildArtifact, loadArtifact, SHARD_BYTES, type Artifact, type FetchFile, type LoadedArtifact } from './artifact.ts';
import { concatBytes, fromBase64, sha256Hex } from './bytes.ts';
import type { FileRef, Manifest } from './manifest.ts';
import { generateKeyFile, keyIdOf, signManifest, verifyManifest, type KeyFile, type TrustedKey } from './signing.ts';
import type { Quantization } from './weights-codec.ts';
import { rejectedContractError } from '../../test/support/contract-error.ts';

const small: ModelConfig = { numItems: 6, dim: 4, blocks: 1, heads: 2, maxLen: 3 };
// float32 item table of (20000 + 1) * 64 * 4 bytes = 5.1 MB: more than one SHARD_BYTES shard.
const large: ModelConfig = { numItems: 20_000, dim: 64, blocks: 0, heads: 1, maxLen: 2 };

let key: Required<KeyFile>;
let trusted: TrustedKey[];

beforeAll(async () => {
  key = await generateKeyFile();
  trusted = [{ keyId: key.keyId, publicKey: key.publicKey }];
});

function ids(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `sku-${i + 1}`);
}

async function build(config: ModelConfig, quantization: Quantization, signWith?: KeyFile): Promise<{ artifact: Artifact; weights: NamedWeights }> {
  const weights = initWeights(config, 11);
  const artifact = await buildArtifact(
    { name: 'default', version: 'v1', config, itemIds: ids(config.numItems), weights, quantization, training: { seed: 11 } },
    signWith,
  );
  return { artifact, weights };
}

/** Serves the artifact's files, after `tamper` had a chance to replace some. */
function server(artifact: Artifact, tamper: (files: Map<string, Uint8Array>) => void = () => {}): FetchFile & { fetched: string[] } {
  const files = new Map<string, Uint8Array>([...artifact.files].map(([p, b]) => [p, b.slice()]));
  tamper(files);
  const fetched: string[] = [];
  const fetch = async (ref: FileRef): Promise<Uint8Array> => {
    fetched.push(ref.path);
    const bytes = files.get(ref.path);
    if (!bytes) throw new Error(`no file ${ref.path}`);
    return bytes;
  };
  return Object.assign(fetch, { fetched });
}

const rejection = (promise: Promise<unknown>): Promise<ContractError> => rejectedContractError(promise);

const json = (m: Manifest): Record<string, any> => JSON.parse(JSON.stringify(m)) as Record<string, any>;

describe('signManifest and verifyManifest', () => {
  it('sign with a generated key and verify against its public half', async () => {
    const { artifact } = await build(small, 'float32');
    const signedManifest = await signManifest(artifact.manifest, key);

    expect(signedManifest.signature).toMatchObject({ alg: 'Ed25519', keyId: key.keyId });
    expect(fromBase64(signedManifest.signature!.value).byteLength).toBe(64);
    await expect(verifyManifest(signedManifest, trusted)).resolves.toEqual(trusted[0]);
    // The signature survives a trip through JSON with the keys in another order.
    const reordered = Object.fromEntries(Object.entries(json(signedManifest)).reverse());
    await expect(verifyManifest(reordered as Manifest, trusted)).resolves.toEqual(trusted[0]);
  });

  it('names a key by the first 16 hex digits of the SHA-256 of its raw public key', async () => {
    const raw = fromBase64(key.publicKey);
    expect(raw.byteLength).toBe(32);
    expect(await keyIdOf(raw)).toBe((await sha256Hex(raw)).slice(0, 16));
    expect(key.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(key.keyId).toBe(await keyIdOf(raw));
  });

  it('refuses to sign with a key that has no private part', async () => {
    const { artifact } = await build(small, 'float32');
    const err = await rejection(signManifest(artifact.manifest, { alg: 'Ed25519', keyId: key.keyId, publicKey: key.publicKey }));
    expect(err.code).toBe('bad_key');
  });

  it('refuses a signature made by another key that claims a trusted key id', async () => {
    const other = await generateKeyFile();
    const { artifact } = await build(small, 'float32');
    const forged = await signManifest(artifact.manifest, { ...other, keyId: key.keyId });
    expect((await rejection(verifyManifest(forged, trusted))).code).toBe('bad_signature');
  });
});

describe('loadArtifact with trusted keys', () => {
  let signedSmall: Artifact;
  beforeAll(async () => {
    signedSmall = (await build(small, 'float32', key)).artifact;
  });

  it('refuses an unsigned manifest without fetching any file', async () => {
    const { artifact } = await build(small, 'float32');
    const fetch = server(artifact);
    const err = await rejection(loadArtifact(json(artifact.manifest), fetch, { trusted }));
    expect(err.code).toBe('unsigned');
    expect(fetch.fetched).toEqual([]);
  });

  it('refuses a manifest signed by a key that is not trusted', async () => {
    const other = await generateKeyFile();
    const fetch = server(signedSmall);
    const err = await rejection(loadArtifact(json(signedSmall.manifest), fetch, { trusted: [{ keyId: other.keyId, publicKey: other.publicKey }] }));
    expect(err.code).toBe('untrusted_key');
    expect(err.message).toContain(key.keyId);
    expect(fetch.fetched).toEqual([]);
  });

  it('accepts a manifest signed by any one of several trusted keys', async () => {
    const other = await generateKeyFile();
    const loaded = await loadArtifact(json(signedSmall.manifest), server(signedSmall), {
      trusted: [{ keyId: other.keyId, publicKey: other.publicKey }, ...trusted],
    });
    expect(loaded.itemIds).toEqual(ids(small.numItems));
  });

  // Every change keeps the manifest valid, so only the signature can catch it.
  const changes: Array<[string, (m: Record<string, any>) => void]> = [
    ['name', (m) => (m.name = 'other')],
    ['version', (m) => (m.version = 'v2')],
    ['createdAt', (m) => (m.createdAt = '2030-01-01T00:00:00.000Z')],
    ['config.dim', (m) => (m.config.dim = 8)],
    ['quantization', (m) => (m.quantization = 'float16')],
    ['items.sha256', (m) => (m.items.sha256 = '0'.repeat(64))],
    ['items.path', (m) => (m.items.path = 'items2.json')],
    ['shards[0].sha256', (m) => (m.shards[0].sha256 = 'f'.repeat(64))],
    ['shards[0].bytes', (m) => (m.shards[0].bytes += 4)],
    ['weightsManifest[0].weights[0].shape', (m) => (m.weightsManifest[0].weights[0].shape = [6, 4])],
    ['weightsManifest[0].weights order', (m) => m.weightsManifest[0].weights.reverse()],
    ['training', (m) => (m.training.seed = 12)],
    ['training removed', (m) => delete m.training],
    ['training added field', (m) => (m.training.extra = true)],
  ];
  it.each(changes)('refuses a signed manifest whose %s changed, without fetching any file', async (_field, change) => {
    const raw = json(signedSmall.manifest);
    change(raw);
    const fetch = server(signedSmall);
    const err = await rejection(loadArtifact(raw, fetch, { trusted }));
    expect(err.code).toBe('bad_signature');
    expect(fetch.fetched).toEqual([]);
  });

  it('refuses a signature value that is not valid base64 as a bad signature', async () => {
    const raw = json(signedSmall.manifest);
    raw.signature.value = '***';
    expect((await rejection(loadArtifact(raw, server(signedSmall), { trusted }))).code).toBe('bad_signature');
  });

  it('loads a signed float32 artifact with the original weights and item ids', async () => {
    const { artifact, weights } = await build(small, 'float32', key);
    const loaded = await loadArtifact(json(artifact.manifest), server(artifact), { trusted });

    expectTypeOf(loaded).toEqualTypeOf<LoadedArtifact>();
    expect(loaded.manifest).toEqual(artifact.manifest);
    expect(loaded.itemIds).toEqual(ids(small.numItems));
    expect([...loaded.weights.keys()]).toEqual([...weights.keys()]);
    for (const [name, w] of weights) expect(loaded.weights.get(name), name).toEqual(w);
  });

  it.each(['float16', 'uint8'] as const)('loads a signed %s artifact with weights within quantization error', async (q) => {
    const { artifact, weights } = await build(small, q, key);
    const loaded = await loadArtifact(json(artifact.manifest), server(artifact), { trusted });

    for (const [name, w] of weights) {
      const got = loaded.weights.get(name)!;
      expect(got.shape, name).toEqual(w.shape);
      const cols = w.shape[w.shape.length - 1]!;
      w.values.forEach((v, i) => {
        let bound = Math.abs(v) * 2 ** -11 + 2 ** -25; // half an ulp of float16
        if (q === 'uint8' && name === 'item_emb') {
          const row = w.values.subarray(i - (i % cols), i - (i % cols) + cols);
          bound = (Math.max(...row) - Math.min(...row)) / 510 + 1e-7; // half a step of the row's scale
        }
        expect(Math.abs(got.values[i]! - v), `${name}[${i}]`).toBeLessThanOrEqual(bound);
      });
    }
    // Quantized, not copied: the item table differs from the original somewhere.
    expect(loaded.weights.get('item_emb')!.values).not.toEqual(weights.get('item_emb')!.values);
  });

  it('loads an unsigned artifact when unsigned models are allowed', async () => {
    const { artifact, weights } = await build(small, 'float32');
    const loaded = await loadArtifact(json(artifact.manifest), server(artifact), { unsigned: 'allow' });
    expect(loaded.weights.get('item_emb')).toEqual(weights.get('item_emb'));
  });

  it('refuses a tampered items.json naming the file', async () => {
    const swapped = ids(small.numItems);
    [swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!];
    const fetch = server(signedSmall, (files) => files.set('items.json', new TextEncoder().encode(JSON.stringify(swapped))));
    const err = await rejection(loadArtifact(json(signedSmall.manifest), fetch, { trusted }));
    expect(err.code).toBe('integrity');
    expect(err.message).toContain('items.json');
  });
});

describe('loadArtifact on a signed artifact of two shards', () => {
  let artifact: Artifact;
  let weights: NamedWeights;
  beforeAll(async () => {
    ({ artifact, weights } = await build(large, 'float32', key));
  });

  it('splits the weights into SHARD_BYTES shards named in order', () => {
    const total = (large.numItems + 1) * large.dim * 4 + large.maxLen * large.dim * 4 + 2 * large.dim * 4;
    expect(artifact.manifest.shards.map((s) => [s.path, s.bytes])).toEqual([
      ['group1-shard1of2.bin', SHARD_BYTES],
      ['group1-shard2of2.bin', total - SHARD_BYTES],
    ]);
    expect(artifact.manifest.weightsManifest[0]!.paths).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin']);
  });

  it('loads the original weights', async () => {
    const loaded = await loadArtifact(json(artifact.manifest), server(artifact), { trusted });
    for (const [name, w] of weights) {
      const got = loaded.weights.get(name)!;
      expect(got.shape, name).toEqual(w.shape);
      // Byte comparison: toEqual on 1.3 M floats takes seconds.
      expect(Buffer.from(got.values.buffer, got.values.byteOffset, got.values.byteLength).equals(Buffer.from(w.values.buffer)), name).toBe(true);
    }
  });

  const tampering: Array<[string, (files: Map<string, Uint8Array>) => void, string]> = [
    ['a bit-flipped shard', (f) => (f.get('group1-shard2of2.bin')![100]! ^= 0x01), 'group1-shard2of2.bin'],
    ['a truncated shard', (f) => f.set('group1-shard1of2.bin', f.get('group1-shard1of2.bin')!.slice(0, -4)), 'group1-shard1of2.bin'],
    ['an extended shard', (f) => f.set('group1-shard2of2.bin', concatBytes([f.get('group1-shard2of2.bin')!, new Uint8Array(4)])), 'group1-shard2of2.bin'],
    [
      'swapped shards',
      (f) => {
        const a = f.get('group1-shard1of2.bin')!;
        f.set('group1-shard1of2.bin', f.get('group1-shard2of2.bin')!);
        f.set('group1-shard2of2.bin', a);
      },
      'group1-shard',
    ],
  ];
  it.each(tampering)('refuses %s with an integrity error naming the shard', async (_what, tamper, named) => {
    const err = await rejection(loadArtifact(json(artifact.manifest), server(artifact, tamper), { trusted }));
    expect(err.code).toBe('integrity');
    expect(err.message).toContain(named);
  });

  it('refuses two shards of equal size swapped, which only their hashes tell apart', async () => {
    // Same-size swap: a size check alone would pass it.
    const first = artifact.files.get('group1-shard1of2.bin')!;
    const half = first.byteLength / 2;
    const fetch = server(artifact, (f) => f.set('group1-shard1of2.bin', concatBytes([first.subarray(half), first.subarray(0, half)])));
    const err = await rejection(loadArtifact(json(artifact.manifest), fetch, { trusted }));
    expect(err.code).toBe('integrity');
    expect(err.message).toContain('group1-shard1of2.bin: SHA-256');
  });
});
