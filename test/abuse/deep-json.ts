/**
 * Attack (issue 14, must-have 6): JSON nested thousands of levels deep, sent to every route that reads a
 * JSON body, on Node and on Workers. `JSON.parse` copes with any depth; what walks the parsed value
 * afterwards by recursion (`show()` in an error message, `JSON.stringify`, `String()` of an array) ran
 * out of stack at about 6,000 levels and the server answered 500. Each route gets the deep value as the
 * whole body and in place of each field it reads, as nested arrays and as nested objects, at each depth;
 * every answer must be a 4xx.
 */
import { RUNTIMES, startRuntime, type Runtime, type RuntimeName } from '../support/abuse/runtimes.ts';
import type { AbuseBenchmark } from '../support/abuse/benchmark.ts';

/** The depths: 6,000 made the server answer 500; 100,000 is past any body limit's worth. */
const FULL_SCALE = { depths: [10, 1_000, 6_000, 100_000] } as const;

export interface DeepJsonOptions {
  depths: readonly number[];
  runtimes?: readonly RuntimeName[];
}

export interface DeepJsonOutcome {
  /** Per runtime: requests sent and answers by status (`reset`: refused before its body was read; see `attack`). */
  runtimes: Record<string, { requests: number; statuses: Record<string, number> }>;
  /** Every answer that was not a 4xx: what was sent and what came back. */
  unexpected: Array<{ runtime: string; route: string; body: string; depth: number; status: number }>;
}

/** A route that reads JSON, and bodies with `$` where the deep value goes (the whole body, and each field it reads). */
interface JsonRoute {
  route: string;
  method: string;
  path: string;
  type: string;
  bodies: string[];
  /** Wraps the JSON text into what the route takes (the artifact upload's manifest part). */
  wrap?: (json: string) => { type: string; body: Uint8Array<ArrayBuffer> };
}

const COUNTER = (over: string): string => `{"placement":"for-you","modelVersion":"v1","variant":"viewed.1","event":"impression","count":1${over}}`;
const METRICS_BODIES = [
  '$',
  '{"model":$,"counters":[]}',
  '{"model":"default","counters":$}',
  '{"model":"default","counters":[$]}',
  `{"model":"default","counters":[${COUNTER(',"variant":$')}]}`,
  `{"model":"default","counters":[${COUNTER(',"count":$')}]}`,
  '{"model":"default","counters":[],"revenue":$}',
  '{"model":"default","counters":[],"revenue":[$]}',
];

function multipartManifest(json: string): { type: string; body: Uint8Array<ArrayBuffer> } {
  const boundary = 'abuse-deep-json-boundary';
  const text = `--${boundary}\r\nContent-Disposition: form-data; name="manifest"\r\nContent-Type: application/json\r\n\r\n${json}\r\n--${boundary}--\r\n`;
  return { type: `multipart/form-data; boundary=${boundary}`, body: new TextEncoder().encode(text) };
}

