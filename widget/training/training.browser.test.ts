/**
 * The on-device training step in real Chromium against the real edge server with federated learning on
 * (`test/support/edge-server/training-server.ts`, under `/fed/`): training in a module Web Worker (and the idle-time main-thread
 * fallback), the upload through `POST /v1/updates` into the federation's round, the consent gate, the
 * verified delta download after a round closes, and the backoff of a failing upload.
 */
import { deleteDB } from 'idb';
import type { Product } from '../../core/catalog.ts';
import type { ShopEvent } from '../../core/events.ts';
import { productFeatureNames } from '../../core/model/features.ts';
import { FED_PRODUCTS } from '../../test/support/fed-catalog.ts';
import { deepEqual, equal, ok } from '../../test/support/browser/assert.ts';
import { beforeEach, describe, it } from '../../test/support/browser/mocha.ts';
import { WASM_PATH } from '../../test/support/browser/backends.ts';
import { until } from '../../test/support/browser/shop-frame.ts';
import { Engine } from '../engine/engine.ts';
import { fetchModel } from '../runtime/model.ts';
import { DB_NAME } from '../storage/store.ts';
import { refreshModel } from './delta.ts';
import { admissionToken } from './admission.ts';
import { FederatedTrainer, type TrainingHost, type TrainingOutcome } from './index.ts';
import { startWorker } from '../workers/start.ts';
import { uploadUpdate } from './upload.ts';

const SERVER = `${location.origin}/fed`;
const STATE_KEY = 'edge-recs:federated';

/** The part of the page's engine the trainer reads: its config, consent and stored events. */
class Host extends EventTarget implements TrainingHost {
  readonly config = { server: SERVER, model: 'default', trusted: [] };
  federatedLearning = true;
  constructor(
    public consentState: { storage: boolean; analytics: boolean },
    private stored: ShopEvent[],
  ) {
    super();
  }
  /** The catalog the page loaded (`catalogProducts`); none unless a test sets it. */
  products: Product[] = [];
  async events(): Promise<ShopEvent[]> {
    return this.stored;
  }
  catalogProducts(): Product[] {
    return this.products;
  }
  add(event: ShopEvent): void {
    this.stored = [...this.stored, event];
    this.dispatchEvent(new Event('change'));
  }
}

const views = (...ids: string[]): ShopEvent[] => ids.map((id, i) => ({ name: 'view_item', ts: Date.now() - 1000 + i, items: [{ item_id: id }] }));
const granted = { storage: true, analytics: true };
const fast = { upload: { baseDelayMs: 20, maxDelayMs: 200 } };

async function serverState(): Promise<{ pending: number; rounds: Array<{ round: number; updates: number; version: string; status: string }> }> {
  return (await fetch(`${SERVER}/__state`)).json();
}

/** A fresh server, and no admission token kept from an earlier one (its issuer key is gone). */
async function reset(query = ''): Promise<void> {
  localStorage.removeItem(STATE_KEY);
  await deleteDB('edge-recs-admission');
  await fetch(`${SERVER}/__reset${query}`, { method: 'POST' });
}

