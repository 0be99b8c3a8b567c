/**
 * Every way an artifact can be damaged or tampered with between `edge-recs export` and a shopper's
 * browser, each applied to a real signed two-shard artifact. `integrity.test.ts` feeds them to the CLI,
 * `integrity.e2e.test.ts` to the widget in Chromium: both must refuse every one, naming what is wrong.
 */
import { buildArtifact, type Artifact } from '../../core/artifact/artifact.ts';
import { sha256Hex, type Bytes } from '../../core/artifact/bytes.ts';
import { parseManifest, type FileRef, type Manifest } from '../../core/artifact/manifest.ts';
import { generateKeyFile, signManifest, type KeyFile, type TrustedKey } from '../../core/artifact/signing.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { initWeights } from '../../core/model/weights.ts';

export const ITEM_IDS = ['sku-a', 'sku-b', 'sku-c', 'sku-d', 'sku-e', 'sku-f'];

export interface SignedArtifact {
  artifact: Artifact;
  key: Required<KeyFile>;
  trusted: TrustedKey[];
}

/** A signed uint8 artifact whose weights span two shards, as a model over 4 MiB does. */
export async function signedTwoShardArtifact(): Promise<SignedArtifact> {
  const key = await generateKeyFile();
  const config: ModelConfig = { numItems: ITEM_IDS.length, dim: 4, blocks: 1, heads: 1, maxLen: 3 };
  const built = await buildArtifact({ name: 'default', version: 'v1', config, itemIds: ITEM_IDS, weights: initWeights(config, 3), quantization: 'uint8', createdAt: '2026-01-01T00:00:00.000Z' });
  const data = built.files.get('group1-shard1of1.bin')!;
  const half = Math.ceil(data.byteLength / 2);
  const files = new Map(built.files);
  files.delete('group1-shard1of1.bin');
  const shards: FileRef[] = [];
  for (const [i, bytes] of [data.slice(0, half), data.slice(half)].entries()) {
    const path = `group1-shard${i + 1}of2.bin`;
    files.set(path, bytes);
    shards.push({ path, sha256: await sha256Hex(bytes), bytes: bytes.byteLength });
  }
  const manifest = await signManifest(parseManifest({ ...built.manifest, weightsManifest: [{ ...built.manifest.weightsManifest[0]!, paths: shards.map((s) => s.path) }], shards }), key);
  return { artifact: { manifest, files }, key, trusted: [{ keyId: key.keyId, publicKey: key.publicKey }] };
}

/** A damaged artifact: its manifest (any JSON) and files by path. */
export interface Damaged {
  manifest: unknown;
  files: Map<string, Bytes>;
}

export interface Mutation {
  name: string;
  apply(a: SignedArtifact): Promise<Damaged>;
  /** What the refusal must say (the CLI's message; the widget's `edgeRecs.state.error`). */
  error: RegExp;
}

const SHARD1 = 'group1-shard1of2.bin';
const SHARD2 = 'group1-shard2of2.bin';

function withFile(a: SignedArtifact, path: string, change: (b: Bytes) => Bytes): Damaged {
  const files = new Map(a.artifact.files);
  files.set(path, change(new Uint8Array(files.get(path)!)));
  return { manifest: structuredClone(a.artifact.manifest), files };
}

/** Re-signs a changed manifest with the artifact's own (trusted) key: only the content checks can stop it. */
async function resigned(a: SignedArtifact, change: (m: Manifest) => void): Promise<Damaged> {
  const { signature: _old, ...body } = structuredClone(a.artifact.manifest);
  change(body as Manifest);
  return { manifest: await signManifest(body as Manifest, a.key), files: new Map(a.artifact.files) };
}

function renamePath(m: Manifest, to: string): void {
  m.shards[0]!.path = to;
  m.weightsManifest[0]!.paths[0] = to;
}

export const MUTATIONS: Mutation[] = [
  { name: 'a bit flipped in a weight shard', apply: async (a) => withFile(a, SHARD1, (b) => ((b[3] = b[3]! ^ 0x10), b)), error: /group1-shard1of2\.bin: SHA-256 does not match/ },
  { name: 'a bit flipped in the item map', apply: async (a) => withFile(a, 'items.json', (b) => ((b[2] = b[2]! ^ 0x01), b)), error: /items\.json: SHA-256 does not match/ },
  { name: 'a truncated shard', apply: async (a) => withFile(a, SHARD2, (b) => b.slice(0, b.length - 7)), error: /group1-shard2of2\.bin: \d+ bytes, the manifest says \d+/ },
  { name: 'an extended shard', apply: async (a) => withFile(a, SHARD1, (b) => Uint8Array.from([...b, 0, 0, 0, 0])), error: /group1-shard1of2\.bin: \d+ bytes, the manifest says \d+/ },
  {
    name: 'the two shards swapped',
    apply: async (a) => {
      const files = new Map(a.artifact.files);
      files.set(SHARD1, a.artifact.files.get(SHARD2)!);
      files.set(SHARD2, a.artifact.files.get(SHARD1)!);
      return { manifest: structuredClone(a.artifact.manifest), files };
    },
    error: /group1-shard[12]of2\.bin: (SHA-256 does not match|\d+ bytes, the manifest says)/,
  },
  {
    name: 'a manifest field changed after signing',
    apply: async (a) => ({ manifest: { ...structuredClone(a.artifact.manifest), version: 'v2' }, files: new Map(a.artifact.files) }),
    error: /signature does not match its content/,
  },
  {
    name: 'a wrong signature value',
    apply: async (a) => {
      const m = structuredClone(a.artifact.manifest);
      m.signature!.value = btoa(String.fromCharCode(...new Uint8Array(64).fill(7)));
      return { manifest: m, files: new Map(a.artifact.files) };
    },
    error: /signature does not match its content/,
  },
  {
    name: 'no signature',
    apply: async (a) => {
      const { signature: _s, ...m } = structuredClone(a.artifact.manifest);
      return { manifest: m, files: new Map(a.artifact.files) };
    },
    error: /is not signed/,
  },
  {
    name: 'signed by an untrusted key',
    apply: async (a) => {
      const { signature: _s, ...m } = structuredClone(a.artifact.manifest);
      return { manifest: await signManifest(m as Manifest, await generateKeyFile()), files: new Map(a.artifact.files) };
    },
    error: /signed by unknown key [0-9a-f]{16}/,
  },
  { name: 'a shard named "../escape.bin" (re-signed by the trusted key)', apply: (a) => resigned(a, (m) => renamePath(m, '../escape.bin')), error: /paths\[0\] must be a plain file name \(got "/ },
  { name: 'a shard named "/etc/passwd" (re-signed)', apply: (a) => resigned(a, (m) => renamePath(m, '/etc/passwd')), error: /paths\[0\] must be a plain file name \(got "/ },
  { name: 'a shard named "sub/dir.bin" (re-signed)', apply: (a) => resigned(a, (m) => renamePath(m, 'sub/dir.bin')), error: /paths\[0\] must be a plain file name \(got "/ },
  { name: 'the item map named ".." (re-signed)', apply: (a) => resigned(a, (m) => void (m.items.path = '..')), error: /items\.path must be a plain file name/ },
];
