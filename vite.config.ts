import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin, type Rolldown } from 'vite';
import { LOADER_BUDGET_BYTES } from './widget/loader/budget.ts';

const WASM_DIR = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
const LOADER = 'edge-recs.js';
/** What the loader's lazy credit code (`queued-credit.ts`) shares with the engine; the `core/` modules they import go with them. */
const LOADER_SHARED = /[\\/](widget[\\/]engine[\\/](attribution|analytics-counters)|core[\\/]events)\.ts$/;

const ROOT = import.meta.dirname;
/** The loader's entry, the engine chunk's entry, and the model runtime's (tfjs, the backend code). */
const LOADER_ENTRY = resolve(ROOT, 'widget/index.ts');
const APP_ENTRY = resolve(ROOT, 'widget/app.ts');
const RUNTIME_ENTRY = resolve(ROOT, 'widget/runtime/index.ts');
/** The model's loader and verifier, and the update codec: what training on the page and the page's own heavy work share. */
const ARTIFACT_ENTRIES = [resolve(ROOT, 'widget/runtime/model.ts'), resolve(ROOT, 'core/federated/codec.ts')];
/** The page's side of on-device training (a lazy chunk the engine loads once its model runs). */
const TRAINING_ENTRY = resolve(ROOT, 'widget/training/index.ts');
/** The heavy-work worker's entry (`widget/ranking/worker-work.ts` starts it), bundled by Vite's worker pipeline. */
const HEAVY_WORKER_ENTRY = resolve(ROOT, 'widget/ranking/heavy-worker.ts');
/** The backend a machine without a GPU starts first, grouped with tfjs so a first visit fetches it with it. */
const FIRST_BACKEND = /[\\/]@tensorflow[\\/]tfjs-backend-wasm[\\/]/;
/** How Vite names the empty module it puts in place of a Node built-in in a browser build. */
const BROWSER_EXTERNAL = '__vite-browser-external';

/** The modules `root` imports statically, itself included, transitively (dynamic imports are other chunks). */
function staticClosure(root: string, info: (id: string) => Rolldown.ModuleInfo | null): Set<string> {
  const seen = new Set<string>();
  const todo = [root];
  for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
    if (seen.has(id)) continue;
    seen.add(id);
    todo.push(...(info(id)?.importedIds ?? []));
  }
  return seen;
}

/**
 * The model runtime's modules: `widget/runtime/index.ts` with everything it imports statically (tfjs-core,
 * `core/model`) and the WASM backend with what it imports (the CPU backend's shared kernels). Undefined
 * where this bundle does not hold the runtime (the training worker's).
 */
function tfjsModules(info: (id: string) => Rolldown.ModuleInfo | null): Set<string> | undefined {
  const backend = info(resolve(ROOT, 'widget/runtime/backend.ts'));
  if (!backend) return undefined;
  const wasm = backend.dynamicallyImportedIds.find((m) => FIRST_BACKEND.test(m));
  if (!wasm) throw new Error('vite.config.ts: widget/runtime/backend.ts no longer imports @tensorflow/tfjs-backend-wasm lazily');
  return new Set([...staticClosure(RUNTIME_ENTRY, info), ...staticClosure(wasm, info)]);
}

/**
 * Which chunk a module of the page's build goes into (`codeSplitting.groups`, after the attribution group),
 * so that a first visit fetches few files in a short chain: loader → `app` → the heavy-work worker.
 * - `app`: everything the engine chunk (`widget/app.ts`) needs statically, in one file rather than a
 *   dozen small ones shared with the training chunk (which imports them from `app`, always loaded first).
 *   Never a module of the loader's own static graph, which would make the loader import a chunk.
 * - `tfjs`: the model runtime with tfjs-core and the WASM backend (`tfjsModules`), for the page that must
 *   do the heavy work itself (no worker could start: `widget/ranking/worker-work.ts`); a page whose worker
 *   runs never fetches it. WebGPU, WebGL and the CPU backend stay lazy chunks of their own that import
 *   from it, fetched only where they start; so does training.
 */
