/**
 * What a federation is to the rest of the server: its options, what it answers, and the `Federation`
 * interface the routes call (built by `createFederation`, `federation.ts`; on Workers, a proxy to each
 * model's Durable Object).
 */
import type { Bytes } from '../../core/artifact/bytes.ts';
import type { KeyFile, TrustedKey } from '../../core/artifact/signing.ts';
import type { FederationSettings } from '../../core/federated/settings.ts';
import type { Storage } from '../models/storage.ts';
import type { BudgetReset, RoundRecord, RoundStore } from './store.ts';

/**
 * Where a round reports its trending evidence: per item whose noisy device count stands well above what
 * cover rows and noise give every item, the excess in devices (catalog id → count; `core/federated/trending.ts`).
 */
export interface ItemCountsSink {
  addItemCounts(model: string, counts: Record<string, number>, at: string): Promise<void>;
}

export interface FederationOptions extends FederationSettings {
  /** The app's storage: base versions are read from it and new versions published to it. */
  storage: Storage;
  /** Where accepted updates and rounds are kept (`openDiskRoundStore` on Node, `memoryRoundStore()` in tests). */
  rounds: RoundStore;
  /**
   * Ed25519 key that signs the versions the rounds publish. Required: widgets run only signed models,
   * and a round's new weights exist nowhere before the server computes them, so no engineer can sign
   * them. Use a key of its own, never the engineers' release key: a compromised server can then only
   * sign federated versions, which merchants may choose not to trust (leave it out of
   * `data-public-key`), and rotating it touches no release.
   * @example signingKey: parseKeyFile(await readFile('federation-key.json', 'utf8'), 'federation-key.json', { privateKey: 'required' })
   */
  signingKey: KeyFile;
  /** Receives each published round's trending evidence (`ItemCountsSink`; the analytics `PopularityStore`). Default: none. */
  popularity?: ItemCountsSink;
  /** Standard normal noise source. Default: `secureNormal()` (CSPRNG). Tests pass a seeded one. */
  normal?: () => number;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
}

export interface SubmitInput {
  bytes: Uint8Array;
  /** `tokenHash(clientToken)`: the raw token never reaches the federation. */
  tokenHash: string;
  /**
   * The network source the update came from: `sourceKey(peer.address)` (`edge-server/middleware/peer.ts`). Never
   * stored: the federation keeps only a keyed hash of it per round (`StoredUpdate.source`).
   */
  source: string;
}

export interface SubmitResult {
  id: string;
  /** True when this update (same token and nonce) was already accepted: it is not counted again. */
  duplicate: boolean;
  /** The round the update belongs to. */
  round: number;
  /** Updates stored for that round so far, and how many close it. */
  pending: number;
  cohort: number;
}

export type DeltaResult =
  | { kind: 'delta'; bytes: Bytes; from: string; to: string; sha256: string }
  | { kind: 'current'; version: string };

/** What a round list entry shows (`GET /v1/admin/rounds`). */
export interface RoundSummary {
  model: string;
  round: number;
  closedAt: string;
  updates: number;
  /** Distinct network sources of its updates; null for rounds recorded before sources were counted. */
  sources: number | null;
  epsilon: number;
  totalEpsilon: number;
  version: string | null;
  status: RoundRecord['status'];
}

/** A model's privacy budget as `GET /v1/admin/privacy-budget` shows it. */
export interface BudgetSummary {
  model: string;
  /** ε of the rounds published since the last reset, composed; and the cap (`epsilonBudget`). */
  totalEpsilon: number;
  epsilonBudget: number;
  /** ε those rounds added today (UTC); and the cap (`epsilonPerDay`). */
  todayEpsilon: number;
  epsilonPerDay: number;
  /** Rounds published since the last reset. */
  publishedRounds: number;
  /** Every reset, oldest first. */
  resets: BudgetReset[];
}

export interface Federation {
  /** The public key federated versions are signed with: serve it with the trusted keys. */
  readonly publicKey: TrustedKey;
  /**
   * Validates and durably stores one device update; may close a round.
   * @throws FederationRefusal `unknown_model`, `stale_version`, `budget_exhausted`, `epsilon_daily_cap`,
   *   `rate_limited`, `source_share_exceeded`, `round_publishing`, `round_unavailable`; ContractError `bad_update`.
   */
  submit(input: SubmitInput): Promise<SubmitResult>;
  /**
   * The delta from `from` to `to` (default: the current version).
   * @throws FederationRefusal `unknown_model`, `delta_unavailable` (take the full model).
   */
  delta(model: string, from: string, to?: string): Promise<DeltaResult>;
  /** Closed rounds, oldest first, of one model or all. */
  rounds(model?: string): Promise<RoundSummary[]>;
  /** The privacy budget of one model or of every model with rounds. */
  budget(model?: string): Promise<BudgetSummary[]>;
  /**
   * Resets a model's privacy budget (rounds so far no longer count towards the total or today's ε) and
   * records who did it and when, with the figures before and after.
   * @param by who: `admin:` and a hash prefix of the admin token, never the token.
   * @throws FederationRefusal `unknown_model` for a model that is not published.
   */
  resetBudget?(model: string, by: string): Promise<BudgetReset>;
  /**
   * Where published rounds report their trending evidence, unless `options.popularity` named one:
   * `createApp` connects its analytics here. Optional, for federations that live elsewhere (Workers).
   */
  reportItemCountsTo?(sink: ItemCountsSink): void;
}