function expectUploaded(outcome: TrainingOutcome): Extract<TrainingOutcome, { status: 'uploaded' }> {
  ok(outcome.status === 'uploaded', `expected an upload, got ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('on-device training (real worker, real edge server)', () => {
  beforeEach(async () => {
    await reset();
  });

  it('trains in a Web Worker and uploads an update that the server stores in the open round', async () => {
    const host = new Host(granted, views('p1', 'p2', 'p3', 'p4', 'p5', 'p6'));
    const trainer = new FederatedTrainer(host, fast);
    const outcome = expectUploaded(await trainer.maybeTrain());
    trainer.dispose();
    equal(outcome.place, 'worker', 'where it trained');
    equal(outcome.version, 'v1', 'base version');
    equal(outcome.upload.body.pending, 1, 'updates pending in the round (server answer)');
    ok(outcome.bytes < 20 * 1024, `update of ${outcome.bytes} bytes is under 20 KB`);
    deepEqual(await serverState(), { pending: 1, rounds: [] }, 'server state');
  });

  it('spends an admission token per upload, keeping it in IndexedDB until an upload spends it', async () => {
    const since = performance.now();
    const held = await admissionToken(SERVER);
    ok(held.ok && held.authorization?.startsWith('PrivateToken token='), `a Privacy Pass token (got ${JSON.stringify(held)})`);
    // Not spent yet: the trainer takes the stored one rather than asking again.
    const trainer = new FederatedTrainer(new Host(granted, views('p1', 'p2', 'p3')), fast);
    expectUploaded(await trainer.trainNow());
    trainer.dispose();
    const issued = performance.getEntriesByType('resource').filter((e) => e.startTime >= since && e.name.endsWith('/v1/federated/tokens'));
    equal(issued.length, 2, 'one directory read and one issuance, for one token');
    // Spent: the same token again is refused (double spend), and the device holds none now.
    const replay = await uploadUpdate(`${SERVER}/v1/updates`, new Uint8Array(10), 'device-token-0123456789', { retries: 0, authorization: held.ok ? held.authorization! : '' });
    deepEqual(replay, { status: 'refused', attempts: 1, httpStatus: 401, code: 'token_spent' }, 'the spent token replayed');
    const next = await admissionToken(SERVER);
    ok(next.ok && next.authorization !== (held.ok && held.authorization), 'a new token for the next upload');
  });

  it('takes a token out of the store when its upload starts, and puts it back only when the answer says it was not spent', async () => {
    const held = await admissionToken(SERVER);
    ok(held.ok && held.authorization, 'a token');
    await held.send();
    await held.settle('kept');
    const again = await admissionToken(SERVER);
    equal(again.ok && again.authorization, held.authorization, 'refused without spending it (a 4xx but 401, a 5xx): the same token next time');
    // The page goes away mid-upload: no answer, and the request may still have reached the server and
    // spent the token. The next page view must not send it again (a 401 in the shop's console).
    ok(again.ok, 'a token');
    await again.send();
    const next = await admissionToken(SERVER);
    ok(next.ok && next.authorization && next.authorization !== held.authorization, 'a new token, not the one whose upload had no answer');
  });

  it('sits the round out, quietly and without asking again, once this network source had its tokens for the day', async () => {
    await reset('?tokensPerDay=1');
    const first = new FederatedTrainer(new Host(granted, views('p1', 'p2', 'p3')), fast);
    expectUploaded(await first.trainNow());
    first.dispose();
    // Another device behind the same address (a fresh profile): the issuer says no.
    localStorage.removeItem(STATE_KEY);
    await deleteDB('edge-recs-admission');
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args);
    try {
      const second = new FederatedTrainer(new Host(granted, views('p4', 'p5', 'p6')), fast);
      deepEqual(await second.trainNow(), { status: 'skipped', reason: 'no_token' }, 'refused issuance');
      const since = performance.now();
      deepEqual(await second.trainNow(), { status: 'skipped', reason: 'no_token' }, 'later the same day');
      second.dispose();
      const asked = performance.getEntriesByType('resource').filter((e) => e.startTime >= since && e.name.includes('/fed/v1/'));
      deepEqual(asked.map((e) => e.name), [], 'no request after the refusal');
    } finally {
      console.warn = warn;
    }
    deepEqual(warnings, [], 'no warning');
    deepEqual(await serverState(), { pending: 1, rounds: [] }, 'one update in the round');
  });

  it('trains and sends nothing where the server said, with its manifest, that it takes no updates', async () => {
    const since = performance.now();
    const host = new Host(granted, views('p1', 'p2', 'p3', 'p4', 'p5', 'p6'));
    host.federatedLearning = false;
    const trainer = new FederatedTrainer(host, fast);
    deepEqual(await trainer.trainNow(), { status: 'skipped', reason: 'no_federation' }, 'outcome');
    const asked = performance.getEntriesByType('resource').filter((e) => e.startTime >= since && e.name.includes('/v1/'));
    deepEqual(asked.map((e) => e.name), [], 'requests to the server');
    deepEqual(await serverState(), { pending: 0, rounds: [] }, 'server state');
  });

  it('starts through a blob: bootstrap when the worker script is of another origin than the page, and the job posted at once still runs', async () => {
    // The page's origin as seen by startWorker is not the script's, as in the README deployment (the
    // import itself stays same-origin here; cross-origin with CORS: test/reliability/widget.chromium.test.ts).
    const { worker, dispose } = startWorker('/widget/training/worker.ts', 'edge-recs-training', 'https://shop.example');
    try {
      const answer = await new Promise<unknown>((resolve, reject) => {
        worker.addEventListener('message', (e) => resolve(e.data));
        worker.addEventListener('error', (e) => reject(new Error(e.message || 'worker error')));
        // Not a valid job: the worker's own answer proves the message waited for the module to load.
        worker.postMessage({});
      });
      equal((answer as { ok?: unknown }).ok, false, 'the worker module answered the held message');
    } finally {
      worker.terminate();
      dispose();
    }
  });

  it('reports a worker module that cannot be imported as the worker\'s error event (the caller then trains on the main thread)', async () => {
    const { worker, dispose } = startWorker('http://127.0.0.1:9/widget/assets/worker.js', 'edge-recs-training', 'https://shop.example');
    try {
      const failed = await new Promise<boolean>((resolve) => {
        worker.addEventListener('message', () => resolve(false));
        worker.addEventListener('error', (e) => {
          e.preventDefault();
          resolve(true);
        });
        worker.postMessage({});
      });
      ok(failed, 'error event');
    } finally {
      worker.terminate();
      dispose();
    }
  });

  it('sends nothing without consent, and starts once consent is given', async () => {
    const host = new Host({ storage: false, analytics: true }, views('p1', 'p2', 'p3', 'p4', 'p5'));
    const trainer = new FederatedTrainer(host, fast);
    const outcomes: TrainingOutcome[] = [];
    trainer.addEventListener('outcome', (e) => outcomes.push((e as CustomEvent<TrainingOutcome>).detail));
    deepEqual(await trainer.maybeTrain(), { status: 'skipped', reason: 'no_consent' }, 'without storage consent');
    host.consentState = { storage: true, analytics: false };
    host.add(views('p9')[0]!);
    deepEqual(await trainer.trainNow(), { status: 'skipped', reason: 'no_consent' }, 'without analytics consent');
    equal(localStorage.getItem(STATE_KEY), null, 'nothing written to localStorage');
    deepEqual(await serverState(), { pending: 0, rounds: [] }, 'server state without consent');
    ok(outcomes.every((o) => o.status === 'skipped'), 'every outcome so far is a skip');

    host.consentState = granted;
    expectUploaded(await trainer.maybeTrain());
    equal((await serverState()).pending, 1, 'updates pending after consent');
    trainer.dispose();
  });

  it('waits for minEvents new events after an upload', async () => {
    const host = new Host(granted, views('p1', 'p2', 'p3', 'p4', 'p5'));
    const trainer = new FederatedTrainer(host, { ...fast, minEvents: 3 });
    expectUploaded(await trainer.maybeTrain());
    host.add(views('p7')[0]!);
    deepEqual(await trainer.maybeTrain(), { status: 'skipped', reason: 'too_few_events' }, 'one new event');
    trainer.dispose();
  });

  it('trains on the main thread in idle-time steps where asked', async () => {
    const host = new Host(granted, views('p3', 'p8', 'p3', 'p9'));
    const trainer = new FederatedTrainer(host, { ...fast, place: 'main' });
    const outcome = expectUploaded(await trainer.trainNow());
    trainer.dispose();
    equal(outcome.place, 'main', 'where it trained');
    equal((await serverState()).pending, 1, 'updates pending');
  });

  it('with a model of content features, trains on a product new to it by its features: its features move, no id row is sent for it', async () => {
    await reset('?features=1');
    const host = new Host(granted, views('p3', 'p31', 'p6', 'p31', 'p9', 'p31'));
    host.products = FED_PRODUCTS;
    const trainer = new FederatedTrainer(host, { ...fast, training: { rows: 'sequence' } });
    const outcome = expectUploaded(await trainer.maybeTrain());
    trainer.dispose();
    ok(outcome.bytes < 20 * 1024, `update of ${outcome.bytes} bytes is under 20 KB`);
    const last = (await (await fetch(`${SERVER}/__last`)).json()) as { rows: number[]; featureRows: string[] };
    deepEqual(last.rows, [3, 6, 9], 'item rows: the model items the shopper viewed');
    const own = productFeatureNames(FED_PRODUCTS.find((p) => p.id === 'p31')!);
    for (const name of own) ok(last.featureRows.includes(name), `the new product's feature ${name} moved (moved: ${last.featureRows.join(', ')})`);
  });

  it('after a round closes, takes the new version as a delta verified against its signed manifest', async () => {
    const a = new FederatedTrainer(new Host(granted, views('p1', 'p2', 'p3', 'p4', 'p5')), fast);
    expectUploaded(await a.trainNow());
    // A second device (its own client token) completes the round of 2.
    localStorage.removeItem(STATE_KEY);
    const b = new FederatedTrainer(new Host(granted, views('p10', 'p11', 'p12', 'p13', 'p14')), fast);
    expectUploaded(await b.trainNow());
    b.dispose();
    const state = await serverState();
    deepEqual(state.rounds, [{ round: 1, updates: 2, version: 'fed-1', status: 'published' }], 'closed rounds');

    localStorage.removeItem(STATE_KEY);
    const again = expectUploaded(await a.trainNow());
    a.dispose();
    equal(again.modelVia, 'delta', 'how device a got the new version');
    equal(again.version, 'fed-1', 'version it trained on');
  });

  it('applies the delta to the same weights a full download gives, and takes the full model on 410 or an unsigned chain', async () => {
    const source = { server: SERVER, model: 'default', trusted: [] };
    const v1 = await fetchModel(source);
    for (const [i, ids] of [['p1', 'p2', 'p3'], ['p4', 'p5', 'p6']].entries()) {
      localStorage.removeItem(STATE_KEY);
      const t = new FederatedTrainer(new Host(granted, views(...ids, `p${20 + i}`)), fast);
      expectUploaded(await t.trainNow());
      t.dispose();
    }
    const viaDelta = await refreshModel(v1, source);
    equal(viaDelta.via, 'delta', 'v1 -> fed-1');
    equal(viaDelta.model.manifest.version, 'fed-1', 'version after the delta');
    const full = await fetchModel(source);
    let worst = 0;
    for (const [name, t] of full.weights) {
      const mine = viaDelta.model.weights.get(name)!.values;
      t.values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - mine[i]!))));
    }
    ok(worst < 1e-3, `delta-applied weights within float16 rounding of the full download (worst ${worst})`);
    ok(viaDelta.deltaBytes! < full.manifest.shards.reduce((n, s) => n + s.bytes, 0), 'the delta is smaller than the weights');

    equal((await refreshModel({ ...v1, manifest: { ...v1.manifest, version: 'never-published' } }, source)).via, 'full', 'unknown version (410)');
    equal((await refreshModel(viaDelta.model, source)).via, 'current', 'already current (204)');

    // A second round: from v1 the server composes two rounds, which no signed manifest names.
    for (const [i, ids] of [['p7', 'p8'], ['p9', 'p10']].entries()) {
      localStorage.removeItem(STATE_KEY);
      const t = new FederatedTrainer(new Host(granted, views(...ids, `p${25 + i}`)), fast);
      expectUploaded(await t.trainNow());
      t.dispose();
    }
    const twoBehind = await refreshModel(v1, source);
    equal(twoBehind.via, 'full', 'v1 -> fed-2 (two rounds composed, not signed)');
    equal(twoBehind.model.manifest.version, 'fed-2', 'version after the full download');
    equal((await refreshModel(viaDelta.model, source)).via, 'delta', 'fed-1 -> fed-2');
  });
});