function chunkOf(): Rolldown.CodeSplittingNameFunction {
  let sets: { loader: Set<string>; app: Set<string>; artifact: Set<string>; tfjs: Set<string> } | undefined;
  return (id, ctx) => {
    if (!sets) {
      const info = (m: string): Rolldown.ModuleInfo | null => ctx.getModuleInfo(m);
      const tfjs = tfjsModules(info);
      if (!tfjs) throw new Error('vite.config.ts: the widget build no longer holds widget/runtime/backend.ts');
      const artifact = new Set(ARTIFACT_ENTRIES.flatMap((entry) => [...staticClosure(entry, info)]));
      // What the page's training chunk shares with `artifact` (the update format's names) or with the
      // runtime (`runtime/content-items.ts`: the items a features model ranks) goes in `app`, always loaded
      // before it: a first visit's training chunk then fetches neither `artifact` nor `tfjs`.
      const app = staticClosure(APP_ENTRY, info);
      for (const m of staticClosure(TRAINING_ENTRY, info)) if (artifact.has(m) || tfjs.has(m)) app.add(m);
      sets = { loader: staticClosure(LOADER_ENTRY, info), app, artifact, tfjs };
    }
    if (sets.loader.has(id)) return null;
    // The empty module that stands for a Node built-in (tfjs-core's and the admission's `crypto`): in
    // `app`, or the admission chunk would import it from `tfjs` and fetch tfjs on the page.
    if (sets.app.has(id) || id.startsWith(BROWSER_EXTERNAL)) return 'app';
    // Before `tfjs`, which also imports them: training on the page must not fetch tfjs.
    if (sets.artifact.has(id)) return 'artifact';
    if (sets.tfjs.has(id)) return 'tfjs';
    return null;
  };
}

/**
 * The same for a worker bundle (Vite bundles each worker apart, with `worker.plugins` and none of
 * `build.rollupOptions`). The heavy-work worker's entry (`heavy-worker.ts`: catalog parsing, model
 * verification and decoding) and the model runtime with tfjs-core and the WASM backend (`tfjsModules`)
 * are one file, `assets/heavy-worker-[hash].js`: one request for the worker and the code a machine
 * without a GPU runs the model on, which then fetches the `.wasm` (so a first visit's loader, chunks,
 * worker, WASM, model and catalog take 10 requests; a separate tfjs chunk made 11). The price: the worker
 * asks for the catalog only once that file (~80 KB brotli) has loaded, not after its own ~32 KB.
 * WebGPU, WebGL and the CPU backend stay lazy chunks that import from it, fetched only where they start.
 * The training worker's bundle holds no runtime and is left as Rolldown makes it (one file).
 */
function workerChunkOf(): Rolldown.CodeSplittingNameFunction {
  let worker: Set<string> | undefined;
  return (id, ctx) => {
    if (!worker) {
      const info = (m: string): Rolldown.ModuleInfo | null => ctx.getModuleInfo(m);
      const runtime = tfjsModules(info);
      worker = runtime && info(HEAVY_WORKER_ENTRY) ? new Set([...staticClosure(HEAVY_WORKER_ENTRY, info), ...runtime]) : new Set();
    }
    return worker.has(id) ? 'heavy-worker' : null;
  };
}

/** Groups a worker bundle's chunks (`workerChunkOf`); one instance per bundle, as `worker.plugins` makes them. */
function workerChunks(): Plugin {
  return {
    name: 'edge-recs:worker-chunks',
    outputOptions(options) {
      return { ...options, codeSplitting: { groups: [{ name: workerChunkOf(), debugName: 'heavy-work worker with tfjs' }] } };
    },
  };
}

/**
 * Copies Rolldown's helpers (`__toESM`, `__commonJS`, `__export`: a few hundred bytes of pure functions,
 * no state) into each chunk that uses them, instead of the chunk of their own that Rolldown makes when
 * several chunks need them (`app` and `tfjs` both do): that chunk was one more request, and one more step,
 * on a first visit's way to the model. The `import` is blanked to spaces (columns, and so source maps,
 * stay right) and hoisted function declarations of the same names are appended, which build the helpers
 * once per chunk on first use.
 */
