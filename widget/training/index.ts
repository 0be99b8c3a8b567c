/**
 * The widget's on-device training step (federated learning, issue 6): with consent, after enough new
 * events, fine-tune the published model on the shopper's own sequence in a Web Worker, and upload the
 * clipped, sparse update to `POST /v1/updates` when the page is idle. Raw events never leave the device;
 * what does is described in `core/federated/client.ts` and docs/federated-learning.md ("Federated learning and privacy").
 *
 * Lazy chunk: the engine imports it only once its model has loaded. Nothing here throws into the page:
 * every failure becomes an `error` event on the trainer (and a development-build warning).
 */
import type { TrustedKey } from '../../core/artifact/signing.ts';
import { groupEvents, type Product } from '../../core/catalog.ts';
import { interestSequence, type ShopEvent } from '../../core/events.ts';
import { CLIENT_ENCODING } from '../../core/federated/client-options.ts';
import type { EncodeOptions } from '../../core/federated/codec.ts';
import { NONCE_BYTES } from '../../core/federated/wire.ts';
import { contentItems } from '../runtime/content-items.ts';
import type { DeviceModel } from './delta.ts';
import { MIN_TRAINING_EVENTS, type JobOptions, type TrainingJob } from './protocol.ts';
import { runTraining, type Place } from './run.ts';
import { uploadUpdate, type UploadOptions, type UploadResult } from './upload.ts';

/** What the trainer needs from the page's engine (`Engine` satisfies it). */
export interface TrainingHost extends EventTarget {
  readonly config: { server: string; model: string; trusted: readonly TrustedKey[] };
  /** Consent as the widget last read it: training runs and uploads only while both are granted. */
  readonly consentState: { storage: boolean; analytics: boolean };
  /** The shopper's stored events, oldest first. */
  events(): Promise<ShopEvent[]>;
  /**
   * Whether the edge server takes updates, as it said with the model's manifest (`X-Federated-Learning`).
   * Where it does not, nothing is trained or sent: asking would cost the shopper a failed request.
   */
  readonly federatedLearning: boolean;
  /**
   * The model's item id for an event's item id, as ranking asks the model (`Engine.modelItem`): its variant
   * group, read as a variant the model knows where the model's items are variant ids (`model-items.ts`).
   * Default: the id itself.
   */
  readonly modelItem?: (id: string) => string;
  /**
   * The device is in the control arm of a holdout experiment (`Engine.holdout`): it neither trains nor
   * uploads, so the model the treatment arm is measured on learns nothing from control shoppers. Default false.
   */
  readonly holdout?: boolean;
  /**
   * The shop's products as this page loaded them (`Engine.catalogProducts`): a model with content features
   * trains on the ones new to it too, by their features, as it ranks them (`runtime/content-items.ts`).
   * Default: none.
   */
  catalogProducts?(): Product[];
}

interface TrainingOptions {
  /**
   * New interest events (views, selects, add-to-carts, purchases) since the last update before the next
   * one trains. Default 5: fewer teaches the model almost nothing new and costs the shopper a training
   * run and an upload; many more and most shoppers never contribute.
   * @example { minEvents: 10 }
   */
  minEvents: number;
  /**
   * Where the training runs. Default `worker`: a module Web Worker, falling back to idle-time chunks on the
   * main thread where workers are unavailable. `main` forces the fallback.
   * @example { place: 'main' }
   */
  place: Place;
  /** Local training (`trainClientUpdate` options). Default: `CLIENT_DEFAULTS`. @example { training: { steps: 3 } } */
  training: JobOptions;
  /** Update encoding. Default `CLIENT_ENCODING` (int8; every dense value when they fit 12 KB, else the largest that do). @example { encoding: { values: 'float16' } } */
  encoding: EncodeOptions;
  /** Upload retries and backoff (`UPLOAD_DEFAULTS`). @example { upload: { retries: 2 } } */
  upload: Partial<UploadOptions>;
}

const TRAINING_DEFAULTS: TrainingOptions = { minEvents: MIN_TRAINING_EVENTS, place: 'worker', training: {}, encoding: CLIENT_ENCODING, upload: {} };

/** What one training attempt did (the detail of the trainer's `outcome` event). */
export type TrainingOutcome =
  | { status: 'uploaded'; version: string; bytes: number; place: Place; modelVia: 'current' | 'delta' | 'full'; upload: Extract<UploadResult, { status: 'accepted' }> }
  /** `no_token`: the server gave this network source no admission token today (it had its share): this device sits the round out. */
  /** `holdout`: the device is in an experiment's control arm (`TrainingHost.holdout`). */
  | { status: 'skipped'; reason: 'no_consent' | 'too_few_events' | 'short_history' | 'no_federation' | 'no_token' | 'holdout' }
  | { status: 'failed'; reason: string };

