/**
 * Federated learning on the server: intake of device updates and aggregation rounds, per model, on
 * Web-standard APIs only. One `Federation` must be the single writer of a model's rounds: Node runs one
 * per process (one process per data directory), Workers runs one inside each model's Durable Object.
 *
 * Per model, every intake and every round close runs on one queue. Intake is group-committed: requests
 * that arrive while a write is in flight are validated together and stored with one durable write, then
 * all answered (202 only after that write). When the K-th update is stored the round closes before the
 * next request is looked at, so every update of a round was made on the same base version, and a
 * request arriving after the close sees the new version (and a stale base is refused, 409).
 */
import { buildArtifact, loadArtifact, type Artifact } from '../../core/artifact/artifact.ts';
import { canonicalJson, sha256Hex, toHex, utf8, type Bytes } from '../../core/artifact/bytes.ts';
import { sourceHasher } from '../peer.ts';
import { manifestFiles, parseManifest, type Manifest } from '../../core/artifact/manifest.ts';
import { signManifest, type KeyFile, type TrustedKey } from '../../core/artifact/signing.ts';
import { ContractError, isRecord, show } from '../../core/errors.ts';
import { gaussianEpsilon } from '../../core/federated/accountant.ts';
import { AGGREGATION_DEFAULTS, defaultReleaseThreshold, RoundAggregator, roundNoiseMultiplier, secureNormal, type AggregationSettings } from '../../core/federated/aggregate.ts';
import { checkUpdate, decodeUpdate, decodeVersionDelta, encodeVersionDelta, type UpdateSummary, type WeightDelta } from '../../core/federated/codec.ts';
import { applyDelta, composeDeltas, diffWeights } from '../../core/federated/delta.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { ApiError } from '../errors.ts';
import { optionError, type Fail } from '../options.ts';
import { currentManifest, publishArtifact } from '../registry.ts';
import type { Storage } from '../storage.ts';
import type { BudgetReset, PendingUpdate, RoundRecord, RoundStore, StoredUpdate } from './store.ts';

/**
 * Where a round reports its trending evidence: per item whose noisy device count stands well above what
 * cover rows and noise give every item, the excess in devices (catalog id → count; `core/federated/trending.ts`).
 */
export interface ItemCountsSink {
  addItemCounts(model: string, counts: Record<string, number>, at: string): Promise<void>;
}

export interface FederationOptions {
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
  /**
   * K: updates per round (the minimum cohort). Default 1000: each device moves the mean by at most C/K,
   * and the noise on the mean, z·C/K, shrinks with K while ε does not depend on it; at the default
   * z = 4 a cohort of 1000 keeps the noise at C/250 per coordinate.
   * @example cohort: 500
   */
  cohort?: number;
  /**
   * Clipping, noise and row-release settings. Default `AGGREGATION_DEFAULTS` (`core/federated/aggregate.ts`):
   * C = 1, z = z_c = 4, 64 rows per device, rows clipped to 0.25, rows released at 3σ of the count noise,
   * no trimming (`trim: 0.1` trims 10% from each end of every dense coordinate; ε then holds for
   * replace-one adjacency, at twice the noise).
   * @example { clipNorm: 0.5, noiseMultiplier: 2 }
   */
  aggregation?: Partial<AggregationSettings>;
  /** δ of the reported (ε, δ). Default 1e-6: below one over the number of devices of a large shop. @example 1e-7 */
  delta?: number;
  /**
   * Total ε past which no round is published (and no update accepted). Default 10: the upper end of
   * what deployed DP systems report per user, and the figure issue 6's benchmark targets. An admin may
   * reset it (`POST /v1/admin/privacy-budget/:model/reset`, recorded); the guarantee then holds per
   * period between resets.
   * @example epsilonBudget: 8
   */
  epsilonBudget?: number;
  /**
   * ε a model may spend per UTC day: the increase of its total ε (composed, since the last reset) from the
   * rounds published that day. Once the next round would pass it, updates get 429 `epsilon_daily_cap`
   * until midnight UTC. Default: one round's ε at the configured noise and δ (1.92 at the defaults), so a
   * flood of updates publishes at most one fresh round's worth a day: the default budget of 10 then lasts
   * at least 6 days (1, 2, 3, 4, 5, 6 rounds a day as composition makes each round cheaper; 21 rounds). Must be at least one round's ε, or no round could ever be published.
   * @example epsilonPerDay: 4
   */
  epsilonPerDay?: number;
  /**
   * The largest share of a round's cohort that updates from one network source (`sourceKey` of the
   * client address: IPv4 as is, IPv6 by /64; behind a trusted proxy, the address it forwards) may fill,
   * whatever client tokens they carry. Past it an update gets 429 `source_share_exceeded` and is not
   * stored. Default 0.02: at most 2% of a round, i.e. 20 of a cohort of 1000; at least 1 update a round
   * whatever the cohort (so 1 of a cohort of 50). Counted per round by a keyed hash of the source that is
   * deleted with the round (`RoundStore.roundKey`), so it links nobody across rounds.
   * @example maxSourceShare: 0.01
   */
  maxSourceShare?: number;
  /**
   * A round is published only when its updates came from at least this many distinct network sources;
   * otherwise it closes as `too_few_sources`, publishes nothing and spends no ε. Default: the fewest
   * sources a full round can have under `maxSourceShare`, ⌈cohort / max(1, ⌊share × cohort⌋)⌉ (50 for
   * the defaults; 50 for a cohort of 50), so with the defaults every round that fills is published and
   * the check holds by construction; it stays a guarantee when the share or the cohort changes under
   * stored updates. Raise it to demand more sources. At most the cohort.
   * @example minSources: 200
   */
  minSources?: number;
  /**
   * Updates with an L2 norm above this are refused (400) rather than clipped: no honest device sends
   * them. Default 100 × clipNorm.
   * @example maxUpdateNorm: 10
   */
  maxUpdateNorm?: number;
  /**
   * Updates one client token may send per rolling 24 h, beyond the one-per-round rule. Default 24:
   * more than any honest device's schedule, few enough to slow a script. Counted in memory (it restarts
   * with the process); the one-per-round rule is durable.
   * @example maxUpdatesPerDay: 4
   */
  maxUpdatesPerDay?: number;
  /** Receives each published round's trending evidence (`ItemCountsSink`; the analytics `PopularityStore`). Default: none. */
  popularity?: ItemCountsSink;
  /** Standard normal noise source. Default: `secureNormal()` (CSPRNG). Tests pass a seeded one. */
  normal?: () => number;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
}

