/**
 * Federated learning on Workers. A model's rounds run inside that model's Durable Object
 * (`ModelRegistry`), the single writer Cloudflare runs once in the world: it takes the model's uploads
 * in order, stores them in its own transactional storage before the 202, closes rounds and publishes.
 * The Worker only forwards (`durableFederation`).
 *
 *   DO storage   fed:upd:<seq>     accepted updates not yet consumed (header + bytes)
 *                fed:round:<n>     closed rounds (a round's record is its commit)
 *                fed:reset:<n>     privacy-budget resets
 *                fed:key           the open round's source-hash key, deleted with the round's commit
 *   R2 BLOBS     federated/<model> marker: which models have rounds (to list them without an index Object)
 *
 * Vars: `FEDERATED_SIGNING_KEY` (secret: the federation's Ed25519 key file, JSON; without it federated
 * learning is off) and `FEDERATED_CONFIG` (optional JSON: `{ "cohort", "epsilonBudget", "epsilonPerDay",
 * "maxSourceShare", "minSources", "delta", "maxUpdatesPerDay", "maxUpdateNorm", "aggregation": { ... } }`).
 */
import type { DurableObjectStorage, R2Bucket } from '@cloudflare/workers-types/latest/index.ts';
import { parseKeyFile } from '../../../core/artifact/key-file.ts';
import { MODEL_NAME } from '../../../core/artifact/manifest.ts';
import type { KeyFile, TrustedKey } from '../../../core/artifact/signing.ts';
import { ContractError, isRecord, show } from '../../../core/errors.ts';
import { peekUpdate } from '../../../core/federated/codec.ts';
import { ApiError } from '../../middleware/errors.ts';
import { resolveFederationSettings } from '../../../core/federated/settings.ts';
import { FederationRefusal, unknownModel, type RefusalCode } from '../../federated/errors.ts';
import { createFederation } from '../../federated/federation.ts';
import type { BudgetSummary, DeltaResult, Federation, FederationOptions, ItemCountsSink, RoundSummary, SubmitResult } from '../../federated/types.ts';
import { newRoundKey, type BudgetReset, type RoundRecord, type RoundStore, type StoredUpdate } from '../../federated/store.ts';
import type { Storage } from '../../models/storage.ts';

/** The vars and bindings federated learning reads. */
export interface FederatedEnv {
  BLOBS: R2Bucket;
  /**
   * The federation's signing key as `edge-recs keygen` writes it (JSON with `privateKey`); set it with
   * `wrangler secret put FEDERATED_SIGNING_KEY`. Default: unset, and federated learning is off.
   */
  FEDERATED_SIGNING_KEY?: string;
  /**
   * Round settings as JSON, e.g. `{"cohort":200,"epsilonBudget":8}`. Default: the federation defaults
   * (`createFederation`).
   */
  FEDERATED_CONFIG?: string;
}

type Settings = Omit<FederationOptions, 'storage' | 'rounds' | 'signingKey' | 'popularity' | 'normal' | 'now'>;

/** A var is missing or malformed; the message names it. (Same role as `WorkerConfigError`.) */
export class FederatedConfigError extends Error {
  override readonly name = 'FederatedConfigError';
}

/** Reads the federated vars; `null` when `FEDERATED_SIGNING_KEY` is unset. @throws FederatedConfigError naming the var. */
export function readFederatedConfig(env: Pick<FederatedEnv, 'FEDERATED_SIGNING_KEY' | 'FEDERATED_CONFIG'>): { signingKey: KeyFile; settings: Settings } | null {
  if (env.FEDERATED_SIGNING_KEY === undefined || env.FEDERATED_SIGNING_KEY.trim() === '') return null;
  let key: KeyFile;
  try {
    key = parseKeyFile(env.FEDERATED_SIGNING_KEY, 'FEDERATED_SIGNING_KEY', { privateKey: 'required' });
  } catch (err) {
    if (err instanceof ContractError) throw new FederatedConfigError(err.message);
    throw err;
  }
  let settings: unknown = {};
  if (env.FEDERATED_CONFIG !== undefined && env.FEDERATED_CONFIG.trim() !== '') {
    try {
      settings = JSON.parse(env.FEDERATED_CONFIG);
    } catch {
      throw new FederatedConfigError('FEDERATED_CONFIG must be JSON, e.g. {"cohort":200}');
    }
    if (!isRecord(settings)) throw new FederatedConfigError(`FEDERATED_CONFIG must be a JSON object (got ${show(settings)})`);
    // The token issuer's settings (`admission.ts` beside this file), not the rounds'.
    const { admission: _, ...rounds } = settings;
    settings = rounds;
  }
  try {
    resolveFederationSettings(settings as Settings);
  } catch (err) {
    throw new FederatedConfigError(`FEDERATED_CONFIG: ${(err as Error).message.replace(/^federation: /, '')}`);
  }
  return { signingKey: key, settings: settings as Settings };
}

