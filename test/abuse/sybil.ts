/**
 * Attack (issue 14, must-have 1): a Sybil takeover of federated rounds. One network address with an
 * unlimited supply of self-made `X-Client-Token`s sends well-formed updates (about 150 bytes: no dense
 * part, three target item rows pushed as hard as the row clip lets them) to the real Node server
 * (`main.ts`, disk storage, federation on), then honest devices, each from its own address, send
 * ordinary updates. The server runs with `--trust-proxy 127.0.0.1` so that the harness can give honest
 * devices their own addresses in `X-Forwarded-For`; the attacker uses one forged address throughout.
 *
 * Admission tokens (Privacy Pass) are off in this run (`"admission": false` in the federated config):
 * the attacker is assumed to hold as many as it likes, so what is measured is the per-source share cap,
 * the distinct-sources rule, trending by sources and the daily ε cap on their own (the worst case).
 *
 * Outcome figures: the largest share of any round the attacker's updates took, rounds published during
 * the attack, target items in `/v1/popular` trending after honest devices filled the round, ε spent by
 * the attack (and after the honest round), and whether honest devices were accepted afterwards.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildArtifact } from '../../core/artifact/artifact.ts';
import { artifactForm } from '../../core/artifact/upload.ts';
import { generateKeyFile } from '../../core/artifact/signing.ts';
import { gaussianEpsilon } from '../../core/federated/accountant.ts';
import { AGGREGATION_DEFAULTS, roundNoiseMultiplier, type AggregationSettings } from '../../core/federated/aggregate.ts';
import { encodeUpdate } from '../../core/federated/codec.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { initWeights } from '../../core/model/weights.ts';
import { rng } from '../../core/random.ts';
import { pool, startMainProcess } from '../support/abuse/main-process.ts';
import type { AbuseBenchmark } from '../support/abuse/benchmark.ts';

/** The runs: 1,000 updates at the default cohort, and 1,050 with `cohort: 50`. */
const FULL_SCALE = {
  runs: [
    { cohort: 1000, attackUpdates: 1000 },
    { cohort: 50, attackUpdates: 1050 },
  ],
} as const;

export interface SybilOptions {
  /** K, updates per round (`cohort` in the federated config). */
  cohort: number;
  /** Updates the attacker sends, each with a fresh client token and nonce. */
  attackUpdates: number;
  /** Round settings besides the cohort. Default: the server's defaults (`AGGREGATION_DEFAULTS`). */
  aggregation?: Partial<AggregationSettings>;
  /** Total ε budget (`epsilonBudget`). Default: the server's, 10. */
  epsilonBudget?: number;
  /** Requests in flight at once. Default 16. */
  concurrency?: number;
}

export interface SybilOutcome {
  cohort: number;
  attackUpdates: number;
  /** The attacker's answers by status and error code, e.g. `{ '202': 20, '429 source_share_exceeded': 980 }`. */
  attackStatuses: Record<string, number>;
  attackAccepted: number;
  /** Largest share of one round (its cohort) that the attacker's accepted updates took. */
  maxAttackerShare: number;
  /** Rounds published while only the attacker was sending. */
  roundsPublishedByAttack: number;
  /** ε the model had spent when the attack ended, and one round's ε at these settings. */
  epsilonSpentByAttack: number;
  oneRoundEpsilon: number;
  /** Honest devices (one update each, each from its own address) sent after the attack, and accepted. */
  honestSent: number;
  honestAccepted: number;
  honestStatuses: Record<string, number>;
  /** Rounds published in all, ε spent in all, after the honest devices. */
  roundsPublished: number;
  epsilonSpent: number;
  /** Of the attacker's target items, how many `/v1/popular` lists as trending at the end. */
  targetItemsTrending: number;
  trending: string[];
}

