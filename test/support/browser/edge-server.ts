/**
 * Node side of the browser tests (loaded by `web-test-runner.config.mjs` through `tsImport`): the real edge
 * server app (`createApp`, memory storage) with a tiny signed model published and the test shop's catalog,
 * so the loader under test talks to exactly what production serves. No part of our code is mocked.
 *
 * - `/v1/*` and `/widget/*`: the app, with `/widget/*` serving `dist/` (`npm run build`: the production
 *   loader, as merchants ship it) as it was at the first request for it, held in memory
 *   (`test/support/widget-snapshot.ts`), so a build during the run cannot take it away from a page.
 * - `/dev/widget/*`: the same app serving a development build of the widget (`__EDGE_RECS_DEV__` true, so
 *   its warnings can be asserted), bundled and code-split by esbuild on first request.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { workerUrlPlugin } from './worker-url-plugin.ts';
import { buildArtifact } from '../../../core/artifact/artifact.ts';
import { generateKeyFile } from '../../../core/artifact/signing.ts';
import type { ModelConfig } from '../../../core/model/config.ts';
import { buildItemFeatures, productFeatureNames } from '../../../core/model/features.ts';
import { initWeights } from '../../../core/model/weights.ts';
import { createApp } from '../../../edge-server/app.ts';
import { catalogJson, createMemoryCatalog } from '../../../edge-server/catalog/store.ts';
import { createMemoryStorage } from '../../../edge-server/models/memory-storage.ts';
import { publishArtifact } from '../../../edge-server/models/registry.ts';
import type { WidgetFile, WidgetFiles } from '../../../edge-server/models/widget-files.ts';
import { snapshotWidget } from '../widget-snapshot.ts';
import { ADMIN_TOKEN, CONTENT_MODEL, CONTENT_MODEL_ITEMS, PRODUCT_IDS, TEST_CATALOG } from './shop-fixture.ts';

/** Small enough to load in milliseconds on the WASM backend; large enough to rank the whole test catalog. */
const MODEL: ModelConfig = { numItems: PRODUCT_IDS.length, dim: 8, blocks: 1, heads: 1, maxLen: 10 };
const WASM_DIR = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', wasm: 'application/wasm', map: 'application/json; charset=utf-8' };

/**
 * The widget built for development, in memory: the same entry and lazy split as `vite.config.ts`, with
 * `__EDGE_RECS_DEV__` true. Built once, on first request.
 */
function devWidget(root: string): WidgetFiles {
  let files: Promise<Map<string, Uint8Array>> | undefined;
  const build = async (): Promise<Map<string, Uint8Array>> => {
    const outdir = join(root, '.dev-widget');
    const result = await esbuild.build({
      entryPoints: { 'edge-recs': join(root, 'widget/index.ts') },
      absWorkingDir: root,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outdir,
      chunkNames: 'chunks/[name]-[hash]',
      write: false,
      logLevel: 'silent',
      define: { __EDGE_RECS_DEV__: 'true', 'process.env.NODE_ENV': '"development"' },
      plugins: [workerUrlPlugin(root)],
    });
    const out = new Map<string, Uint8Array>();
    for (const file of result.outputFiles) out.set(file.path.slice(outdir.length + 1), file.contents);
    for (const name of WASM_FILES) out.set(name, new Uint8Array(await readFile(join(root, WASM_DIR, name))));
    return out;
  };
  return {
    async get(path): Promise<WidgetFile | null> {
      files ??= build();
      const body = (await files).get(path);
      return body ? { body, contentType: TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream' } : null;
    },
  };
}

/**
 * The production build in `dist/`, snapshotted at the first request for a widget file (test files that
 * never load the production widget need no build). A snapshot that failed (no complete build within its
 * wait) is tried again at the next request.
 */
function prodWidget(dist: string): WidgetFiles {
  let snapshot: Promise<WidgetFiles> | undefined;
  return {
    async get(path) {
      snapshot ??= snapshotWidget(dist).catch((e: unknown) => {
        snapshot = undefined;
        throw e;
      });
      return (await snapshot).get(path);
    },
  };
}

export interface TestEdgeServer {
  /** Answers a request for `/v1/*`, `/widget/*` or `/dev/widget/*`. */
  fetch(request: Request): Promise<Response>;
}

/** Publishes a freshly signed tiny model (two versions) and returns the server for the production and development widgets. */
export async function startTestEdgeServer(root: string): Promise<TestEdgeServer> {
  const key = await generateKeyFile();
  const trustedKeys = [{ keyId: key.keyId, publicKey: key.publicKey }];
  const storage = createMemoryStorage();
  // `v2` is published first, so `v1` (published last) is the current version: `v2` is there for the
  // canary tests to serve to part of the buckets (`PUT /v1/admin/models/default/canary`).
  for (const [version, seed] of [['v2', 8], ['v1', 7]] as const) {
    const artifact = await buildArtifact(
      // A chosen-next table with no pairs: a file like any other for the loader and its cache, no claim in copy.
      { name: 'default', version, config: MODEL, itemIds: PRODUCT_IDS, weights: initWeights(MODEL, seed), quantization: 'float32', nextSteps: { window: 1, minUsers: 5, perItem: 20, next: new Map() } },
      key,
    );
    await publishArtifact(storage, artifact, { trusted: trustedKeys });
  }
  // A model with content features that knows part of the catalog (`CONTENT_MODEL`), uint8 as shipped.
  const trained = TEST_CATALOG.products.filter((p) => CONTENT_MODEL_ITEMS.includes(p.id));
  const features = buildItemFeatures(trained.map(productFeatureNames), 1);
  const content: ModelConfig = { ...MODEL, numItems: trained.length, numFeatures: features.names.length };
  await publishArtifact(
    storage,
    await buildArtifact({ name: CONTENT_MODEL, version: 'c1', config: content, itemIds: CONTENT_MODEL_ITEMS, weights: initWeights(content, 9), quantization: 'uint8', features, coldItems: ['p08'] }, key),
    { trusted: trustedKeys },
  );
  // The app's own catalog route (`GET /v1/catalog`) serves the test shop, as a merchant's upload would.
  const catalog = createMemoryCatalog();
  await catalog.put(catalogJson(TEST_CATALOG));
  // The admin token lets widget tests read the metrics the widget sent (every count shown: no suppression)
  // and set the bestseller list `/v1/popular` serves.
  const ops = { catalog, adminTokens: [ADMIN_TOKEN], analytics: { suppressBelow: 1 } };
  const prod = createApp({ storage, trustedKeys, widget: prodWidget(join(root, 'dist')), ...ops });
  const dev = createApp({ storage, trustedKeys, widget: devWidget(root), ...ops });
  return {
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname.startsWith('/dev/widget/')) {
        url.pathname = url.pathname.slice('/dev'.length);
        return dev.fetch(new Request(url, request));
      }
      const res = await prod.fetch(request);
      // Tests change the bestseller list between pages; the browser must not keep an older answer.
      if (url.pathname === '/v1/popular') {
        const fresh = new Response(res.body, res);
        fresh.headers.set('cache-control', 'no-store');
        return fresh;
      }
      return res;
    },
  };
}
