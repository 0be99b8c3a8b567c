/**
 * Attack (issue 14, must-have 4): anonymous requests naming models that do not exist, each a new name,
 * against the real Node server (`main.ts`, disk storage, federation on). Every route that takes a model
 * name or a blob address from an unauthenticated client is hit with distinct made-up names: the
 * manifest, deltas, metrics, updates, popular and blob routes. The outcome is how much of the server's
 * heap (after full garbage collections) the made-up names left behind: a cache that remembered each miss
 * grew by about 100 bytes per name, without bound.
 */
import { tinyUpdate } from '../support/edge-server/federated.ts';
import { pool, startMainProcess } from '../support/abuse/main-process.ts';
import type { AbuseBenchmark } from '../support/abuse/benchmark.ts';

/** The scale: 50k distinct unknown names (per route), goal at most 20 MB of growth. */
const FULL_SCALE = { names: 50_000 } as const;

export interface UnknownNamesOptions {
  /** Distinct made-up names sent to each route. */
  names: number;
  /** Names per route sent before the first measurement, so one-off costs (JIT, pools) are not counted. Default min(1000, names). */
  warmup?: number;
  /** Requests in flight at once. Default 16. */
  concurrency?: number;
}

export interface UnknownNamesOutcome {
  names: number;
  routes: string[];
  requests: number;
  /** Answers by route and status, e.g. `{ manifest: { '404': 50000 } }`. */
  statuses: Record<string, Record<string, number>>;
  /** Heap after GC, after the attack minus before it (after warmup), in bytes. */
  heapGrowthBytes: number;
  /** `heapGrowthBytes` over every distinct name sent after warmup. */
  heapBytesPerName: number;
  rssGrowthBytes: number;
}

type Route = { name: string; send: (url: string, n: string, from: Record<string, string>) => Promise<Response> };

const CLIENT_TOKEN = 'abuse-unknown-names-token-0001';

const ROUTES: Route[] = [
  { name: 'manifest', send: (url, n, from) => fetch(`${url}/v1/models/${n}/manifest`, { headers: from }) },
  { name: 'deltas', send: (url, n, from) => fetch(`${url}/v1/models/${n}/deltas?from=v1`, { headers: from }) },
  {
    name: 'metrics',
    send: (url, n, from) =>
      fetch(`${url}/v1/metrics`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', ...from },
        body: JSON.stringify({ model: n, counters: [{ placement: 'for-you', modelVersion: 'v1', variant: 'viewed.1', event: 'impression', count: 1 }] }),
      }),
  },
  {
    name: 'updates',
    send: (url, n, from) =>
      fetch(`${url}/v1/updates`, { method: 'POST', headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': CLIENT_TOKEN, ...from }, body: tinyUpdate({ model: n }) }),
  },
  { name: 'popular', send: (url, n, from) => fetch(`${url}/v1/popular?model=${n}`, { headers: from }) },
  // A blob address that is not stored: 64 hex digits made from the name.
  { name: 'blobs', send: (url, n, from) => fetch(`${url}/v1/blobs/${Buffer.from(n.padEnd(32, '0').slice(-32)).toString('hex')}`, { headers: from }) },
];

/** A made-up model name as long as the syntax allows (64), so a remembered miss costs what it can. */
const madeUp = (route: string, phase: string, i: number): string => `${route}-${phase}-${i}-`.padEnd(64, 'x');

export async function unknownNames(options: UnknownNamesOptions): Promise<UnknownNamesOutcome> {
  const { names } = options;
  const warmup = options.warmup ?? Math.min(1000, names);
  const concurrency = options.concurrency ?? 16;
  // Behind a trusted proxy (loopback), requests from many addresses: a per-source rate limit must not
  // answer before the name is looked up.
  const server = await startMainProcess({ federated: true, heapProbe: true, args: ['--trust-proxy', '127.0.0.1'] });
  const statuses: Record<string, Record<string, number>> = {};
  const attack = async (phase: string, count: number): Promise<void> => {
    for (const route of ROUTES) {
      const seen = (statuses[route.name] ??= {});
      await pool(count, concurrency, async (i) => {
        // 1,000 addresses in turn, the same in warmup and attack, so the limiters' per-source state (bounded
        // on its own) is in place before the first measurement and what grows after it is names alone.
        const source = i % 1000;
        const from = { 'X-Forwarded-For': `10.0.${source >> 8}.${source & 255}` };
        const res = await route.send(server.url, madeUp(route.name, phase, i), from);
        await res.arrayBuffer();
        if (phase === 'attack') seen[res.status] = (seen[res.status] ?? 0) + 1;
      });
    }
  };
  try {
    await attack('warmup', warmup);
    const before = await server.heap();
    await attack('attack', names);
    const after = await server.heap();
    const growth = after.heapUsed - before.heapUsed;
    return {
      names,
      routes: ROUTES.map((r) => r.name),
      requests: names * ROUTES.length,
      statuses,
      heapGrowthBytes: growth,
      heapBytesPerName: growth / (names * ROUTES.length),
      rssGrowthBytes: after.rss - before.rss,
    };
  } finally {
    await server.stop();
  }
}

/** `npm run bench -- abuse`: this attack at `FULL_SCALE`. */
export const benchmark: AbuseBenchmark = { scale: FULL_SCALE, run: () => unknownNames(FULL_SCALE) };
