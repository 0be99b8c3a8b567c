/**
 * The widget's production build, as `npm run build` makes it: the script-tag loader within its gzip
 * budget, free of development-only code, and split so that everything heavy loads lazily. Builds into a
 * temporary folder from the current sources (a stale `dist/` can neither pass nor fail this) and records
 * the sizes it measured in the test output.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOADER_BUDGET_BYTES } from '../../widget/loader/budget.ts';

const root = join(import.meta.dirname, '../..');

describe('widget production build', () => {
  let out: string;
  let loader: string;
  const chunks = new Map<string, string>();
  /** The workers' files (`assets/`: Vite's worker bundles), by name. */
  const assets = new Map<string, string>();

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'edge-recs-build-'));
    // With source maps, as `npm run build` makes them, so the precompressed files' rule can be checked on them.
    await build({ root, configFile: join(root, 'vite.config.ts'), mode: 'production', logLevel: 'silent', build: { outDir: out } });
    loader = await readFile(join(out, 'edge-recs.js'), 'utf8');
    for (const name of await readdir(join(out, 'chunks'))) {
      // `.js` only: not the maps, nor the precompressed `.js.br` and `.js.gz`.
      if (name.endsWith('.js')) chunks.set(name, await readFile(join(out, 'chunks', name), 'utf8'));
    }
    for (const name of await readdir(join(out, 'assets'))) {
      if (name.endsWith('.js')) assets.set(name, await readFile(join(out, 'assets', name), 'utf8'));
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
    for (const [name, code] of [['edge-recs.js', loader], ...chunks, ...assets] as const) {
      expect(code, name).not.toContain('__EDGE_RECS_DEV__');
      // Texts of development-only warnings (see config.ts, engine.ts, element.ts, capture.ts).
      expect(code, name).not.toMatch(/data-consent must be|dropped: |must be a whole number from 1|could not read a dataLayer entry|is not a placement; choose from|needs "by", a number/);
    }
  });

  it('loads nothing up front: the loader has no static imports and two lazy ones, the engine chunk and its credit for queued events', () => {
    expect(loader).not.toMatch(/^\s*import\s*[\w{*]/m);
    const lazy = [...loader.matchAll(/import\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]).sort();
    expect(lazy).toEqual([expect.stringMatching(/^\.\/chunks\/app-[\w-]+\.js$/), expect.stringMatching(/^\.\/chunks\/queued-credit-[\w-]+\.js$/)]);
    // Neither Lit (its template marker, `lit$`) nor idb nor tfjs is in the loader. (The loader adopts one
    // stylesheet of its own, the rows' reserved space, so `adoptedStyleSheets` no longer marks Lit.)
    expect(loader).not.toMatch(/LitElement|lit\$|IDBKeyRange|tfjs/);
  });

  it('keeps one copy of the attribution rules and the metrics batch, shared by the loader\'s credit and the engine', () => {
    const named = (prefix: string): [string, string] => {
      const chunk = [...chunks].find(([name]) => name.startsWith(`${prefix}-`));
      if (!chunk) throw new Error(`the build has no chunks/${prefix}-[hash].js (vite.config.ts LOADER_SHARED); chunks: ${[...chunks.keys()].join(', ')}`);
      return chunk;
    };
    const imports = (code: string): string[] => [...code.matchAll(/from\s*["'`]\.\/([^"'`]+)["'`]/g)].map((m) => m[1]!);
    const [shared, rules] = named('attribution');
    const [, credit] = named('queued-credit');
    const [, app] = named('app');
    // The attribution record's storage key and its order-id hash, the batch's validation and its beacon
    // fallback: each in the shared chunk only.
    for (const mark of ['edge-recs:attribution', '16777619', 'a batch must hold at least one counter', 'sendBeacon']) {
      const holders = [['edge-recs.js', loader] as const, ...chunks].filter(([, code]) => code.includes(mark));
      expect(holders.map(([name]) => name), mark).toEqual([shared]);
    }
    expect(imports(credit)).toEqual([shared]);
    expect(imports(app)).toContain(shared);
    // What the loader fetches to credit a closed page: that chunk and the shared one, which imports nothing.
    expect(imports(rules)).toEqual([]);
    expect(rules).not.toMatch(/LitElement|adoptedStyleSheets|IDBKeyRange|tfjs/);
    console.log(`credit for queued events: ${gzipSync(credit).byteLength} + ${gzipSync(rules).byteLength} bytes gzip (${shared}), fetched only when an add-to-cart or purchase is queued before the engine loads`);
  });

  it('never makes a lazy chunk import the loader back (its URL is stable and short-cached; chunks are immutable)', () => {
    for (const [name, code] of [...chunks, ...assets]) expect(code, name).not.toMatch(/edge-recs\.js/);
  });

  it('keeps a page-side tfjs chunk with the WASM backend, each other backend lazy, for a page where no worker starts', () => {
    const app = [...chunks].find(([name]) => name.startsWith('app-'))![1];
    expect(app).not.toMatch(/tfjs-backend|registerBackend/);
    const tfjs = [...chunks].find(([name]) => name.startsWith('tfjs-'))![1];
    // The model runtime, tfjs-core and the WASM backend (a machine without a GPU starts it, every other
    // falls back to it) are one file, fetched only where the page does the heavy work itself
    // (vite.config.ts `chunkOf`).
    expect(tfjs).toMatch(/tfjs-backend-wasm-simd\.wasm/);
    expect(tfjs).toMatch(/no tfjs backend could start/);
    // webgpu, webgl, cpu: three dynamic imports, so a page fetches only the GPU backend it starts.
    const lazy = [...tfjs.matchAll(/import\(\s*["'`]\.\/([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]!);
    expect(lazy).toHaveLength(3);
    const backends = lazy.map((name) => chunks.get(name) ?? '');
    expect(backends.filter((code) => /webgpu/i.test(code)).length, 'one lazy chunk holds WebGPU').toBeGreaterThanOrEqual(1);
    expect(backends.some((code) => /WEBGL_lose_context|webgl2/.test(code)), 'one lazy chunk holds WebGL').toBe(true);
    for (const code of backends) expect(code).not.toMatch(/tfjs-backend-wasm-simd\.wasm/);
  });

  it('fetches the engine and tfjs without small shared chunks: the engine chunk imports only the attribution rules, tfjs only those two and the model verifier', () => {
    const imports = (code: string): string[] => [...code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[^"'`()]*?from\s*)?["'`]\.\/([^"'`]+)["'`]/g)].map((m) => m[1]!).sort();
    const named = (prefix: string): string => [...chunks.keys()].find((name) => name.startsWith(`${prefix}-`))!;
    expect(imports(chunks.get(named('app'))!)).toEqual([named('attribution')]);
    expect(imports(chunks.get(named('tfjs'))!)).toEqual([named('app'), named('artifact'), named('attribution')].sort());
    // The model verifier and update codec: not in the engine chunk (the worker does that work), and
    // imported by nothing a first visit's page runs (training on the page, the page's own heavy work).
    expect(imports(chunks.get(named('artifact'))!)).toEqual([named('app'), named('attribution')].sort());
    expect(imports(chunks.get(named('training'))!)).not.toContain(named('artifact'));
    // Rolldown's helpers are copied into the chunks that use them (vite.config.ts `inlineRuntimeHelpers`).
    expect([...chunks.keys()].filter((name) => /rolldown|runtime/.test(name))).toEqual([]);
  });

  it('puts the heavy-work worker, tfjs and the WASM backend in one file, each other backend a lazy chunk of it', () => {
    const imports = (code: string): string[] => [...code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[^"'`()]*?from\s*)?["'`]\.\/([^"'`]+)["'`]/g)].map((m) => m[1]!).sort();
    const lazy = (code: string): string[] => [...code.matchAll(/import\(\s*["'`]\.\/([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]!).sort();
    const workers = [...assets.keys()].filter((name) => name.startsWith('heavy-worker-'));
    expect(workers).toHaveLength(1);
    const worker = workers[0]!;
    const code = assets.get(worker)!;
    // The engine chunk starts it (`widget/ranking/worker-work.ts`), by its URL beside the chunks.
    const app = [...chunks].find(([name]) => name.startsWith('app-'))![1];
    expect(app).toContain(`../assets/${worker}`);
    // The worker's own code (catalog, model checks), the model runtime, tfjs-core and the WASM backend:
    // one request, then the `.wasm` (vite.config.ts `workerChunkOf`).
    expect(code).toMatch(/tfjs-backend-wasm-simd\.wasm/);
    expect(code).toMatch(/no tfjs backend could start/);
    expect(code).toMatch(/heavy-work|catalog/);
    expect(imports(code), 'imports nothing up front').toEqual([]);
    // webgpu, webgl, cpu: three lazy chunks, each importing the worker's file only.
    const backends = lazy(code);
    expect(backends).toHaveLength(3);
    for (const name of backends) {
      expect(assets.has(name), name).toBe(true);
      expect(imports(assets.get(name)!), name).toEqual([worker]);
      expect(assets.get(name), name).not.toMatch(/tfjs-backend-wasm-simd\.wasm/);
    }
    expect(backends.some((name) => /WEBGL_lose_context|webgl2/.test(assets.get(name)!)), 'one lazy chunk holds WebGL').toBe(true);
    // Rolldown's helpers are copied into the files that use them (`inlineRuntimeHelpers` in `worker.plugins`).
    expect([...assets.keys()].filter((name) => /rolldown|runtime/.test(name))).toEqual([]);
    // What else is under assets/: the training worker, one file.
    const rest = [...assets.keys()].filter((name) => name !== worker && !backends.includes(name));
    expect(rest).toEqual([expect.stringMatching(/^worker-[\w-]+\.js$/)]);
    expect(imports(assets.get(rest[0]!)!)).toEqual([]);
    const kb = (name: string, map: Map<string, string>): string => `${name} ${(map.get(name)!.length / 1024).toFixed(0)} KB (${(gzipSync(map.get(name)!).byteLength / 1024).toFixed(0)} KB gzip)`;
    console.log(`worker files: ${[worker, ...backends, ...rest].map((name) => kb(name, assets)).join(', ')}`);
    console.log(`page-side copies for a page where no worker starts: ${[...chunks.keys()].filter((name) => /^(tfjs|dist|register_all_gradients)-/.test(name)).map((name) => kb(name, chunks)).join(', ')}`);
  });

  it('fetches no tfjs on the page where the worker runs: neither the engine chunk nor training (or its admission) imports it', () => {
    const imports = (code: string): string[] => [...code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[^"'`()]*?from\s*)?["'`]\.\/([^"'`]+)["'`]/g)].map((m) => m[1]!);
    const closure = (name: string, seen = new Set<string>()): Set<string> => {
      if (seen.has(name)) return seen;
      seen.add(name);
      for (const i of imports(chunks.get(name) ?? '')) closure(i, seen);
      return seen;
    };
    const named = (prefix: string): string => [...chunks.keys()].find((name) => name.startsWith(`${prefix}-`))!;
    for (const start of ['app', 'training', 'admission']) {
      const loaded = [...closure(named(start))];
      expect(loaded.filter((name) => /^(tfjs|dist|register_all_gradients)-/.test(name)), start).toEqual([]);
      for (const name of loaded) expect(chunks.get(name), name).not.toMatch(/registerBackend|tfjs-backend-wasm-simd\.wasm/);
    }
  });

  it('writes a brotli and a gzip copy of the same bytes beside each compressible file of 1 KB or more, and of nothing else', async () => {
    const files = (await readdir(out, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(out.length + 1));
    const plain = files.filter((f) => !/\.(br|gz)$/.test(f));
    const compressed = files.filter((f) => /\.(br|gz)$/.test(f));
    let checked = 0;
    for (const file of plain) {
      const bytes = await readFile(join(out, file));
      const wanted = /\.(js|wasm|json|svg)$/.test(file) && bytes.byteLength >= 1024;
      expect(compressed.filter((f) => f === `${file}.br` || f === `${file}.gz`).length, file).toBe(wanted ? 2 : 0);
      if (!wanted) continue;
      expect(brotliDecompressSync(await readFile(join(out, `${file}.br`))).equals(bytes), `${file}.br`).toBe(true);
      expect(gunzipSync(await readFile(join(out, `${file}.gz`))).equals(bytes), `${file}.gz`).toBe(true);
      checked++;
    }
    // Every .br and .gz has its file: none of a map, none left over.
    for (const file of compressed) expect(plain, file).toContain(file.replace(/\.(br|gz)$/, ''));
    expect(files.some((f) => f.endsWith('.map')), 'the build has source maps').toBe(true);
    expect(checked).toBeGreaterThanOrEqual(6);
  });
});