export interface SubmitInput {
  bytes: Uint8Array;
  /** `tokenHash(clientToken)`: the raw token never reaches the engine. */
  tokenHash: string;
  /**
   * The network source the update came from: `sourceKey(peer.address)` (`edge-server/peer.ts`). Never
   * stored: the engine keeps only a keyed hash of it per round (`StoredUpdate.source`).
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
   * @throws ApiError 404 `unknown_model`, 409 `stale_version` / `budget_exhausted`, 429 `rate_limited`;
   *   ContractError `bad_update`.
   */
  submit(input: SubmitInput): Promise<SubmitResult>;
  /**
   * The delta from `from` to `to` (default: the current version).
   * @throws ApiError 404 `unknown_model`, 410 `delta_unavailable` (take the full model).
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
   * @throws ApiError 404 `unknown_model` for a model that is not published.
   */
  resetBudget?(model: string, by: string): Promise<BudgetReset>;
  /**
   * Where published rounds report their trending evidence, unless `options.popularity` named one:
   * `createApp` connects its analytics here. Optional, for federations that live elsewhere (Workers).
   */
  reportItemCountsTo?(sink: ItemCountsSink): void;
}

export interface ResolvedFederationSettings {
  cohort: number;
  aggregation: AggregationSettings;
  delta: number;
  epsilonBudget: number;
  epsilonPerDay: number;
  /** Share cap as a count: updates one source may put in a round, max(1, ⌊maxSourceShare × cohort⌋). */
  maxUpdatesPerSource: number;
  maxSourceShare: number;
  minSources: number;
  maxUpdateNorm: number;
  maxUpdatesPerDay: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Default `maxSourceShare`: the "at most 2% of a round from one source". */
export const DEFAULT_SOURCE_SHARE = 0.02;
/** Source hashes cached per round before the cache is emptied (a cache, not a limit). */
const SOURCE_HASH_CACHE = 4096;
/** Slack for comparing composed ε figures (floating point). */
const EPSILON_SLACK = 1e-9;
/** Client tokens remembered for the daily limit before stale ones are swept. */
const RECENT_SWEEP_SIZE = 100_000;
export const CLIENT_TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

const fail: Fail = optionError('federation');

/** Checks the options once, when the federation is built. @throws TypeError naming the option. */
export function resolveFederationSettings(options: Omit<FederationOptions, 'storage' | 'rounds' | 'signingKey'>): ResolvedFederationSettings {
  const positive = (name: string, v: unknown, integer = false): number => {
    if (typeof v !== 'number' || !(v > 0) || (integer && !Number.isInteger(v))) fail(`${name} must be a positive ${integer ? 'integer' : 'number'} (got ${show(v)})`);
    return v;
  };
  if (!isRecord(options.aggregation ?? {})) fail('aggregation must be an object');
  const agg = { ...AGGREGATION_DEFAULTS, ...(options.aggregation ?? {}) };
  // The default threshold follows the count noise actually configured.
  if (options.aggregation?.releaseThreshold === undefined) agg.releaseThreshold = defaultReleaseThreshold(agg);
  positive('aggregation.clipNorm', agg.clipNorm);
  positive('aggregation.rowClipNorm', agg.rowClipNorm);
  positive('aggregation.maxRowsPerClient', agg.maxRowsPerClient, true);
  positive('aggregation.serverLearningRate', agg.serverLearningRate);
  for (const key of ['noiseMultiplier', 'countNoiseMultiplier'] as const) {
    if (typeof agg[key] !== 'number' || !(agg[key] >= 0)) fail(`aggregation.${key} must be a number >= 0 (got ${show(agg[key])})`);
  }
  if (typeof agg.trim !== 'number' || !(agg.trim >= 0 && agg.trim < 0.5)) fail(`aggregation.trim must be a fraction in [0, 0.5) (got ${show(agg.trim)})`);
  if (agg.releaseThreshold !== 'all' && (typeof agg.releaseThreshold !== 'number' || Number.isNaN(agg.releaseThreshold))) {
    fail(`aggregation.releaseThreshold must be a number of devices or "all" (got ${show(agg.releaseThreshold)})`);
  }
  const delta = options.delta ?? 1e-6;
  if (!(delta > 0 && delta < 1)) fail(`delta must be in (0, 1) (got ${show(delta)})`);
  const cohort = positive('cohort', options.cohort ?? 1000, true);
  const maxSourceShare = options.maxSourceShare ?? DEFAULT_SOURCE_SHARE;
  if (typeof maxSourceShare !== 'number' || !(maxSourceShare > 0 && maxSourceShare <= 1)) fail(`maxSourceShare must be a fraction of the cohort in (0, 1], e.g. 0.02 (got ${show(maxSourceShare)})`);
  const maxUpdatesPerSource = Math.max(1, Math.floor(maxSourceShare * cohort + 1e-9));
  const minSources = options.minSources ?? Math.ceil(cohort / maxUpdatesPerSource);
  positive('minSources', minSources, true);
  if (minSources > cohort) fail(`minSources must be at most the cohort (${cohort}) (got ${minSources})`);
  const oneRound = gaussianEpsilon({ noiseMultiplier: roundNoiseMultiplier(agg), delta }, 1);
  const epsilonPerDay = options.epsilonPerDay ?? oneRound;
  positive('epsilonPerDay', epsilonPerDay);
  if (epsilonPerDay < oneRound - 1e-9) fail(`epsilonPerDay must be at least one round's ε (${oneRound.toFixed(3)} at this noise and δ), or no round could be published (got ${show(epsilonPerDay)})`);
  return {
    cohort,
    aggregation: agg,
    delta,
    epsilonBudget: positive('epsilonBudget', options.epsilonBudget ?? 10),
    epsilonPerDay,
    maxUpdatesPerSource,
    maxSourceShare,
    minSources,
    maxUpdateNorm: positive('maxUpdateNorm', options.maxUpdateNorm ?? 100 * agg.clipNorm),
    maxUpdatesPerDay: positive('maxUpdatesPerDay', options.maxUpdatesPerDay ?? 24, true),
  };
}

function checkSigningKey(key: unknown): Required<KeyFile> {
  if (!isRecord(key) || key.alg !== 'Ed25519' || typeof key.keyId !== 'string' || !/^[0-9a-f]{16}$/.test(key.keyId)) {
    fail('signingKey must be an Ed25519 key file from `edge-recs keygen` ({ alg, keyId, publicKey, privateKey })');
  }
  if (typeof key.publicKey !== 'string' || typeof key.privateKey !== 'string') fail(`signingKey ${key.keyId} must hold publicKey and privateKey`);
  return key as unknown as Required<KeyFile>;
}

/** The stored form of a client token: its SHA-256, hex, first 32 digits. */
export async function tokenHash(token: string): Promise<string> {
  return (await sha256Hex(utf8.encode(token))).slice(0, 32);
}

const withoutBytes = ({ bytes: _, ...update }: StoredUpdate): PendingUpdate => update;

interface Job {
  /** The update, validated; its values stay encoded in `input.bytes` until stored, and a round decodes them from the store. */
  update: UpdateSummary;
  input: SubmitInput;
  /** The keyed hash of `input.source` for round `round`, made before the job is admitted. */
  source?: { round: number; hash: string };
  resolve: (r: SubmitResult) => void;
  reject: (e: unknown) => void;
}

interface ModelState {
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

/** Builds a federation (intake + rounds) over a storage and a round store. @throws TypeError naming a bad option. */
export function createFederation(options: FederationOptions): Federation {
  const settings = resolveFederationSettings(options);
  const key = checkSigningKey(options.signingKey);
  const { storage, rounds: store } = options;
  const publicKey: TrustedKey = { keyId: key.keyId, publicKey: key.publicKey };
  const gauss = options.normal ?? secureNormal();
  const now = options.now ?? Date.now;
  const accounting = { noiseMultiplier: roundNoiseMultiplier(settings.aggregation), delta: settings.delta };
  const { cohort } = settings;
  const models = new Map<string, Promise<ModelState>>();
  const recent = new Map<string, number[]>(); // tokenHash → accept times in the last day
  let sweepAbove = RECENT_SWEEP_SIZE;
  const deltaCache = new Map<string, { bytes: Bytes; sha256: string }>();
  let popularity = options.popularity;

  // ε after n published rounds: asked on every upload (the budget check), and the RDP sum behind it only
  // changes with n, so each n is computed once.
  const epsilons = new Map<number, number>();
  const epsilonAfter = (published: number): number => {
    let epsilon = epsilons.get(published);
    if (epsilon === undefined) epsilons.set(published, (epsilon = gaussianEpsilon(accounting, published)));
    return epsilon;
  };
  /** Rounds since the last budget reset. */
  const sinceReset = (st: ModelState): RoundRecord[] => {
    const after = st.resets.at(-1)?.afterRound ?? 0;
    return st.rounds.filter((r) => r.round > after);
  };
  const publishedCount = (st: ModelState): number => sinceReset(st).filter((r) => r.status === 'published').length;
  /** Published rounds since the last reset: all, and those before today's UTC midnight (what today's spend starts from). */
  const spending = (st: ModelState, at: number): { published: number; beforeToday: number } => {
    const midnight = at - (at % DAY_MS);
    let published = 0;
    let beforeToday = 0;
    for (const r of sinceReset(st)) {
      if (r.status !== 'published') continue;
      published++;
      if (Date.parse(r.closedAt) < midnight) beforeToday++;
    }
    return { published, beforeToday };
  };
  /** Whether one more published round would pass the total budget, or today's cap. */
  const overBudget = (st: ModelState, at: number): 'total' | 'today' | null => {
    const { published, beforeToday } = spending(st, at);
    const next = epsilonAfter(published + 1);
    if (next > settings.epsilonBudget + EPSILON_SLACK) return 'total';
    if (next - epsilonAfter(beforeToday) > settings.epsilonPerDay + EPSILON_SLACK) return 'today';
    return null;
  };
  const sourceOf = (u: PendingUpdate): string => u.source ?? `update:${u.id}`;

  function index(st: ModelState): void {
    st.keys = new Map(st.pending.map((u) => [`${u.tokenHash}:${u.nonce}`, u.id]));
    st.tokens = new Set(st.pending.map((u) => u.tokenHash));
    st.sources = new Map();
    for (const u of st.pending.slice(0, cohort)) st.sources.set(sourceOf(u), (st.sources.get(sourceOf(u)) ?? 0) + 1);
  }

  /** The keyed hash the open round stores for a network source (HMAC-SHA-256 with the round's key, 32 hex digits). */
  async function hashSource(st: ModelState, model: string, round: number, source: string): Promise<string> {
    if (st.sourceKey?.round !== round) {
      const hex = await store.roundKey(model, round);
      const raw = Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
      st.sourceKey = { round, hash: await sourceHasher(raw), cache: new Map() };
    }
    const { hash: hashOf, cache } = st.sourceKey;
    let hash = cache.get(source);
    if (hash === undefined) {
      hash = await hashOf(source);
      if (cache.size >= SOURCE_HASH_CACHE) cache.clear();
      cache.set(source, hash);
    }
    return hash;
  }

  async function manifestOf(st: ModelState, model: string): Promise<Manifest | null> {
    // The record is small and says which manifest is current; parse the manifest only when that changes.
    const record = await storage.meta.getModel(model);
    const sha = record?.versions.find((v) => v.version === record.current)?.manifestSha256;
    if (sha !== undefined && st.manifest?.sha256 === sha) return st.manifest.manifest;
    const current = await currentManifest(storage, model);
    if (!current) return null;
    if (st.manifest?.sha256 !== current.sha256) st.manifest = { sha256: current.sha256, manifest: current.manifest };
    return st.manifest.manifest;
  }

  /** Publishes a committed round's version if the registry does not have it yet (recovery after a crash). */
  async function publishRound(record: RoundRecord): Promise<void> {
    if (record.status !== 'published' || !record.manifestSha256 || !record.version) return;
    const existing = await storage.meta.getModel(record.model);
    if (existing?.versions.some((v) => v.version === record.version)) return;
    const bytes = await storage.blobs.get(record.manifestSha256);
    if (!bytes) throw new Error(`round ${record.model}#${record.round}: manifest blob ${record.manifestSha256} is missing`);
    const manifest = parseManifest(JSON.parse(utf8.decode(bytes)));
    const files = new Map<string, Uint8Array>();
    for (const ref of manifestFiles(manifest)) {
      const file = await storage.blobs.get(ref.sha256);
      if (!file) throw new Error(`round ${record.model}#${record.round}: blob ${ref.sha256} is missing`);
      files.set(ref.path, file);
    }
    await publishArtifact(storage, { manifest, files }, { trusted: [publicKey] });
  }

  function stateOf(model: string): Promise<ModelState> {
    let p = models.get(model);
    if (!p) {
      p = (async () => {
        const loaded = await store.load(model);
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
        index(st);
        // A crash between a round's commit and its publish: finish the publish now.
        const last = st.rounds.at(-1);
        if (last) await publishRound(last);
        while (st.pending.length >= cohort) await closeRound(model, st);
        return st;
      })();
      models.set(model, p);
      p.catch(() => models.delete(model));
    }
    return p;
  }

  function rateLimited(hash: string, at: number): boolean {
    if (recent.size > sweepAbove) {
      // Tokens rotate daily: sweep the ones not seen for a day, so the map stays bounded. The next sweep
      // waits until the map has doubled, so a day with more than 100k live tokens does not sweep the
      // whole map on every upload (amortized O(1) per upload).
      for (const [h, times] of recent) if (times.at(-1)! <= at - DAY_MS) recent.delete(h);
      sweepAbove = Math.max(RECENT_SWEEP_SIZE, 2 * recent.size);
    }
    const times = (recent.get(hash) ?? []).filter((t) => t > at - DAY_MS);
    if (times.length === 0) recent.delete(hash);
    else recent.set(hash, times);
    return times.length >= settings.maxUpdatesPerDay;
  }

  /** Validates one job against the model's state; returns the update to store, a duplicate's result, or throws. */
  function admit(st: ModelState, manifest: Manifest, job: Job, at: number): StoredUpdate | SubmitResult {
    const { update, input } = job;
    const round = st.rounds.length + 1;
    const nonce = toHex(update.nonce);
    const existing = st.keys.get(`${input.tokenHash}:${nonce}`);
    if (existing) return { id: existing, duplicate: true, round, pending: st.pending.length, cohort };
    if (update.baseVersion !== manifest.version) {
      throw new ApiError(409, 'stale_version', `update is for ${update.model}@${update.baseVersion}; the current version is ${manifest.version}: fetch it and train again`);
    }
    const config = manifest.config;
    for (const k of Object.keys(config) as Array<keyof ModelConfig>) {
      if (update.config[k] !== config[k]) {
        throw new ContractError('bad_update', `update: config.${k} is ${update.config[k]}; ${update.model}@${manifest.version} has ${config[k]}`);
      }
    }
    const { norm } = update;
    if (!(norm <= settings.maxUpdateNorm)) throw new ContractError('bad_update', `update: norm ${norm.toPrecision(4)} is over the limit of ${settings.maxUpdateNorm}`);
    const over = overBudget(st, at);
    if (over === 'total') {
      throw new ApiError(409, 'budget_exhausted', `model ${update.model} has spent its privacy budget (ε ${settings.epsilonBudget}); no more rounds run on this version line`);
    }
    if (over === 'today') {
      const retry = Math.max(1, Math.ceil((DAY_MS - (at % DAY_MS)) / 1000));
      throw new ApiError(429, 'epsilon_daily_cap', `model ${update.model} has spent today's privacy budget (ε ${settings.epsilonPerDay.toFixed(3)} per UTC day); send updates again after midnight UTC`, { 'Retry-After': String(retry) });
    }
    if (st.tokens.has(input.tokenHash)) {
      throw new ApiError(429, 'rate_limited', 'this client token already has an update in the current round; one per round', { 'Retry-After': '3600' });
    }
    const source = job.source!.hash;
    if ((st.sources.get(source) ?? 0) >= settings.maxUpdatesPerSource) {
      throw new ApiError(
        429,
        'source_share_exceeded',
        `this network source already sent ${settings.maxUpdatesPerSource} of the ${cohort} updates of round ${round} (at most ${(settings.maxSourceShare * 100).toFixed(1).replace(/\.0$/, '')}% of a round per source, whatever the client token); send it again in a later round`,
        { 'Retry-After': '3600' },
      );
    }
    if (rateLimited(input.tokenHash, at)) {
      throw new ApiError(429, 'rate_limited', `at most ${settings.maxUpdatesPerDay} updates per client token per day`, { 'Retry-After': '3600' });
    }
    return { seq: st.nextSeq, id: crypto.randomUUID(), tokenHash: input.tokenHash, nonce, receivedAt: at, baseVersion: update.baseVersion, bytes: input.bytes, source };
  }

  async function drain(model: string, st: ModelState): Promise<void> {
    st.draining = true;
    try {
      while (st.queue.length > 0) {
        const unpublished = st.unpublished;
        if (unpublished) {
          try {
            await publishRound(unpublished);
            st.unpublished = undefined;
          } catch (err) {
            // Until the round's version is out, its updates' base still looks current: take nothing.
            console.error(`federation: publishing ${model}#${unpublished.round} failed again:`, err);
            const error = new ApiError(503, 'round_publishing', 'the last round is being published; send the update again later', { 'Retry-After': '60' });
            for (const job of st.queue.splice(0)) job.reject(error);
            return;
          }
        }
        const manifest = await manifestOf(st, model);
        // The open round's keyed hash of each waiting job's source (async: made before the jobs are taken).
        const open = st.rounds.length + 1;
        try {
          for (const job of [...st.queue]) {
            if (job.source?.round !== open) job.source = { round: open, hash: await hashSource(st, model, open, job.input.source) };
          }
        } catch (err) {
          // The round's key could not be read or stored: take nothing until it can.
          console.error(`federation: the source key of ${model}#${open} is not available:`, err);
          const error = new ApiError(503, 'round_unavailable', 'the round cannot take updates right now; send the update again later', { 'Retry-After': '60' });
          for (const job of st.queue.splice(0)) job.reject(error);
          return;
        }
        const at = now();
        const accepted: Array<[StoredUpdate, Job]> = [];
        // Take jobs until the round is full: the rest wait for the close and see the new version. A job
        // that arrived while hashing waits for the next pass.
        while (st.queue.length > 0 && st.pending.length < cohort && st.queue[0]!.source?.round === open) {
          const job = st.queue.shift()!;
          try {
            if (!manifest) throw new ApiError(404, 'unknown_model', `no model named ${JSON.stringify(job.update.model)} is published`);
            const out = admit(st, manifest, job, at);
            if ('seq' in out) {
              st.nextSeq++;
              st.pending.push(withoutBytes(out));
              st.keys.set(`${out.tokenHash}:${out.nonce}`, out.id);
              st.tokens.add(out.tokenHash);
              st.sources.set(out.source!, (st.sources.get(out.source!) ?? 0) + 1);
              accepted.push([out, job]);
            } else job.resolve(out);
          } catch (err) {
            job.reject(err);
          }
        }
        if (accepted.length > 0) {
          try {
            await store.append(model, accepted.map(([u]) => u));
          } catch (err) {
            // Not stored: forget them, so a retry is not taken for a duplicate.
            const failed = new Set(accepted.map(([u]) => u.id));
            st.pending = st.pending.filter((u) => !failed.has(u.id));
            st.nextSeq -= accepted.length;
            index(st);
            for (const [, job] of accepted) job.reject(err);
            continue;
          }
        }
        const round = st.rounds.length + 1;
        const answers = accepted.map(([u, job]) => {
          const times = recent.get(u.tokenHash) ?? [];
          times.push(u.receivedAt);
          recent.set(u.tokenHash, times);
          return [job, { id: u.id, duplicate: false, round, pending: u.seq - (st.pending[0]?.seq ?? u.seq) + 1, cohort }] as const;
        });
        if (st.pending.length >= cohort) {
          // Answered after the close, so a device that sent the K-th update sees the new version on its next request.
          try {
            await closeRound(model, st);
          } catch (err) {
            // The updates stay pending (nothing was committed); the next intake retries the close.
            console.error(`federation: closing a round of ${model} failed:`, err);
          }
        }
        for (const [job, result] of answers) job.resolve(result);
      }
    } finally {
      st.draining = false;
    }
  }

  async function closeRound(model: string, st: ModelState): Promise<void> {
    const batch = st.pending.slice(0, cohort);
    const round = st.rounds.length + 1;
    const baseVersion = batch[0]!.baseVersion;
    const published = publishedCount(st);
    const base: Omit<RoundRecord, 'status' | 'epsilon' | 'totalEpsilon' | 'version'> & { sources: number } = {
      model,
      round,
      closedAt: new Date(now()).toISOString(),
      updates: batch.length,
      lastSeq: batch.at(-1)!.seq,
      updateIds: batch.map((u) => u.id),
      baseVersion,
      delta: settings.delta,
      sources: 0,
    };
    base.sources = new Set(batch.map(sourceOf)).size;
    let record: RoundRecord;
    const current = await currentManifest(storage, model);
    const epsilon = epsilonAfter(1);
    if (overBudget(st, now()) !== null) {
      // Publishing would pass the total budget, or today's cap (which intake already enforces, unless the
      // settings changed under stored updates).
      record = { ...base, status: 'budget_exhausted', version: null, epsilon: 0, totalEpsilon: epsilonAfter(published) };
    } else if (base.sources < settings.minSources) {
      record = { ...base, status: 'too_few_sources', version: null, epsilon: 0, totalEpsilon: epsilonAfter(published) };
    } else if (!current || current.manifest.version !== baseVersion || batch.some((u) => u.baseVersion !== baseVersion)) {
      record = { ...base, status: 'base_changed', version: null, epsilon: 0, totalEpsilon: epsilonAfter(published) };
    } else {
      const built = await aggregateRound(current.manifest, await storedBytes(model, batch), batch.map(sourceOf), round);
      record = { ...base, status: 'published', version: built.artifact.manifest.version, epsilon, totalEpsilon: epsilonAfter(published + 1), ...built.record };
      // Every blob first, then the round record (the commit), then the registry's record.
      for (const bytes of built.artifact.files.values()) await storage.blobs.put(bytes);
      await storage.blobs.put(built.deltaBytes);
      record.manifestSha256 = await storage.blobs.put(utf8.encode(canonicalJson(built.artifact.manifest)));
      await store.commitRound(model, record);
      st.rounds.push(record);
      st.pending = st.pending.slice(batch.length);
      index(st);
      try {
        await publishRound(record);
      } catch (err) {
        st.unpublished = record;
        throw err;
      }
      if (popularity && built.counts) {
        await popularity.addItemCounts(model, built.counts, record.closedAt).catch((err: unknown) => {
          console.error(`federation: popularity counts of ${model}#${round} were not recorded:`, err);
        });
      }
      return;
    }
    await store.commitRound(model, record);
    st.rounds.push(record);
    st.pending = st.pending.slice(batch.length);
    index(st);
  }

  /** The round's updates as stored, read back from the round store (the engine keeps no bytes in memory). */
  async function storedBytes(model: string, batch: readonly PendingUpdate[]): Promise<Uint8Array[]> {
    const stored = new Map((await store.load(model)).pending.map((u) => [u.seq, u]));
    return batch.map((u) => {
      const update = stored.get(u.seq);
      if (update?.id !== u.id) throw new Error(`round store: accepted update ${model} #${u.seq} (${u.id}) is not among its pending updates`);
      return update.bytes;
    });
  }

  async function aggregateRound(manifest: Manifest, updates: readonly Uint8Array[], sources: readonly string[], round: number) {
    const baseArtifact = await loadArtifact(
      manifest,
      async (ref) => {
        const bytes = await storage.blobs.get(ref.sha256);
        if (!bytes) throw new Error(`blob ${ref.sha256} of ${manifest.name}@${manifest.version} is missing`);
        return bytes;
      },
      { unsigned: 'allow' }, // verified when it was published
    );
    const agg = new RoundAggregator(manifest.config, settings.aggregation);
    updates.forEach((bytes, i) => agg.add(decodeUpdate(bytes), sources[i]));
    const result = agg.finish(gauss);
    const version = `fed-${round}`;
    const federated = {
      round,
      baseVersion: manifest.version,
      updates: result.updates,
      clipNorm: settings.aggregation.clipNorm,
      noiseMultiplier: settings.aggregation.noiseMultiplier,
      epsilonDelta: settings.delta,
    };
    const unsigned: Artifact = await buildArtifact({
      name: manifest.name,
      version,
      config: manifest.config,
      itemIds: baseArtifact.itemIds,
      // The base version's chosen-next table, unchanged: device updates say nothing about what shoppers chose next.
      ...(baseArtifact.nextSteps && { nextSteps: baseArtifact.nextSteps }),
      weights: applyDelta(baseArtifact.weights, result.delta),
      quantization: manifest.quantization,
      training: { federated },
    });
    // The delta is between what devices hold: the decoded (quantized) base and new artifacts.
    const decoded = await loadArtifact(unsigned.manifest, async (ref) => unsigned.files.get(ref.path)!, { unsigned: 'allow' });
    const diff = diffWeights(manifest.config, baseArtifact.weights, decoded.weights, result.delta.rows.indices);
    const deltaBytes = encodeVersionDelta({ model: manifest.name, fromVersion: manifest.version, toVersion: version, config: manifest.config, ...diff });
    // The signed manifest names the delta (from, SHA-256, size): a device that applies the delta instead of
    // downloading the shards checks the bytes against it, so the delta is as trusted as the version.
    const deltaRef = { from: manifest.version, sha256: await sha256Hex(deltaBytes), bytes: deltaBytes.byteLength };
    const artifact: Artifact = {
      ...unsigned,
      manifest: await signManifest({ ...unsigned.manifest, training: { federated: { ...federated, delta: deltaRef } } }, key),
    };
    // Trending counts only what passed the evidence test, never the cover rows every item gets.
    const counts: Record<string, number> = {};
    for (const [row, excess] of result.trending.excess) counts[baseArtifact.itemIds[row - 1]!] = excess;
    const fullBytes = artifact.manifest.shards.reduce((n, s) => n + s.bytes, 0);
    return {
      artifact,
      deltaBytes,
      counts: result.trending.excess.size > 0 ? counts : null,
      record: {
        deltaSha256: deltaRef.sha256,
        deltaBytes: deltaBytes.byteLength,
        fullBytes,
        clipped: result.clipped,
        meanNorm: result.meanNorm,
        releasedRows: result.delta.rows.indices.length,
        ...(result.trimmed > 0 ? { trimmed: result.trimmed } : {}),
      },
    };
  }

  function summarize(model: string, st: ModelState): BudgetSummary {
    const { published, beforeToday } = spending(st, now());
    return {
      model,
      totalEpsilon: epsilonAfter(published),
      epsilonBudget: settings.epsilonBudget,
      todayEpsilon: epsilonAfter(published) - epsilonAfter(beforeToday),
      epsilonPerDay: settings.epsilonPerDay,
      publishedRounds: published,
      resets: structuredClone(st.resets),
    };
  }

  return {
    publicKey,

    reportItemCountsTo(sink) {
      popularity ??= sink;
    },

    async submit(input) {
      if (typeof input.tokenHash !== 'string' || !/^[0-9a-f]{32}$/.test(input.tokenHash)) throw new TypeError('submit: tokenHash must be tokenHash(clientToken)');
      if (typeof input.source !== 'string' || input.source === '') throw new TypeError('submit: source must be sourceKey(peer.address)');
      const update = checkUpdate(input.bytes, { maxRows: settings.aggregation.maxRowsPerClient });
      // Load state only for published models, so made-up names cannot fill memory.
      if (!models.has(update.model) && !(await storage.meta.getModel(update.model))) {
        throw new ApiError(404, 'unknown_model', `no model named ${JSON.stringify(update.model)} is published`);
      }
      const st = await stateOf(update.model);
      return new Promise<SubmitResult>((resolve, reject) => {
        st.queue.push({ update, input, resolve, reject });
        if (!st.draining) void drain(update.model, st);
      });
    },

    async delta(model, from, to) {
      const record = await storage.meta.getModel(model);
      if (!record) throw new ApiError(404, 'unknown_model', `no model named ${JSON.stringify(model)} is published`);
      const target = to ?? record.current;
      const gone = (why: string): never => {
        throw new ApiError(410, 'delta_unavailable', `no delta from ${model}@${from} to ${target} (${why}): download the full model`);
      };
      if (!record.versions.some((v) => v.version === target)) gone(`${target} is not a version of ${model}`);
      if (from === target) return { kind: 'current', version: target };
      if (!record.versions.some((v) => v.version === from)) gone(`${from} is not a version of ${model}`);
      const cacheKey = `${model}\n${from}\n${target}`;
      const cached = deltaCache.get(cacheKey);
      if (cached) return { kind: 'delta', from, to: target, ...cached };

      const st = await stateOf(model);
      const byVersion = new Map(st.rounds.filter((r) => r.status === 'published').map((r) => [r.version!, r]));
      const chain: RoundRecord[] = [];
      for (let v = target; v !== from; ) {
        const r = byVersion.get(v);
        if (!r || chain.length > st.rounds.length) return gone(`${v} was not made by a federated round from ${from}`);
        chain.unshift(r);
        v = r.baseVersion;
      }
      const blobs = await Promise.all(chain.map(async (r) => (r.deltaSha256 ? storage.blobs.get(r.deltaSha256) : null)));
      if (blobs.some((b) => !b)) gone('a delta blob is missing');
      let bytes: Bytes;
      if (blobs.length === 1) bytes = blobs[0]!;
      else {
        const deltas = blobs.map((b) => decodeVersionDelta(b!));
        const config = deltas[0]!.config;
        const sum = deltas.slice(1).reduce<WeightDelta>((acc, d) => composeDeltas(config.dim, acc, d), deltas[0]!);
        bytes = encodeVersionDelta({ model, fromVersion: from, toVersion: target, config, ...sum }) as Bytes;
      }
      const full = chain.at(-1)!.fullBytes ?? Infinity;
      if (bytes.byteLength >= full) gone(`the delta (${bytes.byteLength} bytes) is not smaller than the model (${full} bytes)`);
      const sha256 = await sha256Hex(bytes);
      if (deltaCache.size > 64) deltaCache.delete(deltaCache.keys().next().value!);
      deltaCache.set(cacheKey, { bytes, sha256 });
      return { kind: 'delta', bytes, from, to: target, sha256 };
    },

    async rounds(model) {
      const names = model === undefined ? await store.models() : [model];
      const out: RoundSummary[] = [];
      for (const name of names.sort()) {
        const st = await stateOf(name);
        for (const r of st.rounds) {
          out.push({ model: r.model, round: r.round, closedAt: r.closedAt, updates: r.updates, sources: r.sources ?? null, epsilon: r.epsilon, totalEpsilon: r.totalEpsilon, version: r.version, status: r.status });
        }
      }
      return out;
    },

    async budget(model) {
      const names = model === undefined ? await store.models() : [model];
      const out: BudgetSummary[] = [];
      for (const name of names.sort()) out.push(summarize(name, await stateOf(name)));
      return out;
    },

    async resetBudget(model, by) {
      if (typeof by !== 'string' || by === '') throw new TypeError('resetBudget: by must name who resets');
      if (!models.has(model) && !(await storage.meta.getModel(model))) {
        throw new ApiError(404, 'unknown_model', `no model named ${JSON.stringify(model)} is published`);
      }
      const st = await stateOf(model);
      const before = summarize(model, st);
      const reset: BudgetReset = {
        at: new Date(now()).toISOString(),
        by,
        afterRound: st.rounds.length,
        before: { totalEpsilon: before.totalEpsilon, todayEpsilon: before.todayEpsilon },
        after: { totalEpsilon: 0, todayEpsilon: 0 },
      };
      await store.recordReset(model, reset);
      st.resets.push(reset);
      return reset;
    },
  };
}
