/**
 * The widget's production build, as `npm run build` makes it: the script-tag loader within its gzip
 * budget, free of development-only code, and split so that everything heavy loads lazily. Builds into a
 * temporary folder from the current sources (a stale `dist/` can neither pass nor fail this) and records
 * the sizes it measured in the test output.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOADER_BUDGET_BYTES } from '../../widget/budget.ts';

const root = join(import.meta.dirname, '../..');

describe('widget production build', () => {
  let out: string;
  let loader: string;
  const chunks = new Map<string, string>();

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'edge-recs-build-'));
    await build({ root, configFile: join(root, 'vite.config.ts'), mode: 'production', logLevel: 'silent', build: { outDir: out, sourcemap: false } });
    loader = await readFile(join(out, 'edge-recs.js'), 'utf8');
    for (const name of await readdir(join(out, 'chunks'))) {
      if (name.endsWith('.js')) chunks.set(name, await readFile(join(out, 'chunks', name), 'utf8'));
    }
  }, 120_000);

  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it(`keeps the loader within ${LOADER_BUDGET_BYTES / 1024} KB gzip`, () => {
    const bytes = gzipSync(loader).byteLength;
    console.log(`edge-recs.js: ${loader.length} bytes, ${bytes} bytes gzip (budget ${LOADER_BUDGET_BYTES})`);
    expect(bytes).toBeLessThanOrEqual(LOADER_BUDGET_BYTES);
  });

  it('strips development warnings and the dev flag from every file', () => {
    for (const [name, code] of [['edge-recs.js', loader], ...chunks] as const) {
      expect(code, name).not.toContain('__EDGE_RECS_DEV__');
      // Texts of development-only warnings (see config.ts, engine.ts, element.ts, capture.ts).
      expect(code, name).not.toMatch(/data-consent must be|dropped: |must be a whole number from 1|could not read a dataLayer entry|is not a placement; choose from|needs "by", a number/);
    }
  });

  it('loads nothing up front: the loader has no static imports and one lazy import, the engine chunk', () => {
    expect(loader).not.toMatch(/^\s*import\s*[\w{*]/m);
    const lazy = [...loader.matchAll(/import\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]);
    expect(lazy).toEqual([expect.stringMatching(/^\.\/chunks\/app-[\w-]+\.js$/)]);
    // Neither Lit nor idb nor tfjs is in the loader.
    expect(loader).not.toMatch(/LitElement|adoptedStyleSheets|IDBKeyRange|tfjs/);
  });

  it('never makes a lazy chunk import the loader back (its URL is stable and short-cached; chunks are immutable)', () => {
    for (const [name, code] of chunks) expect(code, name).not.toMatch(/edge-recs\.js/);
  });

  it('puts tfjs and each backend behind the engine chunk, one lazy import per backend', () => {
    const app = [...chunks].find(([name]) => name.startsWith('app-'))![1];
    expect(app).not.toMatch(/tfjs-backend|registerBackend/);
    const runtime = [...chunks].find(([name]) => name.startsWith('runtime-'))![1];
    // webgpu, webgl, wasm, cpu: four dynamic imports, so a page fetches only the backend it starts.
    expect([...runtime.matchAll(/import\(/g)].length).toBeGreaterThanOrEqual(4);
  });
});
