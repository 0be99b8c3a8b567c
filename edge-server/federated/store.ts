/**
 * Where accepted updates and closed rounds live, per model, in Web-standard types only: the Node adapter
 * keeps them in an fsynced append-only log, the Workers adapter in the model's Durable Object storage,
 * and `memoryRoundStore` in memory (tests, and the reference behaviour).
 *
 * The contract that makes a crash at any point lose no accepted update and count none twice:
 * - `append` resolves only once the updates are durable (the server answers 202 after it);
 * - a round's record names the last sequence number it consumed (`lastSeq`), and `commitRound` stores
 *   it atomically: that write *is* the round's close. `load` returns as pending exactly the updates
 *   with a larger sequence number, whether or not the consumed ones were physically removed yet.
 */

/** One accepted update, as stored. */
export interface StoredUpdate {
  /** Position in the model's sequence of accepted updates, from 1, gapless. */
  seq: number;
  /** Random id returned to the device (`202 { id }`). */
  id: string;
  /** SHA-256 (hex, first 32 digits) of the device's rotating client token; the token itself is never stored. */
  tokenHash: string;
  /** The update's nonce, hex. With `tokenHash`, what makes a re-sent update a duplicate. */
  nonce: string;
  /** Milliseconds since the epoch. */
  receivedAt: number;
  baseVersion: string;
  /** The encoded update, exactly as received. */
  bytes: Uint8Array;
  /**
   * The network source it came from, as a keyed hash (HMAC-SHA-256 with the round's own random key,
   * `RoundStore.roundKey`, hex, first 32 digits): equal for two updates of one round from one source, and
   * unlinkable to an address or to another round once the round closes and its key is deleted. Absent in
   * updates stored before sources were counted: each such update counts as a source of its own.
   */
  source?: string;
}

/** An accepted update as the federation keeps it in memory: everything but its bytes. */
export type PendingUpdate = Omit<StoredUpdate, 'bytes'>;

/** How a round ended. */
export type RoundStatus =
  /** Aggregated; `version` was published. */
  | 'published'
  /** Not aggregated: publishing would have taken the total ε past the configured budget. */
  | 'budget_exhausted'
  /** Not aggregated: an engineer published another version while the round was open. */
  | 'base_changed'
  /** Not aggregated: its updates came from fewer distinct network sources than `minSources`. */
  | 'too_few_sources';

/** A closed round, as stored and listed at `GET /v1/admin/rounds`. */
export interface RoundRecord {
  model: string;
  /** 1, 2, ... per model. */
  round: number;
  /** ISO-8601. */
  closedAt: string;
  status: RoundStatus;
  /** Number of updates in the round (the cohort K). */
  updates: number;
  /** Sequence number of the round's last update: updates up to it are consumed. */
  lastSeq: number;
  /** Ids of the updates the round consumed, in order (random ids: they identify no device). */
  updateIds: string[];
  baseVersion: string;
  /** The published version, `null` unless `status` is `published`. */
  version: string | null;
  /** ε of this round alone, at the configured δ. */
  epsilon: number;
  /** ε of all the model's published rounds so far, composed (this one included when published). */
  totalEpsilon: number;
  delta: number;
  /** Address of the new version's manifest and of the delta from `baseVersion`, in the blob store. */
  manifestSha256?: string;
  deltaSha256?: string;
  deltaBytes?: number;
  /** Bytes of the new version's weight shards: what a device without the delta downloads. */
  fullBytes?: number;
  /** Distinct network sources of the round's updates. Absent in rounds recorded before sources were counted. */
  sources?: number;
  /** Updates scaled down to the clip norm, mean norm before clipping, item rows released. */
  clipped?: number;
  meanNorm?: number;
  releasedRows?: number;
  /**
   * Values trimmed from each end of every dense coordinate (`aggregation.trim`); absent for the plain
   * mean. When present, the round's ε holds for replace-one adjacency (see `core/federated/aggregate.ts`).
   */
  trimmed?: number;
}

/**
 * An admin's reset of a model's privacy budget (`POST /v1/admin/privacy-budget/:model/reset`): rounds up
 * to `afterRound` no longer count towards the total or today's ε. Kept for good and listed with the budget.
 */
export interface BudgetReset {
  /** ISO-8601. */
  at: string;
  /** Who: `admin:` and the first 12 hex digits of the SHA-256 of the admin token used (never the token). */
  by: string;
  /** The last round closed before the reset. */
  afterRound: number;
  /** ε spent in total (since the previous reset) and today, before and after this reset. */
  before: { totalEpsilon: number; todayEpsilon: number };
  after: { totalEpsilon: number; todayEpsilon: number };
}

export interface FederatedState {
  /** Every round closed so far, in order. */
  rounds: RoundRecord[];
  /** Accepted updates no round has consumed yet, in sequence order. */
  pending: StoredUpdate[];
  /** Budget resets, oldest first. */
  resets: BudgetReset[];
}

export interface RoundStore {
  /** The model's rounds and pending updates (empty for a model never seen). */
  load(model: string): Promise<FederatedState>;
  /** Stores updates durably (all of them, or throws); resolves only once they survive a crash. */
  append(model: string, updates: readonly StoredUpdate[]): Promise<void>;
  /** Stores a closed round durably and atomically; from then on `load` no longer returns updates up to `record.lastSeq`. */
  commitRound(model: string, record: RoundRecord): Promise<void>;
  /** Models with any federated state, for listing rounds. */
  models(): Promise<string[]>;
  /**
   * The secret key (64 hex digits) round `round` hashes its updates' network sources with: made at random
   * and stored durably on the first call for that round (so counts per source survive a restart as the
   * round's updates do), the same on every later call. `commitRound` deletes it: after the close nobody,
   * the server included, can tell which stored hash was which address.
   */
  roundKey(model: string, round: number): Promise<string>;
  /** Stores a budget reset durably; `load` returns it in `resets` from then on. */
  recordReset(model: string, reset: BudgetReset): Promise<void>;
}

/** 32 random bytes as hex: a round's source-hash key. */
export function newRoundKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A `RoundStore` in process memory: nothing survives a restart. Values are copied in and out, as a real store would. */
export function memoryRoundStore(): RoundStore {
  const state = new Map<string, { rounds: RoundRecord[]; updates: StoredUpdate[]; resets: BudgetReset[]; key?: { round: number; key: string } }>();
  const of = (model: string) => {
    let s = state.get(model);
    if (!s) state.set(model, (s = { rounds: [], updates: [], resets: [] }));
    return s;
  };
  return {
    async load(model) {
      const s = state.get(model);
      if (!s) return { rounds: [], pending: [], resets: [] };
      const consumed = s.rounds.at(-1)?.lastSeq ?? 0;
      return { rounds: structuredClone(s.rounds), pending: structuredClone(s.updates.filter((u) => u.seq > consumed)), resets: structuredClone(s.resets) };
    },
    async append(model, updates) {
      of(model).updates.push(...structuredClone(updates as StoredUpdate[]));
    },
    async commitRound(model, record) {
      const s = of(model);
      s.rounds.push(structuredClone(record));
      s.updates = s.updates.filter((u) => u.seq > record.lastSeq);
      delete s.key;
    },
    async models() {
      return [...state.keys()];
    },
    async roundKey(model, round) {
      const s = of(model);
      if (s.key?.round !== round) s.key = { round, key: newRoundKey() };
      return s.key.key;
    },
    async recordReset(model, reset) {
      of(model).resets.push(structuredClone(reset));
    },
  };
}
