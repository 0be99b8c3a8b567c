// Real-browser test rig: `npx wtr` (the last step of `npm test`).
//
// Runs `test/browser/**/*.test.ts` and `widget/**/*.browser.test.ts` with Mocha in headless Debian
// Chromium (`/usr/bin/chromium`, or `CHROMIUM_PATH`), one file at a time, on all four tfjs backends.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as esbuild from 'esbuild';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { tsImport } from 'tsx/esm/api';

const rootDir = path.dirname(fileURLToPath(import.meta.url));

/**
 * Serves every requested `.ts` file as one self-contained ES module bundled by esbuild.
 *
 * Why bundle instead of wtr's esbuild plugin (`@web/dev-server-esbuild`) or `@web/dev-server-rollup`'s
 * commonjs plugin: tfjs-core pulls in CommonJS packages (`long`, `seedrandom`) and tfjs-backend-wasm
 * ships Emscripten glue that mentions Node built-ins behind `browser` field mappings. The per-file
 * transform plugins leave bare and CommonJS imports for the browser to resolve, and the rollup
 * commonjs adapter is not installed and converts module by module with interop edge cases. esbuild's
 * bundler already handles all of it (CommonJS interop, the `browser` field, `.ts` import
 * extensions, this repo's tsconfig) in a few hundred milliseconds per test file, with no extra
 * dependency. Each test file gets its own bundle, so every file has exactly one tfjs engine and one
 * copy of each `core/` class (`instanceof ContractError` works).
 *
 * Trade-off: in `--watch` mode only the test file itself is watched; edits to what it imports are
 * picked up on the next run, not automatically.
 *
 * Non-`.ts` requests (the WASM binaries under `/node_modules/...`, wtr's own runtime) fall through to
 * wtr's static server, which serves `rootDir`.
 * @returns {import('@web/test-runner').TestRunnerPlugin}
 */
function esbuildBundlePlugin() {
  return {
    name: 'edge-recs-esbuild-bundle',
    async serve(context) {
      if (!context.path.endsWith('.ts')) return undefined;
      const file = path.join(rootDir, decodeURIComponent(context.path));
      if (!file.startsWith(rootDir + path.sep)) return undefined;
      const result = await esbuild.build({
        entryPoints: [file],
        absWorkingDir: rootDir,
        bundle: true,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        sourcemap: 'inline',
        sourcesContent: true,
        write: false,
        logLevel: 'silent',
        plugins: [workerUrlPlugin(rootDir)],
        // tfjs reads process.env.NODE_ENV-style flags only behind typeof guards; pin the one esbuild
        // would otherwise leave as a free reference. Widget modules imported by tests run with their
        // development warnings on, as in a development build.
        define: { 'process.env.NODE_ENV': '"test"', __EDGE_RECS_DEV__: 'true' },
      });
      return { body: result.outputFiles[0].text, type: 'js' };
    },
  };
}

/** `?worker&url` imports for esbuild (see the module). */
const { workerUrlPlugin } = await tsImport('./test/support/browser/worker-url-plugin.ts', import.meta.url);

/**
 * The real edge server for the loader tests (`widget/loader/loader.browser.test.ts`): `test/support/browser/
 * edge-server.ts` runs `createApp` from `edge-server/app.ts` with memory storage, a published tiny signed
 * model and the test shop's catalog. Requests for `/v1/*`, `/widget/*` (the production build in `dist/`)
 * and `/dev/widget/*` (a development build) go to it; everything else falls through to wtr. The one
 * exception is `/widget/*.ts`: those are this repository's widget sources (test files among them), which
 * wtr serves through `esbuildBundlePlugin`. The app starts on the first such request, so test files that
 * never use it pay nothing.
 *
 * `/__shop?html=...` answers with the page given in the query: the loader tests' shop pages, which need
 * a real http URL of this origin (an `about:srcdoc` frame resolves `href="#x"` and `pushState` URLs
 * against its parent's URL, so they would navigate the frame to the test runner's own page).
 * @returns {import('@web/dev-server-core').Middleware}
 */
function edgeServerMiddleware() {
  /** @type {Promise<{ fetch(request: Request): Promise<Response> }> | undefined} */
  let server;
  return async (ctx, next) => {
    if (ctx.path === '/__shop') {
      ctx.type = 'html';
      ctx.set('cache-control', 'no-store');
      ctx.body = String(ctx.query.html ?? '');
      return;
    }
    const served = ctx.path.startsWith('/v1/') || ctx.path.startsWith('/dev/widget/') || (ctx.path.startsWith('/widget/') && !ctx.path.endsWith('.ts'));
    if (!served) return next();
    server ??= tsImport('./test/support/browser/edge-server.ts', import.meta.url).then((m) => m.startTestEdgeServer(rootDir));
    await forward(ctx, await server);
  };
}

/**
 * Answers a dev-server (Koa) request with a Web-standard app's `fetch`: the request is rebuilt as a
 * `Request` (headers and streamed body) and the `Response` copied back.
 * @param {import('koa').Context} ctx
 * @param {{ fetch(request: Request): Promise<Response> }} app
 */
