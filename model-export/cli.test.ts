/**
 * The `edge-recs` command run for real, as a child process through its bin script, on a tiny generated
 * dataset in a temp directory. Processes run two at a time where they are independent (a 2-core machine).
 */
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../core/artifact/manifest.ts';
import type { KeyFile } from '../core/artifact/signing.ts';
import { QUANTIZATIONS } from '../core/artifact/weights-codec.ts';
import { type ProcessRun, runEdgeRecs } from '../test/support/cli.ts';


const edgeRecs = (...args: string[]): Promise<ProcessRun> => runEdgeRecs(args, { timeoutMs: 60_000 });

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

const readJson = async <T,>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;

/** 60 users walking a ring of 20 items, i -> i+1 (wrapping), from different starts and with different lengths. */
function ringData(): string {
  const lines: string[] = [];
  for (let u = 0; u < 60; u++) {
    const items = Array.from({ length: 6 + (u % 5) }, (_, j) => String(((u + j) % 20) + 1));
    lines.push(`user${u} ${items.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

const TRAIN = ['--epochs', '3', '--dim', '8', '--blocks', '1', '--max-len', '5', '--json'];

let dir: string;
let data: string;
let keyPath: string;
let trained: { a: ProcessRun; b: ProcessRun; c: ProcessRun };
let exported: ProcessRun;
let keygenOut: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-cli-'));
  data = join(dir, 'ring.txt');
  keyPath = join(dir, 'key.json');
  await writeFile(data, ringData());
  const [keygen, a] = await Promise.all([
    edgeRecs('keygen', '--out', keyPath),
    edgeRecs('train', '--data', data, '--out', join(dir, 'model-a'), ...TRAIN, '--seed', '7'),
  ]);
  expect(keygen.code, keygen.stderr).toBe(0);
  keygenOut = keygen.stdout;
  const [b, c] = await Promise.all([
    edgeRecs('train', '--data', data, '--out', join(dir, 'model-b'), ...TRAIN, '--seed', '7'),
    edgeRecs('train', '--data', data, '--out', join(dir, 'model-c'), ...TRAIN, '--seed', '8'),
  ]);
  trained = { a, b, c };
  exported = await edgeRecs('export', '--model', join(dir, 'model-a'), '--quantize', 'uint8', '--sign-key', keyPath, '--out', join(dir, 'artifact'));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('edge-recs keygen', () => {
  it('writes a private key file readable only by its owner, a public one beside it, and prints both and the data-public-key', async () => {
    const key = await readJson<KeyFile>(keyPath);
    expect(key).toMatchObject({ alg: 'Ed25519', keyId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(typeof key.privateKey).toBe('string');
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    const pubPath = join(dir, 'key.pub.json');
    const pubText = await readFile(pubPath, 'utf8');
    expect(pubText.trimEnd().split('\n')).toHaveLength(1); // pastes as one var value
    expect(JSON.parse(pubText)).toEqual({ alg: 'Ed25519', keyId: key.keyId, publicKey: key.publicKey });
    expect(keygenOut).toContain(`wrote ${keyPath} (private`);
    expect(keygenOut).toContain(`wrote ${pubPath} (public`);
    expect(keygenOut).toContain(`data-public-key="${key.keyId}:${key.publicKey}"`);
  });

  it('never overwrites a key file (exit 1, the file kept), and takes --public-out and --json', async () => {
    const before = await readFile(keyPath, 'utf8');
    const again = await edgeRecs('keygen', '--out', keyPath);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${keyPath}: already exists; keygen never overwrites a key`);
    expect(await readFile(keyPath, 'utf8')).toBe(before);
    const [priv, pub] = [join(dir, 'keys-b.json'), join(dir, 'public-b.txt')];
    const json = await edgeRecs('keygen', '--out', priv, '--public-out', pub, '--json');
    expect(json.code, json.stderr).toBe(0);
    const printed = JSON.parse(json.stdout) as Record<string, string>;
    const { keyId, publicKey } = await readJson<KeyFile>(priv);
    expect(printed).toEqual({ keyId, privateKeyFile: priv, publicKeyFile: pub, dataPublicKey: `${keyId}:${publicKey}` });
    expect(await readJson(pub)).toEqual({ alg: 'Ed25519', keyId, publicKey });
  });
});

