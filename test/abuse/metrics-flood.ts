/**
 * Attack (issue 14, must-have 3): a flood of forged metric batches against the real Node server
 * (`main.ts` in a child process, disk storage, `--trust-proxy 127.0.0.1`). For `seconds`, `concurrency`
 * clients send full batches (256 counters) as `text/plain` (what any web page can make its visitors
 * send, no preflight): the first half of the time from one address, the second half with `X-Forwarded-For`
 * naming one of `forgedSources` addresses per batch (as if the attacker owned them all, through the
 * trusted proxy). Every tenth batch names made-up copy variants (`flood-123`); the others spread over every
 * cell the contract allows (5 placements x 97 variants x 4 events x 3 versions). Meanwhile `/healthz` is
 * timed every 100 ms. Afterwards the read-out and the dashboard are fetched and timed, and the server's
 * memory compared with before (after full garbage collections).
 */
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COPY_KINDS, COPY_VARIANTS_PER_KIND, METRIC_EVENTS, PLACEMENTS } from '../../core/analytics.ts';
import { artifactForm } from '../../core/artifact/upload.ts';
import { signer, tinyArtifact } from '../support/edge-server/fixtures.ts';
import { startMainProcess } from '../support/abuse/main-process.ts';
import type { AbuseBenchmark } from '../support/abuse/benchmark.ts';

/** The scale: a 30 s flood; goals: RSS growth at most 100 MB, read-out and dashboard at most 2 s each. */
const FULL_SCALE = { seconds: 30, forgedSources: 10_000, concurrency: 32 } as const;

export interface MetricsFloodOptions {
  /** How long the flood lasts, in seconds (half from one address, half from forged ones). */
  seconds: number;
  /** Distinct addresses the second half forges in `X-Forwarded-For`. */
  forgedSources: number;
  /** Batches in flight at once. Default 32. */
  concurrency?: number;
  /** Each phase lasts until it also sent this many batches (for a small run on a loaded machine). Default 0. */
  minPerPhase?: number;
}

export interface MetricsFloodOutcome {
  seconds: number;
  batches: number;
  /** Answers by phase and status, e.g. `{ oneSource: { '202': 140, '429': 9000, '400': 15 } }`. */
  statuses: { oneSource: Record<string, number>; forgedSources: Record<string, number> };
  /** Batches with a made-up variant, and how many of them were accepted (202). */
  madeUpVariantBatches: number;
  madeUpVariantAccepted: number;
  /** Server RSS and heap after GC, after the flood and the reads minus before the flood, in bytes. */
  rssGrowthBytes: number;
  heapGrowthBytes: number;
  /** `GET /v1/admin/metrics` after the flood. */
  readout: { ms: number; bytes: number; groupCount: number; droppedEntries: number; maxCellsPerDay: number };
  /** `GET /dashboard` after the flood. */
  dashboard: { ms: number; bytes: number };
  /** `/healthz` latency during the flood. */
  healthz: { samples: number; p50Ms: number; p99Ms: number; maxMs: number };
}

const ADMIN = 'abuse-metrics-flood-admin-token-0123';
const VERSIONS = ['v1', 'v2', 'fallback'];
const VARIANTS = ['none', ...COPY_KINDS.flatMap((k) => Array.from({ length: COPY_VARIANTS_PER_KIND }, (_, i) => `${k}.${i}`))];

/** A full batch; `n` picks its cells (spread over every cell the contract allows) or its made-up variants. */
function batch(n: number, madeUp: boolean): string {
  const counters = Array.from({ length: 256 }, (_, j) => {
    const i = n * 256 + j;
    return {
      placement: PLACEMENTS[i % PLACEMENTS.length],
      modelVersion: VERSIONS[Math.floor(i / 5) % VERSIONS.length],
      variant: madeUp ? `flood-${i}` : VARIANTS[Math.floor(i / 15) % VARIANTS.length],
      event: METRIC_EVENTS[Math.floor(i / (15 * VARIANTS.length)) % METRIC_EVENTS.length],
      count: 10_000,
    };
  });
  return JSON.stringify({ model: 'default', counters });
}

const forged = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

