/**
 * The CLI runs as the README's CLI section says: from a checkout of this repository (EdgeRecs is not on
 * npm). `npx --no-install edge-recs` (never fetching from the registry) in the checkout's root and in a
 * folder inside it runs the checkout's own bin, and `node <checkout>/model-export/bin/edge-recs.js` runs
 * it from a folder outside the checkout. Real child processes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'model-export/bin/edge-recs.js');

function run(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.NODE_OPTIONS; // vitest's worker options are not the CLI's
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

let outside: string;
beforeAll(async () => {
  outside = await mkdtemp(join(tmpdir(), 'edge-recs-outside-'));
});
afterAll(async () => {
  await rm(outside, { recursive: true, force: true });
});

describe('running the CLI from a checkout', () => {
  it('the README says the CLI runs from a checkout and is not on npm', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const cli = readme.slice(readme.indexOf('\n## CLI\n'));
    expect(cli.slice(0, 600)).toMatch(/runs from a checkout/);
    expect(cli.slice(0, 600)).toMatch(/not published\s+on npm/);
    expect(cli.slice(0, 600)).toContain('node /path/to/checkout/model-export/bin/edge-recs.js');
  });

  it.each([
    ['npx edge-recs in the checkout', () => ['npx', ['--no-install', 'edge-recs', '--help'], root]],
    ['npx edge-recs in a folder inside it', () => ['npx', ['--no-install', 'edge-recs', '--help'], join(root, 'docs')]],
    ['node <checkout>/model-export/bin/edge-recs.js elsewhere', () => [process.execPath, [bin, '--help'], outside]],
  ] as Array<[string, () => [string, string[], string]]>)('%s runs the checkout\'s own command', { timeout: 90_000 }, async (_, how) => {
    const [file, args, cwd] = how();
    const r = await run(file, args, cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: edge-recs /);
    expect(r.stdout).toContain('Train, evaluate, quantize, sign and publish EdgeRecs models.');
  });
});