/** Every route that reads a JSON body (admin ones with the admin token, so the body is really read). */
const JSON_ROUTES: JsonRoute[] = [
  { route: 'POST /v1/metrics (application/json)', method: 'POST', path: '/v1/metrics', type: 'application/json', bodies: METRICS_BODIES },
  { route: 'POST /v1/metrics (text/plain)', method: 'POST', path: '/v1/metrics', type: 'text/plain', bodies: METRICS_BODIES },
  {
    route: 'PUT /v1/admin/catalog',
    method: 'PUT',
    path: '/v1/admin/catalog',
    type: 'application/json',
    bodies: [
      '$',
      '{"updatedAt":$,"products":[]}',
      '{"updatedAt":"2026-01-01T00:00:00Z","products":$}',
      '{"updatedAt":"2026-01-01T00:00:00Z","products":[$]}',
      '{"updatedAt":"2026-01-01T00:00:00Z","products":[{"id":$,"title":"Hat","link":"https://shop.example/hat"}]}',
      '{"updatedAt":"2026-01-01T00:00:00Z","products":[{"id":"hat","title":$,"link":"https://shop.example/hat"}]}',
      '{"updatedAt":"2026-01-01T00:00:00Z","products":[{"id":"hat","title":"Hat","link":$}]}',
    ],
  },
  { route: 'PUT /v1/admin/models/:name/bestsellers', method: 'PUT', path: '/v1/admin/models/default/bestsellers', type: 'application/json', bodies: ['$', '{"ids":$}', '{"ids":[$]}'] },
  { route: 'PUT /v1/admin/models/:name/experiment', method: 'PUT', path: '/v1/admin/models/default/experiment', type: 'application/json', bodies: ['$', '{"name":$,"holdout":0.1,"control":"none"}', '{"name":"a","holdout":$,"control":"none"}', '{"name":"a","holdout":0.1,"control":$}'] },
  { route: 'POST /v1/admin/models/:name/promote', method: 'POST', path: '/v1/admin/models/default/promote', type: 'application/json', bodies: ['$', '{"version":$}'] },
  { route: 'PUT /v1/admin/models/:name/canary', method: 'PUT', path: '/v1/admin/models/default/canary', type: 'application/json', bodies: ['$', '{"version":$,"percent":10}', '{"version":"v1","percent":$}'] },
  {
    route: 'POST /v1/admin/models/:name/versions (manifest part)',
    method: 'POST',
    path: '/v1/admin/models/default/versions',
    type: 'multipart/form-data',
    bodies: ['$', '{"format":"edge-recs-model/1","name":"default","version":$}', '{"format":"edge-recs-model/1","name":"default","version":"v2","config":$}'],
    wrap: multipartManifest,
  },
];

/** `depth` levels of arrays (`[[[…]]]`) or objects (`{"a":{"a":…1}}`). */
export function nested(kind: 'array' | 'object', depth: number): string {
  return kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

async function attack(runtime: Runtime, depths: readonly number[], outcome: DeepJsonOutcome): Promise<void> {
  const statuses: Record<string, number> = {};
  let requests = 0;
  for (const depth of depths) {
    for (const kind of ['array', 'object'] as const) {
      const deep = nested(kind, depth);
      for (const r of JSON_ROUTES) {
        for (const template of r.bodies) {
          const json = template.replace('$', () => deep);
          const sent = r.wrap ? r.wrap(json) : { type: r.type, body: json };
          const send = (): Promise<number | 'reset'> =>
            runtime
              .fetch(r.path, { method: r.method, headers: { 'Content-Type': sent.type, Authorization: `Bearer ${runtime.adminToken}`, ...runtime.source(requests) }, body: sent.body })
              .then((res) => res.status, (err: unknown) => (/ECONNRESET|EPIPE/.test(String((err as Error).cause)) ? 'reset' : Promise.reject(err)));
          // A server that answers from the headers alone (413 for a declared length over the limit)
          // closes the connection while the body is still being written; workerd often does, and the
          // client then sees a reset instead of the answer. Such a request was refused before its body
          // was read, so it cannot have reached what parses JSON; it is sent once more and counted.
          let status = await send();
          if (status === 'reset') status = await send();
          requests++;
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status !== 'reset' && (status < 400 || status >= 500)) outcome.unexpected.push({ runtime: runtime.name, route: r.route, body: `${template} with ${kind}s`, depth, status });
        }
      }
    }
  }
  outcome.runtimes[runtime.name] = { requests, statuses };
}

export async function deepJson(options: DeepJsonOptions): Promise<DeepJsonOutcome> {
  const outcome: DeepJsonOutcome = { runtimes: {}, unexpected: [] };
  for (const name of options.runtimes ?? RUNTIMES) {
    // Each request from its own address: per-source rate limits must not answer before the body is read.
    const runtime = await startRuntime(name);
    try {
      // A published model, so routes that first look the model up go on to read the body.
      await runtime.publish('default', 'v1');
      await attack(runtime, options.depths, outcome);
    } finally {
      await runtime.close();
    }
  }
  return outcome;
}

/** `npm run bench -- abuse`: this attack at `FULL_SCALE`. */
export const benchmark: AbuseBenchmark = { scale: FULL_SCALE, run: () => deepJson(FULL_SCALE) };
