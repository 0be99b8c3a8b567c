/**
 * The CLI runs as the README's CLI section says: from a checkout of this repository (EdgeRecs is not on
 * npm). `npx --no-install edge-recs` (never fetching from the registry) in the checkout's root and in a
 * folder inside it runs the checkout's own bin, and `node <checkout>/model-export/bin/edge-recs.js` runs
 * it from a folder outside the checkout. Real child processes.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDGE_RECS_BIN, ROOT, runProcess } from '../test/support/cli.ts';

let outside: string;
beforeAll(async () => {
  outside = await mkdtemp(join(tmpdir(), 'edge-recs-outside-'));
});
afterAll(async () => {
  await rm(outside, { recursive: true, force: true });
});

describe('running the CLI from a checkout', () => {
  it('the README says the CLI runs from a checkout and is not on npm', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const cli = readme.slice(readme.indexOf('\n## CLI\n'));
    expect(cli.slice(0, 600)).toMatch(/runs from a checkout/);
    expect(cli.slice(0, 600)).toMatch(/not published\s+on npm/);
    expect(cli.slice(0, 600)).toContain('node /path/to/checkout/model-export/bin/edge-recs.js');
  });

  it.each([
    ['npx edge-recs in the checkout', () => ['npx', ['--no-install', 'edge-recs', '--help'], ROOT]],
    ['npx edge-recs in a folder inside it', () => ['npx', ['--no-install', 'edge-recs', '--help'], join(ROOT, 'docs')]],
    ['node <checkout>/model-export/bin/edge-recs.js elsewhere', () => [process.execPath, [EDGE_RECS_BIN, '--help'], outside]],
  ] as Array<[string, () => [string, string[], string]]>)('%s runs the checkout\'s own command', { timeout: 90_000 }, async (_, how) => {
    const [file, args, cwd] = how();
    const r = await runProcess(file, args, { cwd, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: edge-recs /);
    expect(r.stdout).toContain('Train, evaluate, quantize, sign and publish EdgeRecs models.');
  });
});