describe('edge-recs train, export, eval', () => {
  it('trains and prints one JSON summary line', () => {
    const { a } = trained;
    expect(a.code, a.stderr).toBe(0);
    const lines = a.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]!) as { config: unknown; bestEpoch: number };
    expect(summary.config).toEqual({ numItems: 20, dim: 8, blocks: 1, heads: 1, maxLen: 5 });
    expect(summary.bestEpoch).toBeGreaterThanOrEqual(1);
    expect(summary.bestEpoch).toBeLessThanOrEqual(3);
  });

  it('exports a uint8 artifact signed by the key', async () => {
    expect(exported.code, exported.stderr).toBe(0);
    const manifest = await readJson<Manifest>(join(dir, 'artifact', 'manifest.json'));
    const key = await readJson<KeyFile>(keyPath);
    expect(manifest.quantization).toBe('uint8');
    expect(manifest.signature?.keyId).toBe(key.keyId);
    expect((await readdir(join(dir, 'artifact'))).sort()).toEqual(['group1-shard1of1.bin', 'items.json', 'manifest.json', 'next-steps.json']);
  });

  it('evaluates the exported artifact and prints exactly one JSON object with the documented keys', async () => {
    const run = await edgeRecs('eval', '--model', join(dir, 'artifact'), '--data', data, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.endsWith('\n')).toBe(true);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;

    expect(Object.keys(result).sort()).toEqual(['baselines', 'items', 'metrics', 'protocol', 'users']);
    expect(result.protocol).toBe('full-ranking-leave-one-out');
    expect(result.users).toBe(60);
    expect(result.items).toBe(20);
    const metrics = result.metrics as Record<string, number>;
    expect(Object.keys(metrics).sort()).toEqual(['HR@10', 'HR@20', 'HR@5', 'NDCG@10', 'NDCG@20', 'NDCG@5']);
    for (const [k, v] of Object.entries(metrics)) {
      expect(v, k).toBeGreaterThanOrEqual(0);
      expect(v, k).toBeLessThanOrEqual(1);
    }
    expect(metrics['HR@5']).toBeLessThanOrEqual(metrics['HR@10']!);
    expect(metrics['NDCG@10']).toBeLessThanOrEqual(metrics['HR@10']!);
  });

  it('evaluates a signed artifact with --trusted-key (the public key file) and refuses one signed by another key', async () => {
    const ok = await edgeRecs('eval', '--model', join(dir, 'artifact'), '--data', data, '--json', '--trusted-key', join(dir, 'key.pub.json'));
    expect(ok.code, ok.stderr).toBe(0);
    const otherKey = join(dir, 'other-key.json');
    expect((await edgeRecs('keygen', '--out', otherKey)).code).toBe(0);
    const refused = await edgeRecs('eval', '--model', join(dir, 'artifact'), '--data', data, '--json', '--trusted-key', otherKey);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/signed by unknown key [0-9a-f]{16}/);
    const unsigned = await edgeRecs('eval', '--model', join(dir, 'model-a'), '--data', data, '--json', '--trusted-key', keyPath);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toContain('is not signed');
  });

  it('trains identical weights from the same --seed and different ones from another', async () => {
    for (const run of Object.values(trained)) expect(run.code, run.stderr).toBe(0);
    const read = (m: string): Promise<Manifest> => readJson<Manifest>(join(dir, m, 'manifest.json'));
    const [a, b, c] = await Promise.all([read('model-a'), read('model-b'), read('model-c')]);
    expect(a.shards.map((s) => s.sha256)).toEqual(b.shards.map((s) => s.sha256));
    expect(a.items.sha256).toBe(b.items.sha256);
    expect(a.shards.map((s) => s.sha256)).not.toEqual(c.shards.map((s) => s.sha256));
    // Trained on every core by default, and the manifest says on how many: the bits follow from seed and workers.
    expect(a.training).toMatchObject({ seed: 7, workers: availableParallelism() });
    // And how: the recipe's settings, and why training ended.
    expect(a.training).toMatchObject({ recipe: { sampling: 'popularity', lrDecay: 0.5, dropout: 0.4 }, stopped: expect.stringMatching(/^(patience|budget|epochs)$/) });
  });
});

