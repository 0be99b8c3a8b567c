/**
 * The CLI refuses every damaged or tampered artifact (`mutations.ts`), on each path that reads one:
 * `edge-recs eval --model A --trusted-key K` (signature and content), `edge-recs export --model A`
 * (content; an unsigned input is allowed there, since export signs anew) and `edge-recs publish`. A
 * refusal names what is wrong, exits non-zero and leaves no output behind.
 *
 * The matrix runs the CLI's real `main(argv)` in process (commander, commands, artifact reader: all of
 * it but the process boundary, to keep `npm test` fast); one case also runs through the bin script as a
 * child process to pin the exit code and stderr a shell sees.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../model-export/cli.ts';
import { runEdgeRecs } from '../support/cli.ts';
import { ITEM_IDS, MUTATIONS, signedTwoShardArtifact, type Damaged, type SignedArtifact } from './mutations.ts';

let dir: string;
let signed: SignedArtifact;
let keyPath: string;
let dataPath: string;

async function writeDamaged(path: string, d: Damaged): Promise<void> {
  await mkdir(path, { recursive: true });
  for (const [name, bytes] of d.files) await writeFile(join(path, name), bytes);
  await writeFile(join(path, 'manifest.json'), JSON.stringify(d.manifest, null, 2));
}

/** Runs `edge-recs ...args` in process; returns its exit code and what it printed to stderr. */
async function cli(...args: string[]): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const code = await main(['node', 'edge-recs', ...args]);
    return { code, stderr: lines.join('\n') };
  } finally {
    error.mockRestore();
    log.mockRestore();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-integrity-'));
  signed = await signedTwoShardArtifact();
  keyPath = join(dir, 'trusted.pub.json');
  await writeFile(keyPath, JSON.stringify({ alg: 'Ed25519', keyId: signed.key.keyId, publicKey: signed.key.publicKey }));
  dataPath = join(dir, 'data.txt');
  await writeFile(dataPath, `${Array.from({ length: 8 }, (_, u) => `u${u} ${[0, 1, 2, 3].map((j) => ITEM_IDS[(u + j) % ITEM_IDS.length]).join(' ')}`).join('\n')}\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the CLI refuses damaged and tampered artifacts', () => {
  it('accepts the intact artifact on every path (so the refusals below are the checks, not a broken setup)', async () => {
    const good = join(dir, 'good');
    await writeDamaged(good, { manifest: signed.artifact.manifest, files: signed.artifact.files });
    expect((await cli('eval', '--model', good, '--data', dataPath, '--trusted-key', keyPath, '--json', '--backend', 'cpu')).code).toBe(0);
    expect((await cli('export', '--model', good, '--out', join(dir, 'good-out'), '--quantize', 'float16', '--json')).code).toBe(0);
  });

  for (const mutation of MUTATIONS) {
    it(`${mutation.name}: eval and export exit non-zero naming it, with no output written`, async () => {
      const slug = mutation.name.replace(/[^a-z0-9]+/gi, '-');
      const artifact = join(dir, slug);
      await writeDamaged(artifact, await mutation.apply(signed));
      const evaluated = await cli('eval', '--model', artifact, '--data', dataPath, '--trusted-key', keyPath, '--json', '--backend', 'cpu');
      expect(evaluated.code).not.toBe(0);
      expect(evaluated.stderr).toMatch(mutation.error);

      // export checks content but allows a missing, foreign or stale signature: it signs its output anew.
      const outParent = join(dir, `${slug}-out`);
      await mkdir(outParent);
      const exported = await cli('export', '--model', artifact, '--out', join(outParent, 'artifact'), '--quantize', 'uint8', '--json');
      const signatureOnly = /signature|not signed|unknown key/.test(mutation.error.source);
      if (signatureOnly) expect(exported.code).toBe(0);
      else {
        expect(exported.code).not.toBe(0);
        expect(exported.stderr).toMatch(mutation.error);
        expect(await readdir(outParent)).toEqual([]); // nothing half-written, no temp directory left
      }
    });
  }

  it('publish refuses an artifact whose file does not match its manifest before sending anything', async () => {
    const artifact = join(dir, 'publish-flip');
    await writeDamaged(artifact, await MUTATIONS[0]!.apply(signed));
    // A server that would fail the test if contacted: the port is closed.
    const run = await cli('publish', '--artifact', artifact, '--server', 'http://127.0.0.1:9', '--token', 'token-0123456789abcdef');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/group1-shard1of2\.bin/);
    expect(run.stderr).not.toMatch(/ECONNREFUSED|fetch failed/);
  });

  it('through the real bin script: exit code 1 and the shard named on stderr', { timeout: 60_000 }, async () => {
    const artifact = join(dir, 'bin-flip');
    await writeDamaged(artifact, await MUTATIONS[0]!.apply(signed));
    const result = await runEdgeRecs(['eval', '--model', artifact, '--data', dataPath, '--trusted-key', keyPath, '--backend', 'cpu']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^edge-recs: .*group1-shard1of2\.bin: SHA-256 does not match the manifest/m);
  });
});
