import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import { LOADER_BUDGET_BYTES } from './widget/loader/budget.ts';

const WASM_DIR = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
const LOADER = 'edge-recs.js';
/** What the loader's lazy credit code (`queued-credit.ts`) shares with the engine; the `core/` modules they import go with them. */
const LOADER_SHARED = /[\\/](widget[\\/]engine[\\/](attribution|analytics-counters)|core[\\/]events)\.ts$/;

/** Ships tfjs' WASM binaries beside the loader; the widget points `setWasmPaths` at its own folder. */
function tfjsWasm(): Plugin {
  return {
    name: 'edge-recs:tfjs-wasm',
    generateBundle() {
      for (const file of WASM_FILES) this.emitFile({ type: 'asset', fileName: file, source: readFileSync(`${WASM_DIR}/${file}`) });
    },
  };
}

/**
 * Prints the loader's gzip size after every build, whatever the log level, so a change that grows it is
 * seen when it is made; `test/node/bundle-size.test.ts` is what fails the suite above the budget.
 */
function loaderSize(): Plugin {
  return {
    name: 'edge-recs:loader-size',
    writeBundle(options) {
      const bytes = gzipSync(readFileSync(join(options.dir ?? 'dist', LOADER))).byteLength;
      const kb = (n: number): string => (n / 1024).toFixed(2);
      const verdict = bytes <= LOADER_BUDGET_BYTES ? 'within' : 'OVER';
      console.log(`${LOADER}: ${kb(bytes)} KB gzip (${verdict} the ${kb(LOADER_BUDGET_BYTES)} KB budget)`);
    },
  };
}

/**
 * Writes `integrity.json` beside the loader: `{ "edge-recs.js": "sha384-…" }`, the Subresource Integrity
 * value of this build's loader, for a merchant who pins a fixed build (docs/merchant-guide.md). It lives
 * with the build it describes; `test/reliability/widget.chromium.test.ts` checks it names the loader and
 * that Chromium loads the widget with it.
 */
function loaderIntegrity(): Plugin {
  return {
    name: 'edge-recs:loader-integrity',
    writeBundle(options) {
      const dir = options.dir ?? 'dist';
      const integrity = `sha384-${createHash('sha384').update(readFileSync(join(dir, LOADER))).digest('base64')}`;
      writeFileSync(join(dir, 'integrity.json'), `${JSON.stringify({ [LOADER]: integrity }, null, 2)}\n`);
    },
  };
}

/**
 * The widget build: `dist/edge-recs.js` is the script-tag loader (stable name, short cache); the engine
 * (`widget/app.ts`), tfjs, each backend and the model runtime are lazy chunks with content hashes
 * (immutable cache). `__EDGE_RECS_DEV__` is false in production builds (`npm run build`), which removes
 * every development warning; `vite build --mode development` keeps them.
 *
 * Library mode, not app mode: an app build wraps every dynamic `import()` in Vite's preload helper, which
 * lands in the entry, so each lazy chunk would import the loader back (`from "../edge-recs.js"`). That ties
 * immutable chunks to a short-cached file and, should a shop load the loader under another URL (a `?v=`
 * query), evaluates it a second time. `test/node/bundle-size.test.ts` checks that no chunk does.
 *
 * What the loader shares with the engine (the attribution rules, the metrics batch and event validation,
 * with the `core/` modules they need: `LOADER_SHARED`) is one chunk, `chunks/attribution-[hash].js`,
 * which the loader imports lazily (`queued-credit.ts`) and the engine chunk statically: one copy, in
 * neither of them, and never on the loader's critical path.
 */
export default defineConfig(({ mode }) => ({
  // Asset URLs relative to the chunk that names them (`new URL('../assets/worker-….js', import.meta.url)`):
  // with the default '/', the training worker resolved against the shop page's origin root and 404'd.
  base: './',
  publicDir: false,
  define: {
    __EDGE_RECS_DEV__: JSON.stringify(mode !== 'production'),
    // Library mode leaves `process.env.NODE_ENV` for a consumer's bundler; ours is the last bundler.
    'process.env.NODE_ENV': JSON.stringify(mode),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: false,
    sourcemap: true,
    lib: { entry: { 'edge-recs': 'widget/index.ts' }, formats: ['es'] },
    rollupOptions: {
      preserveEntrySignatures: false,
      output: {
        // Library mode would keep whitespace and comments for a consumer's bundler; this is the final bundle.
        minify: mode === 'production',
        comments: mode !== 'production',
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
        codeSplitting: { groups: [{ name: 'attribution', test: LOADER_SHARED }] },
      },
    },
  },
  // Workers as ES modules (they start as module workers, `widget/workers/start.ts`), so the heavy-work
  // worker's tfjs backends stay lazy chunks of their own instead of one file holding all four; minified
  // like the rest (the worker build does not inherit `build.rollupOptions`).
  worker: { format: 'es', rollupOptions: { output: { minify: mode === 'production', comments: mode !== 'production' } } },
  plugins: [tfjsWasm(), loaderSize(), loaderIntegrity()],
}));
