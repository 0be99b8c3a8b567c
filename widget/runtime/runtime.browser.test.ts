/**
 * The model runtime in real Chromium against the real edge server (`test/support/browser/edge-server.ts`):
 * the IndexedDB model cache with ETag revalidation, and recovery when the GPU device is lost.
 */
import * as tf from '@tensorflow/tfjs-core';
import { deleteDB } from 'idb';
import { deepEqual, equal, ok } from '../../test/support/browser/assert.ts';
import { WASM_PATH } from '../../test/support/browser/backends.ts';
import { afterEach, beforeEach, describe, it } from '../../test/support/browser/mocha.ts';
import { until } from '../../test/support/browser/shop-frame.ts';
import { DB_NAME, openProfileStore, type ProfileStore } from '../storage/store.ts';
import { HARDWARE_MAX_AGE_MS, startRuntime, type Hardware, type Runtime, type RuntimeOptions } from './index.ts';

const HISTORY = ['p01', 'p04', 'p02'];
const source: RuntimeOptions = { server: '', model: 'default', trusted: [], assetBase: WASM_PATH };

/** Records every fetch of the page as `status path`. */
function recordFetches(): { log: string[]; restore(): void } {
  const original = window.fetch;
  const log: string[] = [];
  window.fetch = async (input, init) => {
    const res = await original(input, init);
    log.push(`${res.status} ${new URL(res.url || String(input), location.href).pathname}`);
    return res;
  };
  return { log, restore: () => void (window.fetch = original) };
}

const ids = (top: Array<{ id: string }>): string[] => top.map((t) => t.id);