const UPD = 'fed:upd:';
const ROUND = 'fed:round:';
const RESET = 'fed:reset:';
const KEY = 'fed:key';
const pad = (n: number): string => String(n).padStart(12, '0');
/** Durable Object storage takes at most 128 keys per put or delete call. */
const BATCH = 128;

/**
 * The round store of one Durable Object (one model). Each `put` is atomic and durable before the
 * Object's reply leaves (its output gate), which is what "stored before the 202" needs.
 */
function durableRoundStore(storage: DurableObjectStorage): RoundStore {
  return {
    async load() {
      const rounds = [...(await storage.list<RoundRecord>({ prefix: ROUND })).values()];
      const consumed = rounds.at(-1)?.lastSeq ?? 0;
      const pending = [...(await storage.list<StoredUpdate>({ prefix: UPD })).values()].filter((u) => u.seq > consumed);
      const resets = [...(await storage.list<BudgetReset>({ prefix: RESET })).values()];
      return { rounds, pending, resets };
    },
    async append(_model, updates) {
      for (let i = 0; i < updates.length; i += BATCH) {
        const entries: Record<string, StoredUpdate> = {};
        for (const u of updates.slice(i, i + BATCH)) entries[UPD + pad(u.seq)] = u;
        await storage.put(entries);
      }
    },
    async commitRound(_model, record) {
      await storage.put(ROUND + pad(record.round), record);
      // Committed: the round's source hashes become unlinkable once its key is gone (a key left by an
      // eviction here belongs to a closed round, and `roundKey` replaces it).
      await storage.delete(KEY);
      // Committed; dropping the consumed updates may be cut short by an eviction, and `load` skips them anyway.
      const keys = [...(await storage.list({ prefix: UPD, end: UPD + pad(record.lastSeq + 1) })).keys()];
      for (let i = 0; i < keys.length; i += BATCH) await storage.delete(keys.slice(i, i + BATCH));
    },
    async models() {
      return [];
    },
    async roundKey(_model, round) {
      const stored = await storage.get<{ round: number; key: string }>(KEY);
      if (stored?.round === round) return stored.key;
      const key = newRoundKey();
      await storage.put(KEY, { round, key });
      return key;
    },
    async recordReset(_model, reset) {
      const n = (await storage.list({ prefix: RESET })).size + 1;
      await storage.put(RESET + pad(n), reset);
    },
  };
}

/**
 * A refusal as it crosses RPC (an error's class and fields do not survive the call, only its message
 * does): the federation's own, a contract violation in the request, or an HTTP answer (admission's).
 */
type Refusal =
  | { kind: 'federation'; code: RefusalCode; message: string; retryAfter?: number }
  | { kind: 'contract'; code: string; message: string }
  | { kind: 'http'; status: number; code: string; message: string; headers: Record<string, string> };

/** How a federated call ends, as a value. */
export type FederatedOutcome<T> = { ok: true; value: T } | { ok: false; error: Refusal };

/** Runs `task`, turning its refusal (FederationRefusal, ContractError, ApiError) into a value that crosses RPC. */
export async function outcome<T>(task: () => Promise<T>): Promise<FederatedOutcome<T>> {
  try {
    return { ok: true, value: await task() };
  } catch (err) {
    if (err instanceof FederationRefusal) return { ok: false, error: { kind: 'federation', code: err.code, message: err.message, ...(err.retryAfter === undefined ? {} : { retryAfter: err.retryAfter }) } };
    if (err instanceof ContractError) return { ok: false, error: { kind: 'contract', code: err.code, message: err.message } };
    if (err instanceof ApiError) return { ok: false, error: { kind: 'http', status: err.status, code: err.code, message: err.message, headers: err.headers } };
    throw err;
  }
}

/** The value of an `outcome`, or its refusal thrown again as the error it was. */
export function unwrap<T>(out: FederatedOutcome<T>): T {
  if (out.ok) return out.value;
  const error = out.error;
  if (error.kind === 'federation') throw new FederationRefusal(error.code, error.message, error.retryAfter);
  if (error.kind === 'contract') throw new ContractError(error.code, error.message);
  throw new ApiError(error.status as 400, error.code, error.message, error.headers);
}

/**
 * What a model's Durable Object runs: the shared engine on the Object's storage (`storage` is the
 * Object's own: R2 blobs and its record). Built on the first federated call; `null` when federated
 * learning is off.
 */
export class FederationHost {
  #federation: Federation | null;
  #marked = false;