export async function metricsFlood(options: MetricsFloodOptions): Promise<MetricsFloodOutcome> {
  const { seconds, forgedSources } = options;
  const concurrency = options.concurrency ?? 32;
  const minPerPhase = options.minPerPhase ?? 0;
  const { key, trusted } = await signer();
  const keyDir = await mkdtemp(join(tmpdir(), 'edge-recs-flood-key-'));
  const pub = join(keyDir, 'key.pub.json');
  await writeFile(pub, JSON.stringify(trusted[0]));
  const server = await startMainProcess({ heapProbe: true, args: ['--admin-token', ADMIN, '--trusted-key', pub, '--trust-proxy', '127.0.0.1'] });
  const auth = { Authorization: `Bearer ${ADMIN}` };
  try {
    for (const version of ['v1', 'v2']) {
      const form = new Request('http://form.invalid', { method: 'POST', body: artifactForm(await tinyArtifact(key, version, version === 'v1' ? 1 : 2)) });
      const res = await fetch(`${server.url}/v1/admin/models/default/versions`, { method: 'POST', headers: { ...auth, 'Content-Type': form.headers.get('Content-Type')! }, body: await form.arrayBuffer() });
      if (res.status !== 201) throw new Error(`publish ${version} answered ${res.status}: ${await res.text()}`);
    }
    const before = await server.heap();
    const statuses: MetricsFloodOutcome['statuses'] = { oneSource: {}, forgedSources: {} };
    let batches = 0;
    let madeUpVariantBatches = 0;
    let madeUpVariantAccepted = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    const half = start + (seconds * 1000) / 2;

    const latencies: number[] = [];
    let flooding = true;
    const probe = (async () => {
      while (flooding) {
        const t = performance.now();
        await (await fetch(`${server.url}/healthz`)).arrayBuffer();
        latencies.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const sent = { oneSource: 0, forgedSources: 0 };
    const client = async (): Promise<void> => {
      while (performance.now() < end || sent.forgedSources < minPerPhase) {
        const n = batches++;
        const madeUp = n % 10 === 9;
        const phase = performance.now() < half || sent.oneSource < minPerPhase ? 'oneSource' : 'forgedSources';
        sent[phase]++;
        const headers: Record<string, string> = { 'Content-Type': 'text/plain;charset=UTF-8' };
        if (phase === 'forgedSources') headers['X-Forwarded-For'] = forged(n % forgedSources);
        const res = await fetch(`${server.url}/v1/metrics`, { method: 'POST', headers, body: batch(n, madeUp) });
        await res.arrayBuffer();
        statuses[phase][res.status] = (statuses[phase][res.status] ?? 0) + 1;
        if (madeUp) {
          madeUpVariantBatches++;
          if (res.status === 202) madeUpVariantAccepted++;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, client));
    flooding = false;
    await probe;

    const timed = async (path: string): Promise<{ ms: number; bytes: number; text: string }> => {
      const t = performance.now();
      const res = await fetch(`${server.url}${path}`, { headers: auth });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 200)}`);
      return { ms: performance.now() - t, bytes: Buffer.byteLength(text), text };
    };
    const readout = await timed('/v1/admin/metrics?model=default');
    const body = JSON.parse(readout.text) as { groupCount: number; maxCellsPerDay: number; dropped: Array<{ entries: number }> };
    const dashboard = await timed('/dashboard?model=default');
    const after = await server.heap();
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      seconds,
      batches,
      statuses,
      madeUpVariantBatches,
      madeUpVariantAccepted,
      rssGrowthBytes: after.rss - before.rss,
      heapGrowthBytes: after.heapUsed - before.heapUsed,
      readout: { ms: readout.ms, bytes: readout.bytes, groupCount: body.groupCount, droppedEntries: (body.dropped ?? []).reduce((s, d) => s + d.entries, 0), maxCellsPerDay: body.maxCellsPerDay },
      dashboard: { ms: dashboard.ms, bytes: dashboard.bytes },
      healthz: { samples: sorted.length, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), maxMs: sorted.at(-1) ?? 0 },
    };
  } finally {
    await server.stop();
    await rm(keyDir, { recursive: true, force: true });
  }
}

/** `npm run bench -- abuse`: this attack at `FULL_SCALE`. */
export const benchmark: AbuseBenchmark = { scale: FULL_SCALE, run: () => metricsFlood(FULL_SCALE) };
