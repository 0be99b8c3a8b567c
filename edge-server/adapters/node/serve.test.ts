import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createApp } from '../../app.ts';
import { createMemoryStorage } from '../../models/memory-storage.ts';
import { publishArtifact } from '../../models/registry.ts';
import { memoryWidget, signer, tinyArtifact } from '../../../test/support/edge-server/fixtures.ts';
import { serveNode, type NodeServer } from './serve.ts';
import { openDiskStorage } from './storage.ts';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** The app on disk storage, listening on a free port of the loopback interface. */
async function start(): Promise<{ server: NodeServer; shard: { sha256: string; bytes: number } }> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-recs-serve-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const storage = await openDiskStorage(dir);
  const { key, trusted } = await signer();
  const artifact = await tinyArtifact(key);
  await publishArtifact(storage, artifact, { trusted });
  const app = createApp({ storage, trustedKeys: trusted, widget: memoryWidget({ 'edge-recs.js': 'export {};' }) });
  const server = await serveNode({ port: 0, hostname: '127.0.0.1', app });
  cleanup.push(() => server.close());
  return { server, shard: artifact.manifest.shards[0]! };
}

function bareApp(): Hono {
  return createApp({ storage: createMemoryStorage(), trustedKeys: [], widget: memoryWidget({}) });
}

/** A request with the path sent exactly as written (fetch would normalize `..` away first). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serveNode', () => {
  it('binds port 0 to a free port and reports it in the url', async () => {
    const { server } = await start();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(new URL(server.url).port)).toBeGreaterThan(0);
    const res = await fetch(`${server.url}/healthz`);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('serves manifests with revalidation and blobs with ranges over real HTTP', async () => {
    const { server, shard } = await start();
    const manifest = await fetch(`${server.url}/v1/models/default/manifest`);
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('X-Model-Version')).toBe('v1');
    const etag = manifest.headers.get('ETag')!;
    await manifest.arrayBuffer();
    const again = await fetch(`${server.url}/v1/models/default/manifest`, { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);

    const part = await fetch(`${server.url}/v1/blobs/${shard.sha256}`, { headers: { Range: 'bytes=0-9' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('Content-Range')).toBe(`bytes 0-9/${shard.bytes}`);
    expect((await part.arrayBuffer()).byteLength).toBe(10);

    const missing = await fetch(`${server.url}/v1/models/nope/manifest`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'unknown_model' } });
  });

  it('does not serve files outside the widget for a literal or encoded ../ on the wire', async () => {
    const { server } = await start();
    for (const path of ['/widget/../package.json', '/widget/..%2Fpackage.json', '/widget/%2e%2e/%2e%2e/package.json']) {
      const res = await rawGet(server.url, path);
      expect([400, 404], path).toContain(res.status);
      expect(res.body).toMatch(/^\{"error":/);
    }
  });

  it('rejects when the port is taken, and stops serving once closed', async () => {
    const { server } = await start();
    const port = Number(new URL(server.url).port);
    const app = bareApp();
    await expect(serveNode({ port, hostname: '127.0.0.1', app })).rejects.toMatchObject({ code: 'EADDRINUSE' });

    const other = await serveNode({ port: 0, hostname: '127.0.0.1', app });
    await other.close();
    await expect(fetch(`${other.url}/healthz`)).rejects.toThrow();
  });

  it('refuses a port outside 0..65535', async () => {
    const app = bareApp();
    await expect(serveNode({ port: 70000, app })).rejects.toThrow(/port must be an integer in 0\.\.65535/);
  });
});