async function forward(ctx, app) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(ctx.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const hasBody = ctx.method !== 'GET' && ctx.method !== 'HEAD';
  const request = new Request(new URL(ctx.url, `http://${ctx.host}`), {
    method: ctx.method,
    headers,
    ...(hasBody ? { body: Readable.toWeb(ctx.req), duplex: 'half' } : {}),
  });
  const response = await app.fetch(request);
  ctx.status = response.status;
  response.headers.forEach((value, name) => ctx.set(name, value));
  ctx.body = Buffer.from(await response.arrayBuffer());
}

/**
 * A second real edge server for the on-device training tests (`widget/training/training.browser.test.ts`),
 * under `/fed/`: `test/support/edge-server/training-server.ts` runs `createApp` with federated learning
 * on (rounds of 2 updates) and a tiny signed model, so a widget upload really goes through the intake and closes rounds.
 * Apart from the loader tests' server, so their state (keys, versions) is not changed by rounds.
 * @returns {import('@web/dev-server-core').Middleware}
 */
function federatedServerMiddleware() {
  /** @type {Promise<{ fetch(request: Request): Promise<Response> }> | undefined} */
  let server;
  return async (ctx, next) => {
    if (!ctx.path.startsWith('/fed/')) return next();
    server ??= tsImport('./test/support/edge-server/training-server.ts', import.meta.url).then((m) => m.startFederatedTestServer());
    await forward(ctx, await server);
  };
}

/**
 * A third real edge server, under `/variants/`: a shop with Merchant Center variants and ids with spaces
 * (`test/support/browser/variant-shop.ts`), for `widget/variants.browser.test.ts`. Pages point the
 * widget at it with `data-server="/variants"`; the widget itself still comes from `/widget/`.
 * @returns {import('@web/dev-server-core').Middleware}
 */
function variantShopMiddleware() {
  /** @type {Promise<{ fetch(request: Request): Promise<Response> }> | undefined} */
  let server;
  return async (ctx, next) => {
    if (!ctx.path.startsWith('/variants/')) return next();
    server ??= tsImport('./test/support/browser/variant-shop.ts', import.meta.url).then((m) => m.startVariantShop());
    const app = await server;
    await forward(ctx, { fetch: (request) => {
      const url = new URL(request.url);
      url.pathname = url.pathname.slice('/variants'.length);
      return app.fetch(new Request(url, request));
    } });
  };
}

/**
 * Chromium switches, measured with Debian Chromium 156 (headless, Playwright 1.65) in a container
 * with no GPU:
 * - `--enable-unsafe-webgpu` is the one that matters: without it `navigator.gpu.requestAdapter()`
 *   returns null on Linux and the webgpu test fails. With it the adapter is SwiftShader (Vulkan on the
 *   CPU): correct, but much slower than tfjs' CPU backend on large score matrices.
 * - WebGL: headless Chromium renders with ANGLE on SwiftShader by itself (renderer "ANGLE (Google,
 *   Vulkan 1.3.0 (SwiftShader Device (Subzero)))"), and did so here even with neither flag below and
 *   Playwright's own default `--enable-unsafe-swiftshader` removed. The two flags pin that choice for
 *   the cases that are not covered by it: Chromium dropped the *automatic* software fallback for WebGL
 *   outside headless (announced for 139, enforced by 144; `--enable-unsafe-swiftshader` opts back in,
 *   for trusted content such as tests), and on a machine with a GPU `--use-angle=swiftshader` keeps
 *   WebGL results identical to CI.
 *   Do not use `--use-angle=vulkan`: here it gives no WebGL context at all.
 * `test/support/browser/backends.ts` asserts, per test, that the requested backend really is active and
 * logs the adapter or renderer it ran on.
 */
const { CHROMIUM_ARGS, CHROMIUM_PATH, SOFTWARE_GPU_ARGS } = await tsImport('./test/support/chromium.ts', import.meta.url);
const chromiumArgs = [...CHROMIUM_ARGS, ...SOFTWARE_GPU_ARGS];

const SECOND = 1000;

/** @type {import('@web/test-runner').TestRunnerConfig} */
export default {
  rootDir,
  files: ['test/browser/**/*.test.ts', 'widget/**/*.browser.test.ts'],
  plugins: [esbuildBundlePlugin()],
  middleware: [edgeServerMiddleware(), federatedServerMiddleware(), variantShopMiddleware()],
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: {
        executablePath: CHROMIUM_PATH,
        headless: true,
        args: chromiumArgs,
      },
    }),
  ],
  // Two cores: one browser, one test file at a time; SwiftShader already uses both.
  concurrentBrowsers: 1,
  concurrency: 1,
  // Software WebGPU/WebGL are slow; these bound a hung file, not a normal run.
  browserStartTimeout: 120 * SECOND,
  testsStartTimeout: 180 * SECOND,
  testsFinishTimeout: 600 * SECOND,
  testFramework: { config: { timeout: 120 * SECOND } },
};
