/**
 * The edge server on each runtime it ships for, behind one small interface, so an attack harness can
 * run the same attack on both: Node (`main.ts` in a child process, over real sockets) and Workers
 * (`worker.ts` bundled as `wrangler deploy` bundles it, in workerd through Miniflare, with R2 and
 * Durable Objects simulated). Each starts with one admin token and one trusted signing key, and can
 * publish a signed model over the admin API as `edge-recs publish` does.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Miniflare } from 'miniflare';
import type { Artifact } from '../../../core/artifact/artifact.ts';
import { artifactForm } from '../../../core/artifact/upload.ts';
import { bundleWorker, startWorker } from '../edge-server/workerd.ts';
import { signer, tinyArtifact } from '../edge-server/fixtures.ts';
import { startMainProcess } from './main-process.ts';

export type RuntimeName = 'node' | 'workers';
export const RUNTIMES: readonly RuntimeName[] = ['node', 'workers'];

export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
}

export interface Runtime {
  name: RuntimeName;
  adminToken: string;
  /**
   * Headers that make a request come from client address number `n` (10.x.y.z), as the runtime's
   * trusted front sets them: `X-Forwarded-For` from nginx on Node (started with `--trust-proxy
   * 127.0.0.1`), `CF-Connecting-IP` from Cloudflare's edge on Workers.
   */
  source(n: number): Record<string, string>;
  /** One request; the answer with its body read. Never follows redirects. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Publishes the tiny test model `name`@`version` signed by the trusted key, over the admin API. */
  publish(name?: string, version?: string): Promise<void>;
  close(): Promise<void>;
}

export const ADMIN_TOKEN = 'abuse-harness-admin-token-0123456789';

let workerScript: Promise<string> | undefined;

/** A multipart artifact upload as bytes with its Content-Type (Miniflare's fetch takes no FormData of this runtime). */
async function artifactUpload(artifact: Artifact): Promise<{ type: string; body: Uint8Array<ArrayBuffer> }> {
  const form = new Request('http://form.invalid', { method: 'POST', body: artifactForm(artifact) });
  return { type: form.headers.get('Content-Type')!, body: new Uint8Array(await form.arrayBuffer()) };
}

export async function startRuntime(name: RuntimeName, options: { args?: string[] } = {}): Promise<Runtime> {
  const { key, trusted } = await signer();
  let fetchOne: (path: string, init?: RequestInit) => Promise<Response>;
  let close: () => Promise<void>;
  if (name === 'node') {
    const keyDir = await mkdtemp(join(tmpdir(), 'edge-recs-abuse-key-'));
    const pub = join(keyDir, 'key.pub.json');
    await writeFile(pub, JSON.stringify(trusted[0]));
    const server = await startMainProcess({ args: ['--admin-token', ADMIN_TOKEN, '--trusted-key', pub, '--trust-proxy', '127.0.0.1', ...(options.args ?? [])] });
    fetchOne = async (path, init = {}) => {
      const res = await fetch(`${server.url}${path}`, { ...init, redirect: 'manual' });
      const body = await res.arrayBuffer();
      return new Response(res.status === 204 || res.status === 304 ? null : body, { status: res.status, headers: res.headers });
    };
    close = async () => {
      await server.stop();
      await rm(keyDir, { recursive: true, force: true });
    };
  } else {
    const assetsDir = await mkdtemp(join(tmpdir(), 'edge-recs-abuse-assets-'));
    const mf: Miniflare = await startWorker({ script: await (workerScript ??= bundleWorker()), vars: { TRUSTED_KEYS: JSON.stringify(trusted), ADMIN_TOKENS: ADMIN_TOKEN }, assetsDir });
    fetchOne = async (path, init = {}) => {
      // https: as Cloudflare's edge hands the Worker every request of a TLS site.
      const res = await mf.dispatchFetch(`https://edge-recs.test${path}`, { ...init, redirect: 'manual' });
      const body = await res.arrayBuffer();
      return new Response(res.status === 204 || res.status === 304 ? null : body, { status: res.status, headers: res.headers as unknown as Headers });
    };
    close = async () => {
      await mf.dispose();
      await rm(assetsDir, { recursive: true, force: true });
    };
  }
  return {
    name,
    adminToken: ADMIN_TOKEN,
    source: (n) => ({ [name === 'node' ? 'X-Forwarded-For' : 'CF-Connecting-IP']: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` }),
    fetch: fetchOne,
    async publish(model = 'default', version = 'v1') {
      const upload = await artifactUpload(await tinyArtifact(key, version, 1, model));
      const res = await fetchOne(`/v1/admin/models/${model}/versions`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': upload.type }, body: upload.body });
      if (res.status !== 201 && res.status !== 200) throw new Error(`publish answered ${res.status}: ${await res.text()}`);
    },
    close,
  };
}