const MODEL = 'default';
const CONFIG: ModelConfig = { numItems: 60, dim: 8, blocks: 1, heads: 1, maxLen: 4 };
const ITEM_IDS = Array.from({ length: CONFIG.numItems }, (_, i) => `sku-${i + 1}`);
/** The attacker's target items (model rows). */
const TARGETS = [7, 8, 9];
const ATTACKER = '203.0.113.66';
const ADMIN_TOKEN = 'abuse-sybil-admin-token-0123456789';
const ADMIN = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** Honest device n's address: 198.18.0.0/15 (benchmarking range), one per device. */
const honestAddress = (n: number): string => `198.${18 + ((n >> 16) & 1)}.${(n >> 8) & 255}.${n & 255}`;

function attackUpdate(baseVersion: string, n: number, rowClip: number): Uint8Array<ArrayBuffer> {
  const per = rowClip / Math.sqrt(CONFIG.dim);
  return encodeUpdate(
    {
      model: MODEL,
      baseVersion,
      nonce: nonce(1, n),
      config: CONFIG,
      dense: new Map(),
      rows: { indices: Uint32Array.from(TARGETS), values: new Float32Array(TARGETS.length * CONFIG.dim).fill(per) },
    },
    { values: 'int8' },
  );
}

function honestUpdate(baseVersion: string, n: number): Uint8Array<ArrayBuffer> {
  const random = rng(1000 + n);
  const rows = new Set<number>();
  while (rows.size < 4) rows.add(13 + Math.floor(random() * (CONFIG.numItems - 12))); // never a target
  const indices = Uint32Array.from([...rows].sort((a, b) => a - b));
  return encodeUpdate(
    { model: MODEL, baseVersion, nonce: nonce(2, n), config: CONFIG, dense: new Map(), rows: { indices, values: Float32Array.from({ length: indices.length * CONFIG.dim }, () => (random() - 0.5) * 0.01) } },
    { values: 'int8' },
  );
}

function nonce(kind: number, n: number): Uint8Array {
  const out = crypto.getRandomValues(new Uint8Array(16));
  new DataView(out.buffer).setUint32(0, kind);
  new DataView(out.buffer).setUint32(4, n);
  return out;
}

const freshToken = (): string => `sybil-${crypto.randomUUID().replaceAll('-', '')}`;

