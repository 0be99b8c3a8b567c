/**
 * What a federation holds in memory per model: its rounds, the open round's accepted updates (without
 * their bytes) with the indexes intake checks them against, and the queue of updates waiting for intake.
 */
import type { Manifest } from '../../core/artifact/manifest.ts';
import type { UpdateSummary } from '../../core/federated/codec.ts';
import type { BudgetReset, PendingUpdate, RoundRecord, StoredUpdate } from './store.ts';
import type { SubmitInput, SubmitResult } from './types.ts';

/** One submitted update waiting for intake. */
export interface Job {
  /** The update, validated; its values stay encoded in `input.bytes` until stored, and a round decodes them from the store. */
  update: UpdateSummary;
  input: SubmitInput;
  /** The keyed hash of `input.source` for round `round`, made before the job is admitted. */
  source?: { round: number; hash: string };
  resolve: (r: SubmitResult) => void;
  reject: (e: unknown) => void;
}

export interface ModelState {
  rounds: RoundRecord[];
  /**
   * The round's accepted updates, without their bytes: those are in the round store, and a round reads
   * them back when it closes. Held in memory they would take K × the update size per model (about 200 MB
   * for K = 3,700 updates of the 12k-item model), and on Workers a Durable Object has 128 MB.
   */
  pending: PendingUpdate[];
  /** `tokenHash:nonce` → id, for the pending updates. */
  keys: Map<string, string>;
  tokens: Set<string>;
  /** Source hash → updates of the pending round from it (at most `cohort` entries). */
  sources: Map<string, number>;
  /** The open round's source-hash key (`RoundStore.roundKey`) and a cache of hashes made with it. */
  sourceKey?: { round: number; hash: (source: string) => Promise<string>; cache: Map<string, string> };
  resets: BudgetReset[];
  nextSeq: number;
  queue: Job[];
  draining: boolean;
  /** A committed round whose version could not be published yet: retried before any further intake. */
  unpublished?: RoundRecord;
  /** The current version's manifest, parsed once per version. */
  manifest?: { sha256: string; manifest: Manifest };
}

export const withoutBytes = ({ bytes: _, ...update }: StoredUpdate): PendingUpdate => update;

/** The source an update counts against: its keyed source hash, or itself for updates stored before sources were counted. */
export const sourceOf = (u: PendingUpdate): string => u.source ?? `update:${u.id}`;

/** Rebuilds the indexes of the pending updates (after a load, a close or a failed write). */
export function index(st: ModelState, cohort: number): void {
  st.keys = new Map(st.pending.map((u) => [`${u.tokenHash}:${u.nonce}`, u.id]));
  st.tokens = new Set(st.pending.map((u) => u.tokenHash));
  st.sources = new Map();
  for (const u of st.pending.slice(0, cohort)) st.sources.set(sourceOf(u), (st.sources.get(sourceOf(u)) ?? 0) + 1);
}

/** A model's state as the round store holds it, indexed. */
export function loadedState(loaded: { rounds: RoundRecord[]; pending: StoredUpdate[]; resets?: BudgetReset[] }, cohort: number): ModelState {
  const st: ModelState = {
    rounds: loaded.rounds,
    pending: loaded.pending.map(withoutBytes),
    keys: new Map(),
    tokens: new Set(),
    sources: new Map(),
    resets: loaded.resets ?? [],
    nextSeq: Math.max(loaded.pending.at(-1)?.seq ?? 0, loaded.rounds.at(-1)?.lastSeq ?? 0) + 1,
    queue: [],
    draining: false,
  };
  index(st, cohort);
  return st;
}