describe('edge-recs on bad input', () => {
  it('refuses an unknown --format with exit code 2, listing the valid formats', async () => {
    const [train, evaluate] = await Promise.all([
      edgeRecs('train', '--data', data, '--format', 'csv', '--out', join(dir, 'fmt'), ...TRAIN),
      edgeRecs('eval', '--model', join(dir, 'artifact'), '--data', data, '--format', 'csv', '--json'),
    ]);
    for (const run of [train, evaluate]) {
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--format must be one of s3rec(, [a-z0-9]+)* \(got "csv"\)/);
      expect(run.stdout).toBe('');
    }
    expect(await exists(join(dir, 'fmt'))).toBe(false);
  });

  it('refuses --workers that is not a positive integer with exit code 2, naming the valid values, and writes nothing', async () => {
    const runs = await Promise.all(
      ['0', '1.5'].map((n) => edgeRecs('train', '--data', data, '--workers', n, '--out', join(dir, `workers-${n}`), ...TRAIN)),
    );
    runs.push(await edgeRecs('simulate', '--data', data, '--workers', 'all'));
    for (const [i, run] of runs.entries()) {
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`--workers must be a positive integer: 1 (this thread alone) up to any number of threads, ${availableParallelism()} = every core of this machine (got "${['0', '1.5', 'all'][i]}")`);
    }
    expect(await exists(join(dir, 'workers-0'))).toBe(false);
  });

  it('refuses an unknown --sampling and an --lr-decay outside (0, 1] with exit code 2, naming the valid values, and writes nothing', async () => {
    const [sampling, decay] = await Promise.all([
      edgeRecs('train', '--data', data, '--sampling', 'zipf', '--out', join(dir, 'sampling'), ...TRAIN),
      edgeRecs('train', '--data', data, '--lr-decay', '1.5', '--out', join(dir, 'decay'), ...TRAIN),
    ]);
    expect(sampling.code).toBe(2);
    expect(sampling.stderr).toContain('--sampling must be one of popularity, uniform (got "zipf")');
    expect(decay.code).toBe(2);
    expect(decay.stderr).toContain('--lr-decay must be a number above 0 and at most 1 (1 = no decay) (got "1.5")');
    expect(await exists(join(dir, 'sampling'))).toBe(false);
    expect(await exists(join(dir, 'decay'))).toBe(false);
  });

  it('refuses --quantize int4 with exit code 2, listing the valid choices, and writes nothing', async () => {
    const out = join(dir, 'int4');
    const run = await edgeRecs('export', '--model', join(dir, 'model-a'), '--quantize', 'int4', '--out', out);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--quantize must be one of ${QUANTIZATIONS.join(', ')} (got "int4")`);
    expect(await exists(out)).toBe(false);
  });

  it('names the file and line of a malformed data line and writes no model', async () => {
    const bad = join(dir, 'bad.txt');
    await writeFile(bad, 'user1 1 2 3\nuser2 2 3 4\nuser3\nuser4 4 5 6\n');
    const out = join(dir, 'bad-model');
    const run = await edgeRecs('train', '--data', bad, '--out', out, ...TRAIN);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`${bad}:3:`);
    expect(run.stderr).not.toContain('unexpected error');
    expect(await exists(out)).toBe(false);
  });

  it('refuses to evaluate an artifact with a tampered shard, naming the shard', async () => {
    const copy = join(dir, 'tampered');
    await cp(join(dir, 'artifact'), copy, { recursive: true });
    const shard = join(copy, 'group1-shard1of1.bin');
    const bytes = await readFile(shard);
    bytes[10]! ^= 0x40;
    await writeFile(shard, bytes);

    const run = await edgeRecs('eval', '--model', copy, '--data', data, '--json');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('group1-shard1of1.bin');
    expect(run.stderr).toContain('SHA-256');
    expect(run.stdout).toBe('');
  });

  it('leaves no --out directory, nor a temp directory beside it, after a failed export', async () => {
    const out = join(dir, 'exports', 'failed');
    const run = await edgeRecs('export', '--model', join(dir, 'model-a'), '--quantize', 'float16', '--sign-key', join(dir, 'missing-key.json'), '--out', out);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('missing-key.json');
    expect(await exists(out)).toBe(false);
    expect(await readdir(join(dir, 'exports')).catch(() => [])).toEqual([]);
  });

  it('reports an invalid --name as a usage error naming the rule, not as an internal error, and writes nothing', async () => {
    const out = join(dir, 'bad-name');
    const run = await edgeRecs('export', '--model', join(dir, 'model-a'), '--quantize', 'float16', '--name', 'Bad Name', '--out', out);
    expect(run.code).not.toBe(0);
    expect(await exists(out)).toBe(false);
    expect(run.stderr).toContain('name must match');
    expect(run.stderr).not.toContain('unexpected error');
    expect(run.code).not.toBe(70); // EX_SOFTWARE: the CLI's code for its own bugs
  });
});