const STATE_KEY = 'edge-recs:federated';
const DAY_MS = 86_400_000;

interface StoredState {
  /** Interest events counted at the last update. */
  trainedAt: number;
  /** The anonymous client token and the day it was made (rotated daily; never tied to a user). */
  token: string;
  day: number;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The on-device trainer of one page. Events: `outcome` (CustomEvent<TrainingOutcome>), `error` (CustomEvent<string>). */
export class FederatedTrainer extends EventTarget {
  readonly options: TrainingOptions;
  private model: DeviceModel | null = null;
  private running: Promise<TrainingOutcome> | null = null;
  /** The attempt queued behind `running` by calls made while it ran. */
  private rerun: Promise<TrainingOutcome> | null = null;
  private readonly abort = new AbortController();
  private readonly onChange = (): void => void this.maybeTrain();
  /** In memory where localStorage is unavailable. */
  private memoryState: StoredState | null = null;

  constructor(
    readonly host: TrainingHost,
    options: Partial<TrainingOptions> = {},
  ) {
    super();
    this.options = { ...TRAINING_DEFAULTS, ...options };
    host.addEventListener('change', this.onChange);
  }

  /** Stops listening and cancels a training or upload in flight. */
  dispose(): void {
    this.stop();
    this.abort.abort(new DOMException('trainer disposed', 'AbortError'));
  }

  /** Stops listening: no new run starts, and one in flight finishes (the page is going: its upload is sent with `keepalive`). */
  stop(): void {
    this.host.removeEventListener('change', this.onChange);
  }

  /** Trains if consent is granted and enough new events arrived; otherwise does nothing. Never rejects. */
  async maybeTrain(): Promise<TrainingOutcome> {
    return this.train(false);
  }

  /** One attempt now, ignoring the event threshold (consent still required). Never rejects. */
  trainNow(): Promise<TrainingOutcome> {
    return this.train(true);
  }

  private consented(): boolean {
    const c = this.host.consentState;
    return c.storage && c.analytics;
  }

  private train(force: boolean): Promise<TrainingOutcome> {
    if (!this.consented()) return Promise.resolve(this.report({ status: 'skipped', reason: 'no_consent' }));
    if (this.host.holdout === true) return Promise.resolve(this.report({ status: 'skipped', reason: 'holdout' }));
    // One attempt at a time. A call during one runs again once it ends: the attempt in flight read the
    // events before this call's change (the event that reaches the threshold would otherwise wait for the
    // next one). Calls during one attempt share that one rerun.
    if (this.running) {
      if (force) return this.running.then(() => this.train(true));
      this.rerun ??= this.running.then(() => {
        this.rerun = null;
        return this.train(false);
      });
      return this.rerun;
    }
    const run = this.attempt(force)
      .catch((e: unknown): TrainingOutcome => ({ status: 'failed', reason: e instanceof Error ? e.message : String(e) }))
      .then((outcome) => this.report(outcome))
      .finally(() => (this.running = null));
    this.running = run;
    return run;
  }