  constructor(
    private readonly env: FederatedEnv,
    objectStorage: DurableObjectStorage,
    storage: Storage,
    popularity?: ItemCountsSink,
  ) {
    const config = readFederatedConfig(env);
    this.#federation = config
      ? createFederation({ ...config.settings, storage, rounds: durableRoundStore(objectStorage), signingKey: config.signingKey, ...(popularity ? { popularity } : {}) })
      : null;
  }

  #on(): Federation {
    if (!this.#federation) throw new FederationRefusal('federation_disabled', 'this server does not take federated updates');
    return this.#federation;
  }

  submit(bytes: Uint8Array, tokenHash: string, source: string): Promise<FederatedOutcome<SubmitResult>> {
    return outcome(async () => {
      const result = await this.#on().submit({ bytes, tokenHash, source });
      if (!this.#marked) {
        await this.env.BLOBS.put(`federated/${peekUpdate(bytes).model}`, '');
        this.#marked = true;
      }
      return result;
    });
  }

  delta(model: string, from: string, to?: string): Promise<FederatedOutcome<DeltaResult>> {
    return outcome(() => this.#on().delta(model, from, to));
  }

  rounds(model: string): Promise<FederatedOutcome<RoundSummary[]>> {
    return outcome(() => this.#on().rounds(model));
  }

  budget(model: string): Promise<FederatedOutcome<BudgetSummary[]>> {
    return outcome(() => this.#on().budget(model));
  }

  resetBudget(model: string, by: string): Promise<FederatedOutcome<BudgetReset>> {
    return outcome(() => this.#on().resetBudget!(model, by));
  }
}

/**
 * The part of a Durable Object namespace `durableFederation` uses. Structural, because checking
 * `DurableObjectNamespace<ModelRegistry>` against a generic one sends TypeScript into its recursion limit.
 */
interface ObjectNamespace {
  idFromName(name: string): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the id type is the namespace's own
  get(id: any): unknown;
}

/** The RPC surface `durableFederation` needs from the model's Durable Object. */
export interface FederatedObject {
  federatedSubmit(bytes: Uint8Array, tokenHash: string, source: string): Promise<FederatedOutcome<SubmitResult>>;
  federatedDelta(model: string, from: string, to?: string): Promise<FederatedOutcome<DeltaResult>>;
  federatedRounds(model: string): Promise<FederatedOutcome<RoundSummary[]>>;
  federatedBudget(model: string): Promise<FederatedOutcome<BudgetSummary[]>>;
  federatedResetBudget(model: string, by: string): Promise<FederatedOutcome<BudgetReset>>;
}

/**
 * The Worker's `Federation`: every call goes to the model's Durable Object. `null` when
 * `FEDERATED_SIGNING_KEY` is unset.
 * @throws FederatedConfigError for a malformed var.
 */
export function durableFederation(env: FederatedEnv & { MODELS: ObjectNamespace }): Federation | null {
  const config = readFederatedConfig(env);
  if (!config) return null;
  const publicKey: TrustedKey = { keyId: config.signingKey.keyId, publicKey: config.signingKey.publicKey };
  const objectFor = (model: string) => env.MODELS.get(env.MODELS.idFromName(model)) as unknown as FederatedObject;
  const modelsWithRounds = async (): Promise<string[]> => {
    const listed = await env.BLOBS.list({ prefix: 'federated/' });
    return listed.objects.map((o) => o.key.slice('federated/'.length)).filter((n) => MODEL_NAME.test(n));
  };
  return {
    publicKey,
    async submit({ bytes, tokenHash, source }) {
      // Routing needs only the model name; the Object decodes and validates the whole update.
      const { model } = peekUpdate(bytes);
      return unwrap(await objectFor(model).federatedSubmit(bytes, tokenHash, source));
    },
    async delta(model, from, to) {
      if (!MODEL_NAME.test(model)) throw unknownModel(model);
      const result = unwrap(await objectFor(model).federatedDelta(model, from, to));
      return result.kind === 'delta' ? { ...result, bytes: new Uint8Array(result.bytes) } : result;
    },
    async rounds(model) {
      const names = model !== undefined ? (MODEL_NAME.test(model) ? [model] : []) : await modelsWithRounds();
      const out: RoundSummary[] = [];
      for (const name of names.sort()) out.push(...unwrap(await objectFor(name).federatedRounds(name)));
      return out;
    },
    async budget(model) {
      const names = model !== undefined ? (MODEL_NAME.test(model) ? [model] : []) : await modelsWithRounds();
      const out: BudgetSummary[] = [];
      for (const name of names.sort()) out.push(...unwrap(await objectFor(name).federatedBudget(name)));
      return out;
    },
    async resetBudget(model, by) {
      if (!MODEL_NAME.test(model)) throw unknownModel(model);
      const reset = unwrap(await objectFor(model).federatedResetBudget(model, by));
      await env.BLOBS.put(`federated/${model}`, '');
      return reset;
    },
  };
}
