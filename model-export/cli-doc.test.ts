/**
 * The CLI guide's examples (docs/cli.md) run as written: each `npx edge-recs keygen|train|eval|export` line of
 * its CLI block, word for word, as a child process, in order, in a folder holding what the lines name:
 * `exports/ga4/` (the GA4 BigQuery export shards of `test/fixtures/ga4-export/`), `feed.tsv` (its Merchant
 * Center feed) and `../shared/datasets/amazon-beauty.txt` (a small S3-Rec file in the dataset's format).
 * Only `train` gets flags added after the guide's own, for a tiny model (seconds, not an hour).
 * `import`, `publish` and the admin commands need a safetensors file or a server; other tests run them.
 * The README's shorter CLI block holds only lines of the guide's, so it runs here too.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runEdgeRecs, type ProcessRun } from '../test/support/cli.ts';

const fixtures = join(ROOT, 'test/fixtures/ga4-export');
const TINY = ['--epochs', '3', '--dim', '8', '--blocks', '1', '--max-len', '8', '--seed', '3'];
const RUNS = new Set(['keygen', 'train', 'eval', 'export']);

/** A shell line's words: spaces split, single quotes keep their text; a `#` outside quotes starts a comment. */
function words(line: string): string[] {
  const out: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (ch === '#' && word === null) break;
    else if (ch === ' ') {
      if (word !== null) out.push(word);
      word = null;
    } else word = (word ?? '') + ch;
  }
  if (word !== null) out.push(word);
  return out;
}

/** The `edge-recs` lines of a Markdown file's first ```sh block that starts with `npx edge-recs keygen`, in order. */
async function cliBlockLines(file: string): Promise<string[]> {
  const text = await readFile(join(ROOT, file), 'utf8');
  const block = [...text.matchAll(/```sh\n(.*?)```/gs)].map((m) => m[1]!).find((b) => b.startsWith('npx edge-recs keygen'));
  if (!block) throw new Error(`${file}: no \`\`\`sh block starting with "npx edge-recs keygen"`);
  return block.split('\n').filter((line) => line.startsWith('npx edge-recs '));
}

/** The commands of docs/cli.md's CLI block, as argument lists. */
async function guideCommands(): Promise<string[][]> {
  return (await cliBlockLines('docs/cli.md')).map((line) => words(line).slice(2));
}

/** `count` users of 6-9 items each over 30 items, in the S3-Rec format (`user item item ...`). */
function s3rec(count: number): string {
  return Array.from({ length: count }, (_, u) => [u + 1, ...Array.from({ length: 6 + (u % 4) }, (_, k) => ((u * 7 + k * 3) % 30) + 1)].join(' ')).join('\n') + '\n';
}

let root: string;
let cwd: string;
let commands: string[][];
const runs: Array<{ args: string[]; run: ProcessRun }> = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'edge-recs-readme-'));
  cwd = join(root, 'checkout');
  await mkdir(join(root, 'shared/datasets'), { recursive: true });
  await writeFile(join(root, 'shared/datasets/amazon-beauty.txt'), s3rec(60));
  await cp(join(fixtures, 'shards'), join(cwd, 'exports/ga4'), { recursive: true });
  await cp(join(fixtures, 'catalog.tsv'), join(cwd, 'feed.tsv'));
  commands = (await guideCommands()).filter((args) => RUNS.has(args[0]!));
  for (const args of commands) {
    const run = await runEdgeRecs(args[0] === 'train' ? [...args, ...TINY] : args, { cwd, timeoutMs: 120_000 });
    runs.push({ args, run });
    if (run.code !== 0) break;
  }
}, 600_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the CLI guide\'s examples', () => {
  it('walk a shop\'s own data through train, eval, export and eval of the signed artifact', () => {
    const line = (prefix: string[]): boolean => commands.some((args) => prefix.every((w, i) => args[i] === w) && args.includes('exports/ga4/'));
    expect(line(['train']) && commands.some((a) => a[0] === 'train' && a.includes('--catalog'))).toBe(true);
    expect(line(['eval', '--model', 'artifacts/shop'])).toBe(true);
  });

  it('run as written, each exiting 0', () => {
    for (const { args, run } of runs) expect(run.code, `edge-recs ${args.join(' ')}\n${run.stderr}`).toBe(0);
    expect(runs.map(({ args }) => args.join(' '))).toEqual(commands.map((args) => args.join(' ')));
  });

  it('print the eval protocol\'s JSON for every eval --json line', () => {
    const evals = runs.filter(({ args }) => args[0] === 'eval' && args.includes('--json'));
    expect(evals.length).toBeGreaterThanOrEqual(4);
    for (const { run } of evals) expect(JSON.parse(run.stdout)).toMatchObject({ protocol: 'full-ranking-leave-one-out', metrics: { 'NDCG@10': expect.any(Number) } });
  });

  it('include every line of the README\'s CLI block, word for word', async () => {
    const guide = await cliBlockLines('docs/cli.md');
    const readme = await cliBlockLines('README.md');
    expect(readme.length).toBeGreaterThan(0);
    for (const line of readme) expect(guide, line).toContain(line);
  });
});
