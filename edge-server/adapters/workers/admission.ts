/**
 * Federated admission on Workers (`federated/admission.ts`): one issuer for the whole deployment, run
 * in one Durable Object, the `ModelRegistry` named `ADMISSION_OBJECT` (a name no model can have, so no
 * new binding): its issued counts and spent set need a single writer, as a model's rounds do. The
 * Worker forwards (`durableAdmission`).
 *
 *   DO storage   adm:key:<keyId>            an issuer key (private key included)
 *                adm:i:<keyId>:<sourceHash> tokens issued to a keyed source hash under that key
 *                adm:s:<keyId>:<nonce>      a spent token
 *
 * Settings: `FEDERATED_CONFIG`'s `"admission"`: `{ "tokensPerDay", "maxSourcesPerDay", "issuerName" }`,
 * or `false` to take updates without tokens (unsafe). Blind signing uses workerd's `RSA-RAW`.
 */
import type { DurableObjectStorage } from '@cloudflare/workers-types/latest/index.ts';
import { isRecord, show } from '../../../core/errors.ts';
import { createAdmission, type Admission, type AdmissionOptions, type AdmissionStore, type IssuerDirectory, type IssuerKeyRecord, type Redemption } from '../../federated/admission.ts';
import { FederatedConfigError, outcome, readFederatedConfig, unwrap, type FederatedEnv, type FederatedOutcome } from './federation.ts';

/** The Durable Object (of `MODELS`) that issues and redeems tokens; not a model name (`MODEL_NAME` has no ':'). */
export const ADMISSION_OBJECT = 'admission:tokens';

type Settings = Pick<AdmissionOptions, 'tokensPerDay' | 'maxSourcesPerDay' | 'issuerName'>;

/** `FEDERATED_CONFIG`'s `"admission"`: settings, or false (off). @throws FederatedConfigError naming the bad field. */
export function readAdmissionConfig(env: Pick<FederatedEnv, 'FEDERATED_CONFIG'>): Settings | false {
  if (!env.FEDERATED_CONFIG?.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(env.FEDERATED_CONFIG);
  } catch {
    return {}; // readFederatedConfig names this one
  }
  const value = isRecord(parsed) ? parsed.admission : undefined;
  if (value === undefined) return {};
  if (value === false) return false;
  if (!isRecord(value)) throw new FederatedConfigError(`FEDERATED_CONFIG.admission must be an object or false (got ${show(value)})`);
  const known = ['tokensPerDay', 'maxSourcesPerDay', 'issuerName'];
  const unknown = Object.keys(value).find((k) => !known.includes(k));
  if (unknown) throw new FederatedConfigError(`FEDERATED_CONFIG.admission.${unknown} is not a setting; choose from ${known.join(', ')}`);
  try {
    createAdmission(value as Settings);
  } catch (err) {
    throw new FederatedConfigError(`FEDERATED_CONFIG.admission: ${(err as Error).message.replace(/^admission: /, '')}`);
  }
  return value as Settings;
}

const BATCH = 128;

/** The admission state in the Object's storage; each write is durable before the Object answers. */
function durableAdmissionStore(storage: DurableObjectStorage): AdmissionStore {
  const dropPrefix = async (prefix: string): Promise<void> => {
    for (;;) {
      const keys = [...(await storage.list({ prefix, limit: 1000 })).keys()];
      if (keys.length === 0) return;
      for (let i = 0; i < keys.length; i += BATCH) await storage.delete(keys.slice(i, i + BATCH));
    }
  };
  return {
    async load() {
      const keys = [...(await storage.list<IssuerKeyRecord>({ prefix: 'adm:key:' })).values()];
      const issued: Record<string, Record<string, number>> = {};
      for (const [name, count] of await storage.list<number>({ prefix: 'adm:i:' })) {
        const [, , keyId, hash] = name.split(':') as [string, string, string, string];
        (issued[keyId] ??= {})[hash] = count;
      }
      const spent: Record<string, string[]> = {};
      for (const name of (await storage.list({ prefix: 'adm:s:' })).keys()) {
        const [, , keyId, nonce] = name.split(':') as [string, string, string, string];
        (spent[keyId] ??= []).push(nonce);
      }
      return { keys, issued, spent };
    },
    async addKey(key) {
      await storage.put(`adm:key:${key.id}`, key);
    },
    async issued(keyId, hash, count) {
      await storage.put(`adm:i:${keyId}:${hash}`, count);
    },
    async spent(keyId, nonce, isSpent) {
      if (isSpent) await storage.put(`adm:s:${keyId}:${nonce}`, 1);
      else await storage.delete(`adm:s:${keyId}:${nonce}`);
    },
    async dropKey(keyId) {
      await storage.delete(`adm:key:${keyId}`);
      await dropPrefix(`adm:i:${keyId}:`);
      await dropPrefix(`adm:s:${keyId}:`);
    },
  };
}