describe('on-device training in the page\'s engine', () => {
  const start = (consent: { storage: boolean; analytics: boolean }): Engine =>
    new Engine({
      config: { server: SERVER, model: 'default', trusted: [], locale: 'en', consent: consent.storage ? 'granted' : 'required', assetBase: WASM_PATH, backend: 'cpu' },
      warn: () => undefined,
      consent,
    });
  const viewAll = async (engine: Engine, ids: string[]): Promise<void> => {
    for (const id of ids) await engine.track('view_item', { items: [{ item_id: id }] });
  };
  const trainerOf = async (engine: Engine): Promise<NonNullable<Engine['trainer']>> => {
    for (let i = 0; i < 200 && !engine.trainer; i++) await new Promise((r) => setTimeout(r, 50));
    ok(engine.trainer, 'the engine started its trainer once the model loaded and the device held 5 interest events');
    return engine.trainer;
  };

  beforeEach(async () => {
    indexedDB.deleteDatabase(DB_NAME);
    await reset();
  });

  it('loads the training chunk only once the device holds 5 interest events, then uploads, and the server counts it', async () => {
    const engine = start(granted);
    await until(() => engine.state.status === 'ready', 'the model loaded');
    await viewAll(engine, ['p1', 'p2', 'p3', 'p4']);
    await new Promise((r) => setTimeout(r, 500));
    equal(engine.trainer, undefined, 'no trainer (and no training chunk) with 4 events: nothing to train on yet');
    await viewAll(engine, ['p5']);
    const trainer = await trainerOf(engine);
    // The trainer's first attempt runs as it attaches, on the 5 events already stored.
    await until(async () => (await serverState()).pending === 1, 'the update reached the server');
    const again = await trainer.maybeTrain();
    equal(again.status, 'skipped', 'no second update without new events');
    trainer.dispose();
  });

  it('learns from the manifest answer whether the server takes updates, and starts no trainer where it does not', async () => {
    const federated = start(granted);
    await until(() => federated.state.status === 'ready', 'the model loaded from the federated server');
    ok(federated.federatedLearning, 'the federated server says so with its manifest');
    // The loader tests' edge server (same origin, /v1/*) runs without federated learning.
    const since = performance.now();
    const plain = new Engine({
      config: { server: '', model: 'default', trusted: [], locale: 'en', consent: 'granted', assetBase: WASM_PATH, backend: 'cpu' },
      warn: () => undefined,
      consent: granted,
    });
    await until(() => plain.state.status === 'ready', 'the model loaded from the server without federated learning');
    await viewAll(plain, ['p01', 'p02', 'p03', 'p04', 'p05', 'p06']);
    await new Promise((r) => setTimeout(r, 500));
    equal(plain.federatedLearning, false, 'federated learning off');
    equal(plain.trainer, undefined, 'no trainer');
    const updates = performance.getEntriesByType('resource').filter((e) => e.startTime >= since && e.name.includes('/v1/updates'));
    deepEqual(updates.map((e) => e.name), [], 'requests to /v1/updates');
    await viewAll(federated, ['p1', 'p2', 'p3', 'p4', 'p5']);
    (await trainerOf(federated)).dispose();
  });

  it('uploads nothing without consent, however many events', async () => {
    const engine = start({ storage: false, analytics: false });
    await until(() => engine.state.status === 'ready', 'the model loaded');
    await viewAll(engine, ['p1', 'p2', 'p3', 'p4', 'p5']);
    const trainer = await trainerOf(engine);
    const outcomes: TrainingOutcome[] = [];
    trainer.addEventListener('outcome', (e) => outcomes.push((e as CustomEvent<TrainingOutcome>).detail));
    await viewAll(engine, ['p6', 'p7']);
    await new Promise((r) => setTimeout(r, 500));
    ok(outcomes.length > 0 && outcomes.every((o) => o.status === 'skipped' && o.reason === 'no_consent'), `outcomes ${JSON.stringify(outcomes)}`);
    deepEqual(await serverState(), { pending: 0, rounds: [] }, 'server state');
    trainer.dispose();
  });
});