describe('model runtime (real Chromium, real edge server)', () => {
  let store: ProfileStore | undefined;
  const runtimes: Runtime[] = [];

  beforeEach(async () => {
    await deleteDB(DB_NAME);
  });

  afterEach(async () => {
    for (const r of runtimes.splice(0)) r.dispose();
    store?.close();
    store = undefined;
    await deleteDB(DB_NAME);
  });

  it('caches the manifest and files in IndexedDB: a repeat visit revalidates with a 304 and downloads no model bytes', async () => {
    store = await openProfileStore();
    const fetches = recordFetches();
    try {
      const first = await startRuntime({ ...source, backend: 'wasm', cache: store.cache });
      runtimes.push(first);
      equal(first.loadStats.manifest, 'network', 'first load: manifest');
      ok(first.loadStats.filesFetched >= 2 && first.loadStats.bytesFetched > 0, `first load fetched the files (${JSON.stringify(first.loadStats)})`);
      deepEqual(fetches.log.filter((f) => f.includes('/v1/blobs')), ['200 /v1/blobs'], 'the files in one request');
      const before = fetches.log.length;
      const second = await startRuntime({ ...source, backend: 'wasm', cache: store.cache });
      runtimes.push(second);
      deepEqual(second.loadStats, { manifest: 'revalidated', filesFromCache: first.loadStats.filesFetched, filesFetched: 0, bytesFetched: 0 }, 'repeat load');
      const repeat = fetches.log.slice(before);
      ok(repeat.includes('304 /v1/models/default/manifest'), `the manifest was revalidated with a 304 (got ${repeat.join(', ')})`);
      ok(!repeat.some((f) => f.includes('/v1/blobs')), `no model file requested (got ${repeat.join(', ')})`);
      deepEqual(ids(await second.recommend(HISTORY, 5, new Set())), ids(await first.recommend(HISTORY, 5, new Set())), 'same recommendations from cached bytes');
    } finally {
      fetches.restore();
    }
  });

  it('asks for each file on its own where the server has no batch route (an older edge server)', async () => {
    const original = window.fetch;
    const log: string[] = [];
    window.fetch = async (input, init) => {
      const url = new URL(String(input), location.href);
      if (url.pathname === '/v1/blobs') {
        log.push('404 batch');
        return new Response('{"error":"not_found"}', { status: 404 });
      }
      const res = await original(input, init);
      if (url.pathname.startsWith('/v1/blobs/')) log.push(`${res.status} blob`);
      return res;
    };
    try {
      const runtime = await startRuntime({ ...source, backend: 'wasm' });
      runtimes.push(runtime);
      ok(runtime.loadStats.filesFetched >= 2, `files fetched (${JSON.stringify(runtime.loadStats)})`);
      deepEqual(log, ['404 batch', ...Array.from({ length: runtime.loadStats.filesFetched }, () => '200 blob')], 'the batch, then each file');
      equal((await runtime.recommend(HISTORY, 5, new Set())).length, 5, 'the model ranks');
    } finally {
      window.fetch = original;
    }
  });

  it('verifies cached files like downloaded ones and downloads again over a corrupted cache', async () => {
    store = await openProfileStore();
    const first = await startRuntime({ ...source, backend: 'wasm', cache: store.cache });
    runtimes.push(first);
    // Corrupt every cached file (same size, wrong bytes), as a disk error or a tampering extension would.
    const db = await new Promise<IDBDatabase>((resolve) => {
      const req = indexedDB.open(DB_NAME);
      req.onsuccess = () => resolve(req.result);
    });
    await new Promise<void>((resolve) => {
      const tx = db.transaction('blobs', 'readwrite');
      const blobs = tx.objectStore('blobs');
      const cursor = blobs.openCursor();
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c) return;
        const value = c.value as { bytes: Uint8Array; at: number };
        c.update({ ...value, bytes: new Uint8Array(value.bytes.byteLength).fill(42) });
        c.continue();
      };
      tx.oncomplete = () => resolve();
    });
    db.close();
    const again = await startRuntime({ ...source, backend: 'wasm', cache: store.cache });
    runtimes.push(again);
    equal(again.loadStats.filesFromCache, 0, 'files taken from the corrupted cache');
    ok(again.loadStats.filesFetched >= 2, 'files downloaded again');
    deepEqual(ids(await again.recommend(HISTORY, 5, new Set())), ids(await first.recommend(HISTORY, 5, new Set())), 'recommendations');
  });

  it('moves to the next backend and keeps recommending when the WebGPU device is lost (device.destroy())', async () => {
    let changed: (v: string) => void = () => undefined;
    const switched = new Promise<string>((resolve) => (changed = resolve));
    const runtime = await startRuntime({ ...source, backend: 'webgpu', onBackendChange: (b, reason) => changed(`${b}: ${reason}`) });
    runtimes.push(runtime);
    equal(runtime.backend, 'webgpu', 'backend before the loss');
    const before = ids(await runtime.recommend(HISTORY, 5, new Set(['p03'])));
    (tf.backend() as unknown as { device: { destroy(): void } }).device.destroy();
    const note = await switched;
    ok(note.startsWith('wasm: WebGPU device lost'), `backend change reported (got "${note}")`);
    equal(runtime.backend, 'wasm', 'backend after the loss');
    deepEqual(ids(await runtime.recommend(HISTORY, 5, new Set(['p03']))), before, 'same recommendations on the new backend');
  });

  it('moves to the next backend when the WebGL context is lost (WEBGL_lose_context)', async () => {
    let changed: (v: string) => void = () => undefined;
    const switched = new Promise<string>((resolve) => (changed = resolve));
    const runtime = await startRuntime({ ...source, backend: 'webgl', onBackendChange: (b, reason) => changed(`${b}: ${reason}`) });
    runtimes.push(runtime);
    equal(runtime.backend, 'webgl', 'backend before the loss');
    const before = ids(await runtime.recommend(HISTORY, 5, new Set()));
    const gl = (tf.backend() as unknown as { gpgpu: { gl: WebGL2RenderingContext } }).gpgpu.gl;
    gl.getExtension('WEBGL_lose_context')!.loseContext();
    const note = await switched;
    ok(note.startsWith('wasm: WebGL context lost'), `backend change reported (got "${note}")`);
    deepEqual(ids(await runtime.recommend(HISTORY, 5, new Set())), before, 'same recommendations on the new backend');
  });

  it('probes the GPU once when nothing is kept, starts on a kept result without probing, and re-probes a day-old one after loading', async () => {
    const probed: Hardware[] = [];
    const cold = await startRuntime({ ...source, onHardware: (h) => probed.push(h) });
    runtimes.push(cold);
    equal(probed.length, 1, 'probes reported on a first visit');
    ok(typeof probed[0]!.webgpu === 'boolean' && typeof probed[0]!.webgl === 'boolean', `probe result (${JSON.stringify(probed[0])})`);

    const none = { webgpu: false, webgl: false };
    const freshReports: Hardware[] = [];
    const staleReports: Hardware[] = [];
    const fresh = await startRuntime({ ...source, hardware: { ...none, at: Date.now() }, onHardware: (h) => freshReports.push(h) });
    runtimes.push(fresh);
    equal(fresh.backend, 'wasm', 'a kept "no hardware GPU" starts on WASM');
    const stale = await startRuntime({ ...source, hardware: { ...none, at: Date.now() - HARDWARE_MAX_AGE_MS - 1 }, onHardware: (h) => staleReports.push(h) });
    runtimes.push(stale);
    equal(staleReports.length, 0, 'a stale result is not re-probed before the model is ready');
    await until(() => staleReports.length === 1, 'the stale result is probed again once the page is idle');
    deepEqual(freshReports, [], 'a fresh result is not probed again');
    ok(staleReports[0]!.at > Date.now() - 60_000, 'the new result is dated now');
  });
});
