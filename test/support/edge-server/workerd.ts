/**
 * Runs `worker.ts` in workerd for tests: bundled with esbuild into one ESM script, as `wrangler deploy`
 * would, and started by Miniflare with R2, Durable Objects and static assets simulated, configured from
 * the same `wrangler.toml` that deploys it.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { Miniflare, type MiniflareOptions } from 'miniflare';
import { afterAll, beforeAll } from 'vitest';
import type { Artifact } from '../../../core/artifact/artifact.ts';
import { artifactForm } from '../../../core/artifact/upload.ts';
import { ContractError } from '../../../core/errors.ts';

/** The Workers adapter: `worker.ts` and the `wrangler.toml` that deploys it. */
const HERE = new URL('../../../edge-server/adapters/workers/', import.meta.url);

/** `worker.ts` and everything it imports as one ES module; only `cloudflare:*` stays external. */
export async function bundleWorker(): Promise<string> {
  const result = await build({
    entryPoints: [new URL('worker.ts', HERE).pathname],
    bundle: true,
    format: 'esm',
    // Neutral, not node: a stray `node:*` import fails the build instead of reaching workerd.
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['cloudflare:*'],
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** What a test file on workerd works with: the bundled Worker and fresh temporary folders. */
export interface WorkerFixture {
  /** The bundle of `worker.ts` (`bundleWorker`), made once before the file's tests. */
  script(): string;
  /** A new empty folder named `prefix-…` under the file's temporary folder, which is removed after its tests. */
  dir(prefix: string): Promise<string>;
}

/** For one test file: bundles the Worker once before its tests and removes its temporary folders after them. */
export function workerFixture(): WorkerFixture {
  let script: string | undefined;
  let root: string | undefined;
  beforeAll(async () => {
    script = await bundleWorker();
    root = await mkdtemp(join(tmpdir(), 'edge-recs-worker-'));
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });
  return { script: () => script!, dir: (prefix) => mkdtemp(join(root!, `${prefix}-`)) };
}

/** The settings of `wrangler.toml` that Miniflare needs (a few flat keys: no TOML parser needed). */
export interface WranglerSettings {
  text: string;
  compatibilityDate: string;
}

export async function wranglerSettings(): Promise<WranglerSettings> {
  const text = await readFile(new URL('wrangler.toml', HERE), 'utf8');
  const date = /^compatibility_date\s*=\s*"(\d{4}-\d{2}-\d{2})"/m.exec(text)?.[1];
  if (!date) throw new Error('wrangler.toml: no compatibility_date = "YYYY-MM-DD"');
  return { text, compatibilityDate: date };
}

export interface WorkerOptions {
  script: string;
  /** Vars, as `[vars]` or `wrangler secret put` would set them. */
  vars: Record<string, string>;
  /** Directory served as static assets (the widget build). */
  assetsDir: string;
  /** Keep R2 and Durable Object state here across restarts; default: in memory, gone on dispose. */
  persistDir?: string;
}

/** Miniflare's options for the Worker as `wrangler.toml` deploys it (also for `mf.setOptions`). */
export async function miniflareOptions(options: WorkerOptions): Promise<MiniflareOptions> {
  const { compatibilityDate } = await wranglerSettings();
  const persist = options.persistDir;
  return {
    modules: true,
    script: options.script,
    compatibilityDate,
    bindings: options.vars,
    r2Buckets: ['BLOBS'],
    durableObjects: { MODELS: { className: 'ModelRegistry', useSQLite: true }, ANALYTICS: { className: 'Analytics', useSQLite: true }, SESSIONS: { className: 'AdminSessions', useSQLite: true } },
    // As `run_worker_first = true`: every request reaches the Worker, which reads files through ASSETS.
    assets: { directory: options.assetsDir, binding: 'ASSETS', routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true } },
    ...(persist ? { r2Persist: `${persist}/r2`, durableObjectsPersist: `${persist}/do` } : {}),
  };
}

/** Starts the Worker; the caller must `await mf.dispose()`, which stops workerd. */
export async function startWorker(options: WorkerOptions): Promise<Miniflare> {
  const mf = new Miniflare(await miniflareOptions(options));
  try {
    await mf.ready;
  } catch (err) {
    await mf.dispose();
    throw err;
  }
  return mf;
}

/**
 * `mf.dispatchFetch` as a plain fetch: the body is read before returning, so no response is left
 * holding a connection to workerd (which can stall `dispose`), and the result is Node's own `Response`.
 */
export async function fetchFrom(mf: Miniflare, path: string, init?: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array<ArrayBuffer> }): Promise<Response> {
  const res = await mf.dispatchFetch(`http://edge-recs.test${path}`, init);
  const body = await res.arrayBuffer();
  const empty = res.status === 204 || res.status === 304 || init?.method === 'HEAD';
  return new Response(empty ? null : body, { status: res.status, headers: res.headers as unknown as Headers });
}

/** Writes `files` (path: content) under `dir`, making folders; returns `dir`. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

/**
 * Publishes as `edge-recs publish` does, over the Worker's admin API: the Worker calls
 * `publishToRegistry` in workerd. (Calling it from Node through Miniflare's proxy of the `MODELS`
 * binding goes through Miniflare's synchronous fetcher, whose worker-thread handshake can lose a reply
 * under load and then stays out of step for the instance's life: cloudflare/workers-sdk#15552, fixed
 * only in the 5.x betas. Seen once in a loaded `npm test` run.) A refusal comes back as the
 * `ContractError` the publish path threw, from its JSON error.
 */
export async function publishOverAdminApi(mf: Miniflare, token: string, artifact: Artifact): Promise<{ created: boolean }> {
  // The multipart body as bytes: Miniflare's own fetch does not take this runtime's FormData.
  const form = new Request('http://form.invalid', { method: 'POST', body: artifactForm(artifact) });
  const res = await fetchFrom(mf, `/v1/admin/models/${artifact.manifest.name}/versions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': form.headers.get('Content-Type')! },
    body: new Uint8Array(await form.arrayBuffer()),
  });
  const body = (await res.json()) as { created?: boolean; error?: { code: string; message: string } };
  if (body.error) throw new ContractError(body.error.code, body.error.message);
  if (!res.ok || typeof body.created !== 'boolean') throw new Error(`publish answered ${res.status}: ${JSON.stringify(body)}`);
  return { created: body.created };
}