describe('update upload', () => {
  it('retries a failing upload with backoff, then gives up without throwing', async () => {
    const started = performance.now();
    const result = await uploadUpdate('http://127.0.0.1:9/v1/updates', new Uint8Array(10), 'device-token-0123456789', { retries: 3, baseDelayMs: 50, maxDelayMs: 100, random: () => 1 });
    equal(result.status, 'gave_up', 'status');
    equal(result.attempts, 4, 'attempts');
    ok(performance.now() - started >= 50 + 100 + 100, 'waited the backoff between attempts');
  });

  it('does not retry an update the server refuses for good', async () => {
    await reset();
    const admitted = await admissionToken(SERVER);
    ok(admitted.ok && admitted.authorization, 'a token');
    const result = await uploadUpdate(`${SERVER}/v1/updates`, new Uint8Array(10), 'device-token-0123456789', { retries: 3, baseDelayMs: 50, authorization: admitted.authorization! });
    deepEqual(result, { status: 'refused', attempts: 1, httpStatus: 400, code: 'bad_update' }, 'result');
    const tokenless = await uploadUpdate(`${SERVER}/v1/updates`, new Uint8Array(10), 'device-token-0123456789', { retries: 3, baseDelayMs: 50 });
    deepEqual(tokenless, { status: 'refused', attempts: 1, httpStatus: 401, code: 'token_required' }, 'without a token');
  });
});
