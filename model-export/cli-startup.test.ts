/**
 * `edge-recs --help` and the admin and release commands start without tfjs (seconds to load, ~10 s on a
 * loaded machine): the bin runs as a child process with a module hook that refuses any `@tensorflow/`
 * import, and must still work and show every command and default. `train` under the same hook shows that
 * the hook does catch tfjs.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEdgeRecs, type ProcessRun } from '../test/support/cli.ts';

/** Registers a resolve hook that fails every import of a tfjs package, naming it. */
const NO_TFJS_HOOK = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent('export async function resolve(s, c, next) { if (s.startsWith("@tensorflow/")) throw new Error("tfjs imported: " + s); return next(s, c); }'));`,
)}`;

const withoutTfjs = (args: string[]): Promise<ProcessRun> => runEdgeRecs(args, { nodeArgs: ['--import', NO_TFJS_HOOK], timeoutMs: 30_000 });

let dir: string;
let closedPort: number;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-startup-'));
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('edge-recs without tfjs', { timeout: 60_000 }, () => {
  it('prints the help of every command, with the defaults of train and simulate', async () => {
    const helps = ['', 'train', 'eval', 'export', 'import', 'simulate', 'publish', 'models', 'catalog', 'bestsellers', 'experiment', 'keygen'];
    const runs = await Promise.all(helps.map((command) => withoutTfjs(command ? [command, '--help'] : ['--help'])));
    for (const [i, run] of runs.entries()) {
      expect(run.stderr, helps[i]).toBe('');
      expect(run.code, helps[i]).toBe(0);
    }
    const [all, train, , , , simulate, , models] = runs.map((r) => r.stdout);
    for (const command of helps.slice(1)) expect(all).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(train).toMatch(/--epochs <n>\s+most epochs \(default: 200\)/);
    expect(train).toMatch(/--dim <n>\s+embedding width \(default: 64\)/);
    expect(simulate).toMatch(/--cohort <n>[^]*?\(default: 3700\)/);
    expect(simulate).toMatch(/--steps <n>[^]*?\(default: 5\)/);
    expect(models).toMatch(/^  list /m);
    expect(runs[helps.indexOf('experiment')]!.stdout).toMatch(/^  start [^]*^  status [^]*^  stop /m);
  });

  it('runs keygen and the admin commands', async () => {
    const out = join(dir, 'release.json');
    const [keygen, list] = await Promise.all([
      withoutTfjs(['keygen', '--out', out]),
      // A port nothing listens on: the command gets as far as its request.
      withoutTfjs(['models', 'list', '--server', `http://127.0.0.1:${closedPort}`, '--token', 'x'.repeat(32)]),
    ]);
    expect(keygen.code, keygen.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(dir, 'release.pub.json'), 'utf8'))).toMatchObject({ alg: 'Ed25519' });
    expect(list.stderr).not.toContain('tfjs');
    expect(list.stderr).toMatch(new RegExp(`^edge-recs: cannot reach http://127\\.0\\.0\\.1:${closedPort}`));
    expect(list.code).toBe(1);
  });

  it('loads tfjs for train (the hook catches it)', async () => {
    const train = await withoutTfjs(['train', '--data', join(dir, 'none.txt'), '--out', join(dir, 'model')]);
    expect(train.code).not.toBe(0);
    expect(train.stderr).toContain('tfjs imported: @tensorflow/');
  });
});