/** What the admission Object runs: the shared issuer on its storage, and the redemptions awaiting their upload's outcome. */
export class AdmissionHost {
  readonly #admission: Admission;
  /** Redemption handle → its token, until the Worker says whether the upload was taken. Bounded: a lost answer must not grow it. */
  readonly #pending = new Map<string, Redemption>();

  constructor(storage: DurableObjectStorage, settings: Settings) {
    this.#admission = createAdmission({ ...settings, store: durableAdmissionStore(storage), rsaRaw: true });
  }

  directory(): Promise<FederatedOutcome<IssuerDirectory>> {
    return outcome(() => this.#admission.directory());
  }

  issue(source: string, request: Uint8Array): Promise<FederatedOutcome<Uint8Array>> {
    return outcome(() => this.#admission.issue(source, request));
  }

  redeem(authorization: string | undefined): Promise<FederatedOutcome<string>> {
    return outcome(async () => {
      const redemption = await this.#admission.redeem(authorization);
      const handle = crypto.randomUUID();
      if (this.#pending.size >= 10_000) this.#pending.delete(this.#pending.keys().next().value!);
      this.#pending.set(handle, redemption);
      return handle;
    });
  }

  /** The upload the token paid for was refused (`release`) or taken. */
  async settle(handle: string, release: boolean): Promise<void> {
    const redemption = this.#pending.get(handle);
    this.#pending.delete(handle);
    if (release) await redemption?.release();
  }
}

/** The RPC surface `durableAdmission` needs from the admission Object. */
export interface AdmissionObject {
  admissionDirectory(): Promise<FederatedOutcome<IssuerDirectory>>;
  admissionIssue(source: string, request: Uint8Array): Promise<FederatedOutcome<Uint8Array>>;
  admissionRedeem(authorization: string | undefined): Promise<FederatedOutcome<string>>;
  admissionSettle(handle: string, release: boolean): Promise<void>;
}

interface ObjectNamespace {
  idFromName(name: string): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the id type is the namespace's own
  get(id: any): unknown;
}

/**
 * The Worker's `Admission`: every call goes to the admission Object. `undefined` when federated learning
 * is off, `false` when `FEDERATED_CONFIG.admission` is false.
 * @throws FederatedConfigError for a malformed var.
 */
export function durableAdmission(env: FederatedEnv & { MODELS: ObjectNamespace }): Admission | false | undefined {
  if (!readFederatedConfig(env)) return undefined;
  if (readAdmissionConfig(env) === false) return false;
  const object = (): AdmissionObject => env.MODELS.get(env.MODELS.idFromName(ADMISSION_OBJECT)) as unknown as AdmissionObject;
  return {
    async directory() {
      return unwrap(await object().admissionDirectory());
    },
    async issue(source, request) {
      return new Uint8Array(unwrap(await object().admissionIssue(source, request)));
    },
    async redeem(authorization) {
      const handle = unwrap(await object().admissionRedeem(authorization));
      let settled = false;
      return {
        async release() {
          if (settled) return;
          settled = true;
          await object().admissionSettle(handle, true);
        },
      };
    },
  };
}