function inlineRuntimeHelpers(): Plugin {
  return {
    name: 'edge-recs:inline-runtime-helpers',
    generateBundle(_options, bundle) {
      const runtime = Object.values(bundle).find((f) => f.type === 'chunk' && f.moduleIds.length === 1 && f.moduleIds[0] === '\0rolldown/runtime.js');
      if (runtime?.type !== 'chunk') return;
      const exported = /export\s*\{([^}]*)\};?\s*(\/\/#.*)?$/.exec(runtime.code);
      if (!exported) throw new Error(`vite.config.ts: cannot read the exports of ${runtime.fileName}`);
      const pairs = exported[1]!.split(',').map((p) => p.trim().split(/\s+as\s+/)).map(([local, name]) => [local!, name ?? local!] as const);
      const body = `${runtime.code.slice(0, exported.index)}return{${pairs.map(([local, name]) => `${JSON.stringify(name)}:${local}`).join(',')}}`;
      const holder = '__edgeRecsHelpers';
      const file = runtime.fileName.replace(/^.*\//, '');
      const from = new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*["'\`]\\./${file.replace(/[.$]/g, '\\$&')}["'\`];?`);
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk' || chunk === runtime) continue;
        const m = from.exec(chunk.code);
        if (!m) continue;
        const bindings = m[1]!.split(',').map((p) => p.trim().split(/\s+as\s+/)).map(([name, local]) => [name!, local ?? name!] as const);
        const decls = bindings.map(([name, local]) => `function ${local}(...a){return ${holder}()[${JSON.stringify(name)}](...a)}`).join('');
        const map = /\n\/\/# sourceMappingURL=.*$/.exec(chunk.code);
        const end = map ? map.index : chunk.code.length;
        chunk.code = `${chunk.code.slice(0, m.index)}${' '.repeat(m[0].length)}${chunk.code.slice(m.index + m[0].length, end)}\n${decls}function ${holder}(){return ${holder}.v??=(()=>{${body}})()}${chunk.code.slice(end)}`;
        chunk.imports = chunk.imports.filter((i) => i !== runtime.fileName);
      }
      const users = Object.values(bundle).filter((c) => c.type === 'chunk' && c.code.includes(file));
      if (users.length) throw new Error(`vite.config.ts: ${users.map((c) => c.fileName).join(', ')} still import ${file}`);
      delete bundle[runtime.fileName];
      delete bundle[`${runtime.fileName}.map`];
    },
  };
}

/** The build's files that a server sends compressed: text and WASM, not source maps, and not tiny ones. */
const COMPRESSIBLE = /\.(js|wasm|json|svg)$/;
const MIN_COMPRESS_BYTES = 1024;

/**
 * Writes `X.br` (brotli, quality 11) and `X.gz` (gzip, level 9) beside each compressible file of the build
 * (`COMPRESSIBLE`, at least `MIN_COMPRESS_BYTES`), for a server that sends them to a browser that accepts
 * them instead of compressing on every request (docs/deployment.md). Runs after the other plugins wrote
 * their files (`integrity.json`); a file's `.br` and `.gz` always hold the same bytes it does, decoded.
 */
function precompress(): Plugin {
  return {
    name: 'edge-recs:precompress',
    writeBundle: {
      order: 'post',
      handler(options) {
        const dir = options.dir ?? 'dist';
        for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
          if (!entry.isFile() || !COMPRESSIBLE.test(entry.name)) continue;
          const path = join(entry.parentPath, entry.name);
          const bytes = readFileSync(path);
          if (bytes.byteLength < MIN_COMPRESS_BYTES) continue;
          // A copy no smaller than the file is not written: the server then sends the file itself.
          const br = brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength } });
          const gz = gzipSync(bytes, { level: 9 });
          if (br.byteLength < bytes.byteLength) writeFileSync(`${path}.br`, br);
          if (gz.byteLength < bytes.byteLength) writeFileSync(`${path}.gz`, gz);
        }
      },
    },
  };
}

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
        codeSplitting: {
          groups: [
            { name: 'attribution', test: LOADER_SHARED, priority: 2 },
            { name: chunkOf(), debugName: 'app and tfjs', priority: 1 },
          ],
        },
      },
    },
  },
  // Workers as ES modules (they start as module workers, `widget/workers/start.ts`), so the heavy-work
  // worker's GPU and CPU backends stay lazy chunks of their own instead of one file holding all four;
  // minified like the rest, grouped (`workerChunks`: the worker, tfjs and the WASM backend in one file)
  // and without a helpers chunk of their own (the worker build inherits neither `build.rollupOptions` nor
  // `plugins`; `worker.plugins` makes fresh ones for each worker).
  worker: {
    format: 'es',
    plugins: () => [workerChunks(), inlineRuntimeHelpers()],
    rollupOptions: { output: { minify: mode === 'production', comments: mode !== 'production' } },
  },
  // precompress() writes last (`order: 'post'`): it compresses what the others wrote (integrity.json included).
  plugins: [tfjsWasm(), inlineRuntimeHelpers(), loaderSize(), loaderIntegrity(), precompress()],
}));
