/**
 * The Worker's bindings and vars, and the one place the vars are read. Runs in workerd and in Node
 * (it imports nothing runtime-specific), so its checks are unit-tested without starting workerd.
 */
import type { TrustedKey } from '../../../core/artifact/signing.ts';
import { isRecord, show } from '../../../core/errors.ts';
import type { Fail } from '../../../core/options.ts';

/** The Worker's vars and secrets (`[vars]` in `wrangler.toml`, `wrangler secret put`): its settings. */
export interface WorkerVars {
  /**
   * Public keys that sign this server's models, as JSON: `[{ "keyId", "publicKey" }]`, or one such
   * object, which is what `edge-recs keygen` writes to its `.pub.json` file. Required, at least one: a
   * registry that trusts no key can never publish a model.
   * @example '[{"keyId":"3f2a9c0d1e4b5a67","publicKey":"MCowBQYDK2VwAyEA..."}]'
   */
  TRUSTED_KEYS?: string;
  /**
   * Shop origins allowed cross-origin, comma-separated. Default: none (same-origin only).
   * @example 'https://shop.example, https://www.shop.example'
   */
  ALLOWED_ORIGINS?: string;
  /**
   * Admin bearer tokens for `/v1/admin/*` and `/dashboard`, comma-separated; set it as a secret
   * (`wrangler secret put ADMIN_TOKENS`). Default: none, and the admin API and dashboard answer 404.
   * @example 'c1f0e8...(48 hex digits), 9a7b...(a second token during a rotation)'
   */
  ADMIN_TOKENS?: string;
  /**
   * The federation's Ed25519 key file (JSON, with `privateKey`), which signs the versions federated
   * rounds publish; set it as a secret (`wrangler secret put FEDERATED_SIGNING_KEY`). Default: unset,
   * and federated learning is off (`/v1/updates` answers 404, deltas 410). See `federation.ts`.
   */
  FEDERATED_SIGNING_KEY?: string;
  /**
   * Round settings as JSON. Default: the federation defaults (cohort 1000, z = 4, ε budget 10 at δ 1e-6).
   * @example '{"cohort":200,"epsilonBudget":8,"aggregation":{"clipNorm":0.5}}'
   */
  FEDERATED_CONFIG?: string;
  /**
   * Aggregate analytics settings as JSON, checked by `createApp` (`AnalyticsOptions`): `suppressBelow`,
   * `halfLifeDays`, `popularLimit`, `maxCellsPerDay`, `metricsRateLimit` (per Worker isolate). Default:
   * the app's defaults.
   * @example '{"maxCellsPerDay":20000,"metricsRateLimit":{"perSecond":10,"burst":300}}'
   */
  ANALYTICS_CONFIG?: string;
}

export interface WorkerConfig {
  trustedKeys: TrustedKey[];
  allowedOrigins: string[];
}

/** A var is missing or malformed. The message names the var and the shape it takes. */
export class WorkerConfigError extends Error {
  override readonly name = 'WorkerConfigError';
}

/** Throws a `WorkerConfigError`: the Worker's option error, as `optionError` is the factories' (a misconfigured var answers 500). */
const fail: Fail = (message) => {
  throw new WorkerConfigError(message);
};

const KEYS_SHAPE = 'a JSON array of { "keyId", "publicKey" } (the public part of `edge-recs keygen` key files), or one such object (the text of a keygen .pub.json file)';

function trustedKeys(raw: unknown): TrustedKey[] {
  if (typeof raw !== 'string' || raw.trim() === '') {
    fail(`TRUSTED_KEYS is required: ${KEYS_SHAPE}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (cause) {
    fail(`TRUSTED_KEYS must be ${KEYS_SHAPE}; it is not JSON (${(cause as Error).message})`);
  }
  // One key as `edge-recs keygen` writes its public file: the file's text is a ready value.
  if (isRecord(parsed) && 'keyId' in parsed) parsed = [parsed];
  if (!Array.isArray(parsed) || parsed.length === 0) {
    fail(`TRUSTED_KEYS must be ${KEYS_SHAPE} with at least one key (got ${show(parsed)})`);
  }
  return parsed.map((key: unknown, i): TrustedKey => {
    if (!isRecord(key) || typeof key.keyId !== 'string' || typeof key.publicKey !== 'string') {
      fail(`TRUSTED_KEYS[${i}] must be { "keyId": string, "publicKey": string } (got ${show(key)})`);
    }
    // Checked here, not left to createApp, so the message names the var rather than an app option.
    if ('privateKey' in key) fail(`TRUSTED_KEYS[${i}] holds a private key; give the Worker only keyId and publicKey`);
    return { keyId: key.keyId, publicKey: key.publicKey };
  });
}

function allowedOrigins(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (typeof raw !== 'string') fail(`ALLOWED_ORIGINS must be a comma-separated string of origins (got ${show(raw)})`);
  return raw
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
}

/**
 * Reads the vars. Deeper checks (key sizes, origin syntax) are `createApp`'s, which the Worker runs
 * right after and reports as a `WorkerConfigError` too.
 * @throws WorkerConfigError naming the first bad var.
 */
export function readWorkerConfig(env: Pick<WorkerVars, 'TRUSTED_KEYS' | 'ALLOWED_ORIGINS'>): WorkerConfig {
  return { trustedKeys: trustedKeys(env.TRUSTED_KEYS), allowedOrigins: allowedOrigins(env.ALLOWED_ORIGINS) };
}

/**
 * Reads `ADMIN_TOKENS` (comma-separated). Their syntax is `createApp`'s to check, which the Worker
 * reports naming this var.
 * @throws WorkerConfigError when the var is not a string.
 */
export function readAdminTokens(env: Pick<WorkerVars, 'ADMIN_TOKENS'>): string[] {
  const raw = env.ADMIN_TOKENS;
  if (raw === undefined) return [];
  if (typeof raw !== 'string') fail(`ADMIN_TOKENS must be a comma-separated string of tokens (got ${typeof raw})`);
  return raw
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

/**
 * Reads `ANALYTICS_CONFIG` (a JSON object of `AnalyticsOptions` without `store`); its fields are
 * `createApp`'s to check, which the Worker reports naming this var.
 * @throws WorkerConfigError when the var is not a JSON object.
 */
export function readAnalyticsConfig(env: Pick<WorkerVars, 'ANALYTICS_CONFIG'>): Record<string, unknown> {
  const raw = env.ANALYTICS_CONFIG;
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (cause) {
    fail(`ANALYTICS_CONFIG must be a JSON object such as {"maxCellsPerDay":5000}; it is not JSON (${(cause as Error).message})`);
  }
  if (!isRecord(parsed) || 'store' in parsed) fail(`ANALYTICS_CONFIG must be a JSON object of suppressBelow, halfLifeDays, popularLimit, maxCellsPerDay, metricsRateLimit (got ${show(parsed)})`);
  return parsed;
}