  private async attempt(force: boolean): Promise<TrainingOutcome> {
    const signal = this.abort.signal;
    const events = await this.host.events();
    // Trained on the items ranking asks the model about: a view of size S and one of size M are two views of
    // the jacket, which is the model's `jacket` (trained with --catalog) or a size it knows (without).
    const counted = interestSequence(this.host.modelItem ? groupEvents(events, this.host.modelItem) : events);
    const state = this.state();
    // A shorter history than last time means the shopper erased it: count from zero.
    if (counted.length < state.trainedAt) this.saveState({ ...state, trainedAt: 0 });
    if (!force && counted.length - Math.min(state.trainedAt, counted.length) < this.options.minEvents) return { status: 'skipped', reason: 'too_few_events' };
    if (!this.host.federatedLearning) {
      // A server without federated learning: stop listening, quietly (nothing is wrong with the page).
      this.dispose();
      return { status: 'skipped', reason: 'no_federation' };
    }
    const { server, model: name, trusted } = this.host.config;
    // The token first: without one there is nothing to train for. Its code loads only on this path.
    const { admissionToken } = await import('./admission.ts');
    const admitted = await admissionToken(server, signal);
    if (!admitted.ok) return { status: 'skipped', reason: 'no_token' };
    // The model's verifier and the update codec load only when a device trains (a chunk of their own).
    const { refreshModel } = await import('./delta.ts');
    const refreshed = await refreshModel(this.model, { server, model: name, trusted: [...trusted], signal });
    this.model = refreshed.model;
    const { manifest, itemIds, weights, features, coldItems } = refreshed.model;
    // A model with content features: its items, then the catalog's products new to it, as ranking reads them.
    const content = features && contentItems({ itemIds, features, ...(coldItems && { coldItems }) }, { products: this.host.catalogProducts?.() ?? [] });
    const index = new Map((content?.ids ?? itemIds).map((id, i) => [id, i + 1]));
    const sequence = counted.map((id) => index.get(id)).filter((i): i is number => i !== undefined);
    if (sequence.length < 2) return { status: 'skipped', reason: 'short_history' };
    const job: TrainingJob = {
      config: manifest.config,
      weights,
      // A model with content features trains with them, its held-out items without an id row (as it ranks).
      ...(content && { features: content.features, withoutId: content.withoutId }),
      sequence,
      options: this.options.training,
      encoding: this.options.encoding,
      labels: { model: name, baseVersion: manifest.version, nonce: crypto.getRandomValues(new Uint8Array(NONCE_BYTES)) },
    };
    const result = await runTraining(job, this.options.place, signal);
    if (!result.ok) return { status: 'failed', reason: result.error };
    // Consent may have been withdrawn while training ran: then nothing leaves the device.
    if (!this.consented()) return { status: 'skipped', reason: 'no_consent' };
    if (this.host.holdout === true) return { status: 'skipped', reason: 'holdout' };
    const authorization = admitted.authorization ?? undefined;
    await admitted.send();
    const upload = await uploadUpdate(`${server}/v1/updates`, result.bytes, this.token(), { ...this.options.upload, signal, ...(authorization ? { authorization } : {}) });
    // Spent when accepted; a 401 says the token is no good (spent or its key gone): dropped either way.
    // Any other refusal gave it back, and it waits for the next attempt. Were this page gone before the
    // answer, the token stays out of the store (`admission.ts`).
    await admitted.settle(upload.status === 'accepted' || (upload.status === 'refused' && upload.httpStatus === 401) ? 'spent' : 'kept');
    if (upload.status === 'refused' && upload.code === 'stale_version') {
      // A round closed meanwhile: the next attempt refreshes the model (delta) and trains on it.
      return { status: 'failed', reason: 'stale_version' };
    }
    if (upload.status !== 'accepted') return { status: 'failed', reason: upload.status === 'refused' ? `refused: HTTP ${upload.httpStatus} ${upload.code}` : `gave up: ${upload.error}` };
    this.saveState({ ...this.state(), trainedAt: counted.length });
    return { status: 'uploaded', version: manifest.version, bytes: result.bytes.byteLength, place: result.place, modelVia: refreshed.via, upload };
  }

  private report(outcome: TrainingOutcome): TrainingOutcome {
    this.dispatchEvent(new CustomEvent('outcome', { detail: outcome }));
    if (outcome.status === 'failed') {
      this.dispatchEvent(new CustomEvent('error', { detail: outcome.reason }));
      if (__EDGE_RECS_DEV__) console.warn(`edge-recs: on-device training failed: ${outcome.reason}`);
    }
    return outcome;
  }

  private token(): string {
    const state = this.state();
    const day = Math.floor(Date.now() / DAY_MS);
    if (state.day === day && state.token) return state.token;
    const token = base64url(crypto.getRandomValues(new Uint8Array(24)));
    this.saveState({ ...state, token, day });
    return token;
  }

  private state(): StoredState {
    try {
      const raw = localStorage.getItem(STATE_KEY);
      if (raw) {
        const s = JSON.parse(raw) as Partial<StoredState>;
        if (typeof s.trainedAt === 'number' && typeof s.token === 'string' && typeof s.day === 'number') return s as StoredState;
      }
    } catch {
      // No localStorage (blocked, a worker): keep it in memory.
    }
    return this.memoryState ?? { trainedAt: 0, token: '', day: -1 };
  }

  private saveState(state: StoredState): void {
    this.memoryState = state;
    try {
      localStorage.setItem(STATE_KEY, JSON.stringify(state));
    } catch {
      // In memory only.
    }
  }
}

/**
 * Starts the trainer for the page's engine (what `Engine` calls once its model has loaded). Returns it, so
 * tests and the profile panel can listen to its `outcome` events.
 * @example const trainer = attachTraining(engine, { minEvents: 10 });
 */
export function attachTraining(host: TrainingHost, options: Partial<TrainingOptions> = {}): FederatedTrainer {
  const trainer = new FederatedTrainer(host, options);
  void trainer.maybeTrain();
  return trainer;
}
