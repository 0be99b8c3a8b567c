/**
 * `Engine.dispose` in real Chromium: what the engine started is cancelled (every fetch it is waiting on
 * is aborted) and what it holds is freed (the model's tensors), against the real edge server
 * (`test/support/browser/edge-server.ts`) or a fetch that never answers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { deleteDB } from 'idb';
import { deepEqual, equal, ok } from '../../test/support/browser/assert.ts';
import { WASM_PATH } from '../../test/support/browser/backends.ts';
import { afterEach, beforeEach, describe, it } from '../../test/support/browser/mocha.ts';
import { until } from '../../test/support/browser/shop-frame.ts';
import { Engine } from './engine.ts';
import { DB_NAME } from '../storage/store.ts';

const start = (server: string, warnings: string[] = []): Engine =>
  new Engine({
    config: { server, model: 'default', trusted: [], locale: 'en', consent: 'required', assetBase: WASM_PATH, backend: 'cpu' },
    warn: (message) => warnings.push(message),
    consent: { storage: false, analytics: false },
  });

interface Pending {
  path: string;
  signal: AbortSignal | undefined;
  settled: Promise<string>;
}

/** Answers no fetch: each waits until its signal aborts (then rejects, as a real fetch does). */
function hangFetches(): { pending: Pending[]; restore(): void } {
  const original = window.fetch;
  const pending: Pending[] = [];
  window.fetch = (input, init) => {
    const signal = init?.signal ?? undefined;
    const answer = new Promise<Response>((_, reject) => {
      if (signal?.aborted) reject(signal.reason);
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    const settled = answer.then(
      () => 'answered',
      (e: unknown) => (e instanceof DOMException ? e.name : String(e)),
    );
    pending.push({ path: new URL(String(input), location.href).pathname, signal, settled });
    return answer;
  };
  return { pending, restore: () => void (window.fetch = original) };
}

describe('Engine.dispose (real Chromium)', () => {
  const engines: Engine[] = [];
  const PageWorker = window.Worker;

  beforeEach(async () => {
    await deleteDB(DB_NAME);
    // As in a browser without workers: the heavy work runs on this page, where `hangFetches` and
    // `tf.memory()` see it. In its worker, `heavy-work.browser.test.ts` checks that dispose ends it.
    (window as { Worker?: typeof Worker }).Worker = undefined;
  });

  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.dispose();
    window.Worker = PageWorker;
  });

  it('aborts the catalog, aggregates, keys and manifest fetches still pending, and reports no failure for them', async () => {
    const fetches = hangFetches();
    const warnings: string[] = [];
    try {
      const engine = start('https://recs.example', warnings);
      const errors: unknown[] = [];
      engine.addEventListener('error', (e) => errors.push((e as CustomEvent).detail));
      const expected = ['/v1/catalog', '/v1/keys', '/v1/models/default/manifest', '/v1/popular'];
      await until(() => expected.every((path) => fetches.pending.some((p) => p.path === path)), 'the engine asked for the catalog, the aggregates, the keys and the model');
      ok(fetches.pending.every((p) => p.signal && !p.signal.aborted), 'every fetch has a signal, not aborted yet');
      await engine.dispose();
      deepEqual(
        await Promise.all(fetches.pending.map(async (p) => `${p.path} ${await p.settled}`)),
        fetches.pending.map((p) => `${p.path} AbortError`),
        'each pending fetch was aborted',
      );
      await new Promise((r) => setTimeout(r, 50));
      equal(engine.state.status, 'loading', 'a cancelled load is not a fallback');
      deepEqual(errors, [], 'error events');
      deepEqual(warnings, [], 'warnings');
    } finally {
      fetches.restore();
    }
  });

  it('is released by the page\'s teardown (pagehide, not kept for back/forward), not by a page kept in the back/forward cache', async () => {
    const fetches = hangFetches();
    try {
      const engine = start('https://recs.example');
      engines.push(engine);
      await until(() => fetches.pending.some((p) => p.path === '/v1/catalog'), 'the engine asked for the catalog');
      const catalog = fetches.pending.find((p) => p.path === '/v1/catalog')!;
      dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
      await new Promise((r) => setTimeout(r, 50));
      equal(catalog.signal?.aborted, false, 'kept for back/forward: the catalog fetch goes on');
      dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
      equal(await catalog.settled, 'AbortError', 'torn down: the catalog fetch');
    } finally {
      fetches.restore();
    }
  });

  it('frees every tensor of the model it ran', async () => {
    // The backend starts (and keeps its own state) on first use: measured once it runs.
    await tf.setBackend('cpu');
    await tf.ready();
    const baseline = tf.memory().numTensors;
    const engine = start('');
    await until(() => engine.state.status !== 'loading', 'the model loaded');
    equal(engine.state.status, 'ready', `model status (${engine.state.error ?? ''})`);
    const cards = await engine.recommend({ placement: 'for-you', count: 4 });
    ok(cards.length > 0, 'cards');
    ok(tf.memory().numTensors > baseline, `the model holds tensors (${tf.memory().numTensors} > ${baseline})`);
    await engine.dispose();
    equal(tf.memory().numTensors, baseline, 'tensors after dispose');
  });

  it('never keeps a model that was still loading when disposed', async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    const baseline = tf.memory().numTensors;
    const engine = start('');
    await engine.ready;
    await engine.dispose();
    // Long enough for the model to have loaded, had it gone on.
    await new Promise((r) => setTimeout(r, 2000));
    equal(engine.state.status, 'loading', 'the model never became ready');
    equal(tf.memory().numTensors, baseline, 'tensors after dispose');
  });
});