export async function sybil(options: SybilOptions): Promise<SybilOutcome> {
  const { cohort, attackUpdates } = options;
  const concurrency = options.concurrency ?? 16;
  const aggregation = { ...AGGREGATION_DEFAULTS, ...(options.aggregation ?? {}) };
  const dir = await mkdtemp(join(tmpdir(), 'edge-recs-sybil-'));
  const key = await generateKeyFile();
  await writeFile(join(dir, 'release-key.json'), JSON.stringify({ keyId: key.keyId, publicKey: key.publicKey }));
  // Admission off: the attacker is assumed to hold unlimited tokens (see the file's comment).
  await writeFile(join(dir, 'federated.json'), JSON.stringify({ cohort, admission: false, ...(options.aggregation ? { aggregation: options.aggregation } : {}), ...(options.epsilonBudget ? { epsilonBudget: options.epsilonBudget } : {}) }));
  const server = await startMainProcess({
    federated: true,
    args: ['--admin-token', ADMIN_TOKEN, '--trusted-key', join(dir, 'release-key.json'), '--trust-proxy', '127.0.0.1', '--federated-config', join(dir, 'federated.json')],
  });
  try {
    const artifact = await buildArtifact({ name: MODEL, version: 'v1', config: CONFIG, itemIds: ITEM_IDS, weights: initWeights(CONFIG, 1), quantization: 'float32' }, key);
    const published = await fetch(`${server.url}/v1/admin/models/${MODEL}/versions`, { method: 'POST', headers: ADMIN, body: artifactForm(artifact) });
    if (!published.ok) throw new Error(`publishing the base model answered ${published.status}: ${await published.text()}`);

    const version = async (): Promise<string> => (await fetch(`${server.url}/v1/models/${MODEL}/manifest`)).headers.get('X-Model-Version')!;
    const send = async (body: Uint8Array<ArrayBuffer>, address: string): Promise<{ status: number; code?: string; round?: number }> => {
      const res = await fetch(`${server.url}/v1/updates`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': freshToken(), 'X-Forwarded-For': address },
        body,
      });
      const json = (await res.json()) as { round?: number; error?: { code?: string } };
      return { status: res.status, code: json.error?.code, round: json.round };
    };
    const count = (into: Record<string, number>, r: { status: number; code?: string }): void => {
      const label = r.code ? `${r.status} ${r.code}` : String(r.status);
      into[label] = (into[label] ?? 0) + 1;
    };
    const rounds = async (): Promise<Array<{ round: number; status: string; totalEpsilon: number }>> =>
      ((await (await fetch(`${server.url}/v1/admin/rounds?model=${MODEL}`, { headers: ADMIN })).json()) as { rounds: Array<{ round: number; status: string; totalEpsilon: number }> }).rounds;
    const spent = (list: Array<{ status: string; totalEpsilon: number }>): number => list.filter((r) => r.status === 'published').at(-1)?.totalEpsilon ?? 0;

    // The attack: every update with a fresh token, from one address; a stale base (a round it filled
    // published) is fetched again and the update re-sent, as a script would.
    const attackStatuses: Record<string, number> = {};
    const perRound = new Map<number, number>();
    let base = await version();
    await pool(attackUpdates, concurrency, async (n) => {
      let r = await send(attackUpdate(base, n, aggregation.rowClipNorm), ATTACKER);
      if (r.status === 409 && r.code === 'stale_version') {
        base = await version();
        r = await send(attackUpdate(base, n, aggregation.rowClipNorm), ATTACKER);
      }
      count(attackStatuses, r);
      if (r.status === 202 && r.round !== undefined) perRound.set(r.round, (perRound.get(r.round) ?? 0) + 1);
    });
    const afterAttack = await rounds();
    const attackAccepted = [...perRound.values()].reduce((a, b) => a + b, 0);

    // Honest devices, each from its own address, fill the round that is open (so it closes and its
    // trending evidence, the attacker's accepted updates included, is counted).
    const open = afterAttack.length + 1;
    const honestSent = Math.max(1, cohort - (perRound.get(open) ?? 0));
    const honestStatuses: Record<string, number> = {};
    base = await version();
    await pool(honestSent, concurrency, async (n) => count(honestStatuses, await send(honestUpdate(base, n), honestAddress(n))));
    const end = await rounds();
    const popular = (await (await fetch(`${server.url}/v1/popular?model=${MODEL}`)).json()) as { trending: Array<{ id: string }> };
    const trending = popular.trending.map((t) => t.id);
    const targetIds = new Set(TARGETS.map((r) => ITEM_IDS[r - 1]!));
    return {
      cohort,
      attackUpdates,
      attackStatuses,
      attackAccepted,
      maxAttackerShare: Math.max(0, ...perRound.values()) / cohort,
      roundsPublishedByAttack: afterAttack.filter((r) => r.status === 'published').length,
      epsilonSpentByAttack: spent(afterAttack),
      oneRoundEpsilon: gaussianEpsilon({ noiseMultiplier: roundNoiseMultiplier(aggregation), delta: 1e-6 }, 1),
      honestSent,
      honestAccepted: honestStatuses['202'] ?? 0,
      honestStatuses,
      roundsPublished: end.filter((r) => r.status === 'published').length,
      epsilonSpent: spent(end),
      targetItemsTrending: trending.filter((id) => targetIds.has(id)).length,
      trending,
    };
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** `npm run bench -- abuse`: the attack at `FULL_SCALE`, its two runs one after the other. */
export const benchmark: AbuseBenchmark = {
  scale: FULL_SCALE,
  run: async () => {
    const outcomes: SybilOutcome[] = [];
    for (const one of FULL_SCALE.runs) outcomes.push(await sybil(one));
    return outcomes;
  },
};
