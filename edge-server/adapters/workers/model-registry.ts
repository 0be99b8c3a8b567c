/**
 * `ModelRegistry`: the Durable Object that owns one model's record (one Object per model name,
 * `MODELS.idFromName(name)`). It runs the shared registry code (`publishArtifact`) against R2 and its
 * own storage, so every runtime publishes through one implementation.
 *
 * It also runs the model's federated rounds (`federation.ts`): intake, aggregation and publishing of
 * each round's version happen here, in the model's single writer.
 */
import { DurableObject } from 'cloudflare:workers';
import type { DurableObjectNamespace, DurableObjectState } from '@cloudflare/workers-types/latest/index.ts';
import { ContractError } from '../../../core/errors.ts';
import { applyChange, parseChange, type ModelChange, type PublishRelease } from '../../models/registry-ops.ts';
import { publishArtifact } from '../../models/registry.ts';
import type { MetaStore, ModelRecord, Storage } from '../../models/storage.ts';
import { popularityStore } from '../../analytics/popularity.ts';
import type { BudgetSummary, DeltaResult, RoundSummary, SubmitResult } from '../../federated/types.ts';
import type { BudgetReset } from '../../federated/store.ts';
import { workersAnalytics } from './analytics.ts';
import { readWorkerConfig, type WorkerVars } from './config.ts';
import type { Analytics } from './analytics-object.ts';
import { FederationHost, type FederatedEnv, type FederatedObject, type FederatedOutcome } from './federation.ts';
import { AdmissionHost, readAdmissionConfig, type AdmissionObject } from './admission.ts';
import type { IssuerDirectory } from '../../federated/admission.ts';
import { durableMetaStore, r2BlobStore, type ArtifactUpload, type ChangeOutcome, type PublishOutcome } from './storage.ts';

/** What a `ModelRegistry` reads of the Worker's environment (`WorkerEnv` in `env.ts`). */
interface RegistryEnv extends WorkerVars, FederatedEnv {
  ANALYTICS: DurableObjectNamespace<Analytics>;
}

export class ModelRegistry extends DurableObject<RegistryEnv> implements FederatedObject, AdmissionObject {
  #meta: MetaStore;
  #storage: Storage;
  #federation?: FederationHost;
  /** Tail of the chain of writes: each waits for the one before it. */
  #writes: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: RegistryEnv) {
    super(ctx, env);
    this.#meta = durableMetaStore(ctx.storage);
    this.#storage = { blobs: r2BlobStore(env.BLOBS), meta: this.#meta };
  }

  /**
   * Runs writes one at a time. A publish awaits R2 between reading and writing the record, and while
   * an Object awaits anything but its own storage, other calls run; without this chain two publishes
   * would both read the old record and the second write would drop the first's version.
   */
  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#writes.then(task, task);
    this.#writes = run.catch(() => undefined);
    return run;
  }

  async getModel(name: string): Promise<ModelRecord | null> {
    return this.#meta.getModel(name);
  }

  async putModel(record: ModelRecord): Promise<void> {
    await this.#exclusive(() => this.#meta.putModel(record));
  }

  /**
   * Promote, roll back or set a canary (`models/registry-ops.ts`), ordered with publishes. Use
   * `changeInRegistry` (storage.ts), which routes to the right Object and rethrows refusals.
   */
  async change(name: string, change: ModelChange): Promise<ChangeOutcome> {
    try {
      const record = await this.#exclusive(async () => {
        const next = applyChange(await this.#meta.getModel(name), name, parseChange(change));
        await this.#meta.putModel(next);
        return next;
      });
      return { ok: true, record };
    } catch (err) {
      if (err instanceof ContractError) return { ok: false, error: { code: err.code, message: err.message } };
      throw err;
    }
  }

  #admission?: AdmissionHost;

  /** The token issuer, in the one Object named `ADMISSION_OBJECT` (`admission.ts`); built on its first call. */
  #issuer(): AdmissionHost {
    const settings = readAdmissionConfig(this.env);
    this.#admission ??= new AdmissionHost(this.ctx.storage, settings === false ? {} : settings);
    return this.#admission;
  }

  /** Use `durableAdmission` (admission.ts), which routes here and rethrows refusals. */
  async admissionDirectory(): Promise<FederatedOutcome<IssuerDirectory>> {
    return this.#issuer().directory();
  }

  async admissionIssue(source: string, request: Uint8Array): Promise<FederatedOutcome<Uint8Array>> {
    return this.#issuer().issue(source, request);
  }

  async admissionRedeem(authorization: string | undefined): Promise<FederatedOutcome<string>> {
    return this.#issuer().redeem(authorization);
  }

  async admissionSettle(handle: string, release: boolean): Promise<void> {
    return this.#issuer().settle(handle, release);
  }

  /** Built on the first federated call, so an Object that only serves records never reads the federated vars. */
  #federated(): FederationHost {
    this.#federation ??= new FederationHost(this.env, this.ctx.storage, this.#storage, popularityStore(workersAnalytics(this.env.ANALYTICS)));
    return this.#federation;
  }

  /** Use `durableFederation` (federation.ts), which routes to the right Object and rethrows refusals. */
  async federatedSubmit(bytes: Uint8Array, tokenHash: string, source: string): Promise<FederatedOutcome<SubmitResult>> {
    return this.#federated().submit(bytes, tokenHash, source);
  }

  async federatedDelta(model: string, from: string, to?: string): Promise<FederatedOutcome<DeltaResult>> {
    return this.#federated().delta(model, from, to);
  }

  async federatedRounds(model: string): Promise<FederatedOutcome<RoundSummary[]>> {
    return this.#federated().rounds(model);
  }

  async federatedBudget(model: string): Promise<FederatedOutcome<BudgetSummary[]>> {
    return this.#federated().budget(model);
  }

  async federatedResetBudget(model: string, by: string): Promise<FederatedOutcome<BudgetReset>> {
    return this.#federated().resetBudget(model, by);
  }

  /**
   * Publishes as current, or with `release.canary` as a canary beside the current version, in one
   * write. Use `publishToRegistry` (storage.ts), which routes to the right Object and rethrows refusals.
   */
  async publish(artifact: ArtifactUpload, release?: PublishRelease): Promise<PublishOutcome> {
    try {
      // Read per call, not cached: the vars are tiny, and a bad one then fails this call, not the Object.
      const { trustedKeys } = readWorkerConfig(this.env);
      const canary = release?.canary === undefined ? {} : { canary: release.canary };
      const result = await this.#exclusive(() => publishArtifact(this.#storage, artifact, { trusted: trustedKeys, ...canary }));
      return { ok: true, result };
    } catch (err) {
      if (err instanceof ContractError) return { ok: false, error: { code: err.code, message: err.message } };
      throw err;
    }
  }
}
