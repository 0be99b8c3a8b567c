/**
 * Generated-input targets shared by `test/reliability/fuzz.test.ts` (a few hundred cases each, in
 * `npm test`) and `bench/reliability.ts` (10,000 cases each). Every target states what must hold for
 * *any* input, not only the ones a test author thought of:
 * - the edge server (every route, through `app.request()` on a fresh memory-storage app): never a 5xx;
 *   every 4xx is `{ "error": { "code", "message" } }` in JSON; a refused request changes no state
 *   (model records, catalog, counters, bestsellers, trending sums, rounds and pending updates);
 * - the event parser and the dataLayer bridge, the Merchant Center feed parsers (TSV, XML), the artifact
 *   loader (manifest and shards) and the federated update codec: a valid result or a `ContractError`
 *   with the parser's code, never another exception; the artifact loader never accepts a changed
 *   manifest or file as the original.
 *
 * fast-check prints the seed and the shrunk counterexample of a failure; `FUZZ_SEED` replays one.
 */
import fc from 'fast-check';
import { loadArtifact, type Artifact } from '../../core/artifact/artifact.ts';
import { utf8 } from '../../core/artifact/bytes.ts';
import type { FileRef } from '../../core/artifact/manifest.ts';
import type { TrustedKey } from '../../core/artifact/signing.ts';
import { parseCatalog } from '../../core/catalog.ts';
import { parseTsvFeed, parseXmlFeed } from '../../core/catalog-feed.ts';
import { ContractError } from '../../core/errors.ts';
import { EVENT_NAMES, parseEvent } from '../../core/events.ts';
import { normalizeItemId } from '../../core/item-id.ts';
import { decodeUpdate, decodeVersionDelta, encodeUpdate, VALUE_ENCODINGS, type ValueEncoding } from '../../core/federated/codec.ts';
import { paramShapes, type ModelConfig } from '../../core/model/config.ts';
import { size } from '../../core/model/weights.ts';
import { createApp } from '../../edge-server/app.ts';
import { createMemoryAnalytics } from '../../edge-server/analytics/memory.ts';
import type { AnalyticsStore } from '../../edge-server/analytics/store.ts';
import { createMemoryCatalog, catalogJson, type CatalogStore } from '../../edge-server/catalog/store.ts';
import { createFederation } from '../../edge-server/federated/federation.ts';
import { memoryRoundStore, type RoundStore } from '../../edge-server/federated/store.ts';
import { clientToken, tinyUpdate } from '../support/edge-server/federated.ts';
import { createMemoryStorage } from '../../edge-server/models/memory-storage.ts';
import { publishArtifact } from '../../edge-server/models/registry.ts';
import type { Storage } from '../../edge-server/models/storage.ts';
import { memoryWidget, signer, tinyArtifact, TINY } from '../support/edge-server/fixtures.ts';
import { nodeRsaRaw } from '../../edge-server/adapters/node/rsa-raw.ts';
import { createAdmission } from '../../edge-server/federated/admission.ts';
import { tokenFor } from '../support/edge-server/tokens.ts';
import { fromDataLayer, consentOf } from '../../widget/loader/translate.ts';
import { signedTwoShardArtifact } from './mutations.ts';

export interface FuzzTarget {
  name: string;
  /** Builds the property (fresh state per call); `run` awaits it with fc's runner. */
  property(): Promise<fc.IAsyncProperty<[unknown]> | fc.IProperty<[unknown]>>;
  /** What the last run's cases came to (e.g. answers by status), for the benchmark's report. */
  stats?: Record<string, number>;
}

export interface FuzzOutcome {
  target: string;
  cases: number;
  failures: number;
  seed: number;
  ms: number;
  /** fast-check's report (seed, path, shrunk counterexample) when the property failed. */
  report?: string;
  stats?: Record<string, number>;
}

/** Runs one target for `numRuns` cases. Never throws for a failed property: the outcome says so. */
export async function runTarget(target: FuzzTarget, numRuns: number, seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31)): Promise<FuzzOutcome> {
  const property = await target.property();
  const started = performance.now();
  const details = await fc.check(property as fc.IAsyncProperty<[unknown]>, { numRuns, seed, endOnFailure: false });
  const ms = performance.now() - started;
  const outcome: FuzzOutcome = { target: target.name, cases: details.numRuns + (details.failed ? 1 : 0), failures: details.failed ? 1 : 0, seed, ms, ...(target.stats ? { stats: { ...target.stats } } : {}) };
  if (details.failed) {
    const error = details.errorInstance instanceof Error ? (details.errorInstance.stack ?? details.errorInstance.message) : String(details.errorInstance);
    outcome.report = `${target.name}: failed after ${details.numRuns + 1} cases (seed ${seed}, path "${details.counterexamplePath}", replay with FUZZ_SEED=${seed})\ncounterexample: ${fc.stringify(details.counterexample)}\n${error}`;
  }
  return outcome;
}

/** Asserts `fn` either returns or throws a `ContractError` with one of `codes`; returns the result or the error. */
function contractOnly<T>(fn: () => T, codes: readonly string[]): { ok: true; value: T } | { ok: false; error: ContractError } {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (!(e instanceof ContractError)) throw new Error(`threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}, not a ContractError`);
    if (!codes.includes(e.code)) throw new Error(`ContractError code ${e.code} is not one of ${codes.join(', ')}: ${e.message}`);
    if (e.message.length === 0) throw new Error('ContractError without a message');
    return { ok: false, error: e };
  }
}

async function contractOnlyAsync<T>(fn: () => Promise<T>, codes: readonly string[]): Promise<{ ok: true; value: T } | { ok: false; error: ContractError }> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    if (!(e instanceof ContractError)) throw new Error(`threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}, not a ContractError`);
    if (!codes.includes(e.code)) throw new Error(`ContractError code ${e.code} is not one of ${codes.join(', ')}: ${e.message}`);
    return { ok: false, error: e };
  }
}

// ---------------------------------------------------------------------------------------------------
// Byte and text mutations shared by several targets.

/** A mutation of a byte string: each kind a way real corruption or an attacker changes bytes. */
const byteMutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), drop: fc.integer({ min: 0, max: 8 }), insert: fc.uint8Array({ maxLength: 8 }) }),
);
type ByteMutation = typeof byteMutation extends fc.Arbitrary<infer T> ? T : never;

function mutateBytes(bytes: Uint8Array, m: ByteMutation): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes);
  const at = bytes.length === 0 ? 0 : (m as { at?: number }).at! % bytes.length;
  switch (m.kind) {
    case 'flip':
      if (out.length > 0) out[at] = out[at]! ^ (1 << m.bit);
      return out;
    case 'set':
      if (out.length > 0) out[at] = m.value;
      return out;
    case 'truncate':
      return out.slice(0, at);
    case 'extend':
      return Uint8Array.from([...out, ...m.extra]);
    case 'splice':
      return Uint8Array.from([...out.slice(0, at), ...m.insert, ...out.slice(at + m.drop)]);
  }
}

/** Text edits at any position: inserted, deleted or replaced characters, duplicated or dropped lines. */
const textMutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ unit: 'binary', maxLength: 12 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom('\t', '\n', '\r\n', '"', '<', '>', '&', '&amp;', '<![CDATA[', ']]>', '<!DOCTYPE x [<!ENTITY a "b">]>', '&#0;', '&#x110000;', '\u0000', '\uFEFF', '\uD800') }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('dupLine' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('dropLine' as const), line: fc.nat() }),
);
type TextMutation = typeof textMutation extends fc.Arbitrary<infer T> ? T : never;

function mutateText(text: string, m: TextMutation): string {
  const at = text.length === 0 ? 0 : ('at' in m ? m.at % (text.length + 1) : 0);
  const lines = text.split('\n');
  const line = 'line' in m ? m.line % lines.length : 0;
  switch (m.kind) {
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.length);
    case 'dupLine':
      return [...lines.slice(0, line + 1), ...lines.slice(line)].join('\n');
    case 'dropLine':
      return [...lines.slice(0, line), ...lines.slice(line + 1)].join('\n');
  }
}

/** A JSON value with its fields changed: replaced by any JSON, removed, or an unknown field added. */
function mutateJson(value: unknown, edits: Array<{ path: number[]; op: 'replace' | 'remove' | 'add'; with: unknown; key: string }>): unknown {
  const root = structuredClone(value) as unknown;
  for (const edit of edits) {
    let node: unknown = root;
    let parent: Record<string, unknown> | unknown[] | undefined;
    let key: string | number | undefined;
    for (const step of edit.path) {
      if (typeof node !== 'object' || node === null) break;
      const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
      if (keys.length === 0) break;
      key = keys[step % keys.length]!;
      parent = node as Record<string, unknown>;
      node = (node as Record<string | number, unknown>)[key];
    }
    if (parent === undefined || key === undefined) continue;
    const p = parent as Record<string | number, unknown>;
    // A copy: fast-check hands out the same `{}`/`[]` constant to several edits, and one edit adding
    // that object into itself would make the document circular (and the constant changed for later runs).
    const value = structuredClone(edit.with);
    if (edit.op === 'replace') p[key] = value;
    else if (edit.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete p[key];
    } else if (typeof node === 'object' && node !== null && !Array.isArray(node)) (node as Record<string, unknown>)[edit.key] = value;
  }
  return root;
}

const jsonEdits = fc.array(
  fc.record({
    path: fc.array(fc.nat(), { maxLength: 5 }),
    op: fc.constantFrom('replace' as const, 'remove' as const, 'add' as const),
    with: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(-1, 0, 1e308, -0, 1.5, '', '../x', 'v1', 'default', null, [], {})),
    key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('client_id', 'user_id', '__proto__', 'constructor', 'item_id')),
  }),
  { minLength: 1, maxLength: 3 },
);

// ---------------------------------------------------------------------------------------------------
// Edge server: every route through app.request().

const ADMIN = 'fuzz-admin-token-0123456789abcdef';
const ORIGIN = 'https://shop.example';

interface Counted<T> {
  value: T;
  writes: () => number;
}

/** Wraps the write methods of a store so a test can tell whether a request wrote anything. */
function countWrites<T extends object>(store: T, methods: readonly string[]): Counted<T> {
  let writes = 0;
  const wrapped = Object.create(store) as Record<string, unknown>;
  for (const m of methods) {
    const fn = (store as Record<string, unknown>)[m] as (...args: unknown[]) => unknown;
    wrapped[m] = (...args: unknown[]) => {
      writes++;
      return fn.apply(store, args);
    };
  }
  return { value: wrapped as T, writes: () => writes };
}

export interface FuzzServer {
  app: ReturnType<typeof createApp>;
  /** JSON of every piece of state a request may change. */
  snapshot(): Promise<string>;
  /** Writes to model records, catalog, analytics and rounds so far. */
  writes(): number;
  manifestEtag: string;
  blobShas: string[];
  validUpdate(n: number): Uint8Array<ArrayBuffer>;
  /** Real admission tokens (`Authorization` values) of this server: an update spends one when accepted, and gets it back when refused. */
  tokens: string[];
  artifact: Artifact;
  trusted: TrustedKey[];
}

const CATALOG = {
  updatedAt: '2026-01-01T00:00:00.000Z',
  products: ['sku-1', 'sku-2', 'sku-3', 'sku-4', 'sku-5'].map((id, i) => ({
    id,
    title: `Product ${i + 1}`,
    link: `https://shop.example/p/${id}`,
    image_link: `https://shop.example/i/${id}.jpg`,
    price: 10 + i,
    currency: 'EUR',
    availability: 'in_stock',
    product_type: 'Beauty > Skin care',
  })),
};

/** A fresh app on memory storage with two published versions, a catalog, counters, a federation and an admin token. */
export async function fuzzServer(limits: { maxArtifactBytes?: number; maxCatalogBytes?: number; maxUpdateBytes?: number } = {}): Promise<FuzzServer> {
  const { key, trusted } = await signer();
  const { key: fedKey } = await signer();
  const storage: Storage = createMemoryStorage();
  const v1 = await tinyArtifact(key, 'v1', 1);
  await publishArtifact(storage, v1, { trusted });
  const v2 = await tinyArtifact(key, 'v2', 2);
  await publishArtifact(storage, v2, { trusted });
  const meta = countWrites(storage.meta, ['putModel']);
  const counted: Storage = { blobs: storage.blobs, meta: meta.value };
  const catalog = countWrites<CatalogStore>(createMemoryCatalog(), ['put']);
  await catalog.value.put(catalogJson(CATALOG));
  const analytics = countWrites<AnalyticsStore>(createMemoryAnalytics(), ['addMetrics', 'addItemCounts', 'putBestsellers']);
  const rounds = countWrites<RoundStore>(memoryRoundStore(), ['append', 'commitRound']);
  const federation = createFederation({
    storage: counted,
    rounds: rounds.value,
    signingKey: fedKey,
    cohort: 3,
    aggregation: { releaseThreshold: 1 },
    epsilonBudget: 1e9,
    maxUpdatesPerDay: 1e6,
  });
  const app = createApp({
    storage: counted,
    trustedKeys: trusted,
    widget: memoryWidget({ 'edge-recs.js': 'export {};', 'assets/engine-Ab12Cd34.js': 'export {};' }),
    adminTokens: [ADMIN],
    allowedOrigins: [ORIGIN],
    analytics: { store: analytics.value },
    catalog: catalog.value,
    federated: { federation, admission: createAdmission({ rsaRaw: nodeRsaRaw, tokensPerDay: 1000 }), ...(limits.maxUpdateBytes ? { maxUpdateBytes: limits.maxUpdateBytes } : {}) },
    ...(limits.maxArtifactBytes ? { maxArtifactBytes: limits.maxArtifactBytes } : {}),
    ...(limits.maxCatalogBytes ? { maxCatalogBytes: limits.maxCatalogBytes } : {}),
  });
  const ids = (us: Array<{ id: string }>) => us.map((u) => u.id);
  const snapshot = async (): Promise<string> => {
    const fed = await rounds.value.load('default');
    return JSON.stringify([
      await storage.meta.getModel('default'),
      (await catalog.value.get())?.sha256,
      await analytics.value.readMetrics('default'),
      await analytics.value.getBestsellers('default'),
      await analytics.value.getExperiments('default'),
      await analytics.value.readItemScores('default'),
      fed.rounds,
      ids(fed.pending),
    ]);
  };
  const res = await app.request('/v1/models/default/manifest');
  // Enough that fuzzed updates reach the intake behind admission, as a device's would.
  const tokens: string[] = [];
  for (let i = 0; i < 8; i++) tokens.push(await tokenFor(app));
  return {
    tokens,
    app,
    snapshot,
    writes: () => meta.writes() + catalog.writes() + analytics.writes() + rounds.writes(),
    manifestEtag: res.headers.get('ETag') ?? '',
    blobShas: [v2.manifest.items.sha256, ...v2.manifest.shards.map((s) => s.sha256)],
    validUpdate: (n) => tinyUpdate({ seed: n + 1, baseVersion: 'v2', rows: [1 + (n % 5)] }),
    artifact: v2,
    trusted,
  };
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array<ArrayBuffer> | string;
  /** A body sent as a stream with no Content-Length (chunked upload). */
  streamed?: boolean;
}

const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const segment = fc.oneof(
  fc.constantFrom('default', 'v1', 'v2', 'nope', '..', '.', '%2e%2e', '%2F', 'a'.repeat(70), 'UPPER', 'sku-1', ''),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);
const authHeader = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ Authorization: `Bearer ${ADMIN}` }) },
  fc.constant({}),
  fc.constantFrom({ Authorization: 'Bearer wrong-token-0123456789abcdef' }, { Authorization: 'Basic YWRtaW46YWRtaW4=' }, { Authorization: `bearer ${ADMIN}x` }, { Authorization: 'Bearer' }),
  headerText.map((t) => ({ Authorization: t })),
);
const extraHeaders = fc.dictionary(
  fc.constantFrom('If-None-Match', 'Range', 'If-Range', 'X-Canary-Bucket', 'Origin', 'Accept', 'Cookie', 'Accept-Encoding', 'X-Client-Token'),
  headerText,
  { maxKeys: 3 },
);

function jsonBody(valid: unknown): fc.Arbitrary<string | Uint8Array<ArrayBuffer>> {
  return fc.oneof(
    { weight: 2, arbitrary: jsonEdits.map((edits) => JSON.stringify(mutateJson(valid, edits)) ?? '') },
    fc.constant(JSON.stringify(valid)),
    textMutation.map((m) => mutateText(JSON.stringify(valid), m)),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''),
    fc.uint8Array({ maxLength: 64 }).map((b) => new Uint8Array(b)),
  );
}

const METRICS = { model: 'default', counters: [{ placement: 'for-you', modelVersion: 'v2', variant: 'viewed.1', event: 'impression', count: 3 }] };
const TSV_FEED = 'id\ttitle\tlink\timage_link\tprice\tavailability\tproduct_type\nsku-1\tCream\thttps://shop.example/p/1\thttps://shop.example/1.jpg\t9.99 EUR\tin stock\tBeauty > Skin care\n';
const XML_FEED = `<?xml version="1.0"?><rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><item><g:id>sku-1</g:id><title>Cream</title><link>https://shop.example/p/1</link><g:image_link>https://shop.example/1.jpg</g:image_link><g:price>9.99 EUR</g:price><g:availability>in stock</g:availability></item></channel></rss>`;

/** Requests for every route, mostly near-valid (one thing wrong), some valid, some noise. */
function requestArbitrary(s: FuzzServer): fc.Arbitrary<FuzzRequest> {
  const get = (path: fc.Arbitrary<string>, auth = false): fc.Arbitrary<FuzzRequest> =>
    fc.record({
      method: fc.constantFrom('GET', 'GET', 'HEAD'),
      path,
      headers: auth ? fc.tuple(authHeader, extraHeaders).map(([a, b]) => ({ ...b, ...a })) : extraHeaders,
    });
  const send = (
    methods: string[],
    path: fc.Arbitrary<string>,
    types: string[],
    body: fc.Arbitrary<string | Uint8Array<ArrayBuffer>>,
    auth = false,
    more: fc.Arbitrary<Record<string, string>> = fc.constant({}),
  ): fc.Arbitrary<FuzzRequest> =>
    fc.record({
      method: fc.constantFrom(...methods),
      path,
      headers: fc
        .tuple(auth ? authHeader : fc.constant({}), extraHeaders, fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...types) }, headerText), more)
        .map(([a, extra, type, m]) => ({ ...extra, ...m, ...a, 'Content-Type': type })),
      body,
      streamed: fc.boolean(),
    });
  const name = fc.oneof({ weight: 3, arbitrary: fc.constant('default') }, segment);
  const clientTokens = fc.oneof({ weight: 3, arbitrary: fc.nat(50).map((n) => ({ 'X-Client-Token': clientToken(n) })) }, headerText.map((t) => ({ 'X-Client-Token': t })), fc.constant({}));
  const admission = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...s.tokens).map((a) => ({ Authorization: a })) }, headerText.map((t) => ({ Authorization: `PrivateToken token=${t}` })), fc.constant({}));
  const token = fc.tuple(clientTokens, admission).map(([c, a]) => ({ ...c, ...a }));
  const update = fc.oneof(
    { weight: 2, arbitrary: fc.tuple(fc.nat(1000), byteMutation).map(([n, m]) => mutateBytes(s.validUpdate(n), m)) },
    fc.nat(1000).map((n) => s.validUpdate(n)),
    fc.uint8Array({ maxLength: 256 }).map((b) => new Uint8Array(b)),
  );
  const form = fc.tuple(fc.constantFrom('token', 'tok', ''), headerText).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  const query = (k: string) => fc.oneof(fc.constant(''), fc.string({ maxLength: 12 }).map((v) => `${k}=${encodeURIComponent(v)}`), fc.constantFrom(`${k}=v1`, `${k}=v2`, `${k}=default`, `${k}=5`, `${k}=-1`, `${k}=1e9`));
  return fc.oneof(
    get(fc.tuple(name).map(([n]) => `/v1/models/${n}/manifest`)),
    get(fc.oneof(fc.constantFrom(...s.blobShas), fc.string({ unit: fc.constantFrom(...'0123456789abcdefA'), minLength: 60, maxLength: 66 }), segment).map((h) => `/v1/blobs/${h}`)),
    get(fc.constant('/v1/keys')),
    get(fc.tuple(name, query('from'), query('to')).map(([n, f, t]) => `/v1/models/${n}/deltas?${f}&${t}`)),
    get(fc.constant('/v1/catalog')),
    get(fc.tuple(query('model'), query('limit')).map(([m, l]) => `/v1/popular?${m}&${l}`)),
    get(fc.array(segment, { minLength: 1, maxLength: 3 }).map((p) => `/widget/${p.join('/')}`)),
    get(fc.constantFrom('/healthz', '/', '/v1', '/v1/', '/v1/admin')),
    get(fc.tuple(name, query('model')).map(([n, q]) => `/v1/admin/models/${n}/versions?${q}`), true),
    get(query('model').map((q) => `/v1/admin/metrics?${q}`), true),
    get(name.map((n) => `/v1/admin/models/${n}/experiment`), true),
    get(query('model').map((q) => `/v1/admin/rounds?${q}`), true),
    get(query('model').map((q) => `/dashboard?${q}`), true),
    send(['POST'], fc.constant('/v1/updates'), ['application/vnd.edge-recs.update', 'application/octet-stream', 'application/json'], update, false, token),
    send(['POST'], fc.constant('/v1/metrics'), ['application/json', 'text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded'], jsonBody(METRICS)),
    send(['PUT'], fc.constant('/v1/admin/catalog'), ['application/json'], jsonBody(CATALOG), true),
    send(['PUT'], fc.constant('/v1/admin/catalog'), ['text/tab-separated-values'], textMutation.map((m) => mutateText(TSV_FEED, m)), true),
    send(['PUT'], fc.constant('/v1/admin/catalog'), ['application/xml', 'application/rss+xml'], textMutation.map((m) => mutateText(XML_FEED, m)), true),
    send(['PUT'], name.map((n) => `/v1/admin/models/${n}/bestsellers`), ['application/json'], jsonBody({ ids: ['sku-2', 'sku-1'] }), true),
    send(['PUT'], name.map((n) => `/v1/admin/models/${n}/experiment`), ['application/json'], jsonBody({ name: 'spring-test', holdout: 0.1, control: 'bestsellers' }), true),
    send(['DELETE'], name.map((n) => `/v1/admin/models/${n}/experiment`), ['application/json'], fc.constant(''), true),
    send(['POST'], name.map((n) => `/v1/admin/models/${n}/promote`), ['application/json'], jsonBody({ version: 'v1' }), true),
    send(['POST'], name.map((n) => `/v1/admin/models/${n}/rollback`), ['application/json'], fc.constant(''), true),
    send(['PUT'], name.map((n) => `/v1/admin/models/${n}/canary`), ['application/json'], jsonBody({ version: 'v1', percent: 10 }), true),
    send(['DELETE'], name.map((n) => `/v1/admin/models/${n}/canary`), ['application/json'], fc.constant(''), true),
    send(['POST'], name.map((n) => `/v1/admin/models/${n}/versions`), ['multipart/form-data; boundary=x', 'application/json'], fc.oneof(fc.constant('--x\r\nContent-Disposition: form-data; name="manifest"\r\n\r\n{}\r\n--x--\r\n'), fc.uint8Array({ maxLength: 64 }).map((b) => new Uint8Array(b))), true),
    send(['POST'], fc.constant('/dashboard/login'), ['application/x-www-form-urlencoded', 'multipart/form-data'], form),
    send(['POST'], fc.constant('/dashboard/logout'), ['application/x-www-form-urlencoded'], fc.constant('')),
    // Any method on any path.
    fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
      path: fc.array(segment, { maxLength: 4 }).map((p) => `/${p.join('/')}`),
      headers: fc.tuple(authHeader, extraHeaders).map(([a, b]) => ({ ...b, ...a })),
      body: fc.option(fc.string({ maxLength: 32 }), { nil: undefined }),
    }),
  );
}

function toRequest(r: FuzzRequest): Request {
  const hasBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
  const bytes = typeof r.body === 'string' ? utf8.encode(r.body) : r.body;
  const body = !hasBody ? undefined : r.streamed ? new ReadableStream({ start: (c) => (c.enqueue(bytes), c.close()) }) : bytes;
  return new Request(`http://localhost${r.path}`, { method: r.method, headers: r.headers, body, ...(r.streamed && hasBody ? { duplex: 'half' } : {}) } as RequestInit);
}

/** Checks one answer to one request against the server's promises; throws a message naming the broken one. */
export async function checkAnswer(s: FuzzServer, r: FuzzRequest): Promise<number> {
  const before = await s.snapshot();
  const writesBefore = s.writes();
  const res = await s.app.fetch(toRequest(r));
  const text = await res.text();
  const where = `${r.method} ${r.path}`;
  if (res.status >= 500) throw new Error(`${where}: ${res.status} ${text}`);
  if (res.status >= 400) {
    const html = r.path.startsWith('/dashboard') && (res.headers.get('Content-Type') ?? '').startsWith('text/html');
    if (!html && r.method !== 'HEAD') {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new Error(`${where}: ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
      }
      const error = (body as { error?: { code?: unknown; message?: unknown } }).error;
      if (Object.keys(body as object).join() !== 'error' || typeof error?.code !== 'string' || typeof error.message !== 'string' || error.message === '') {
        throw new Error(`${where}: ${res.status} body is not {error:{code,message}}: ${text.slice(0, 200)}`);
      }
    }
    const after = await s.snapshot();
    if (after !== before || s.writes() !== writesBefore) throw new Error(`${where}: refused with ${res.status} but changed state (writes ${writesBefore} -> ${s.writes()})`);
  }
  return res.status;
}

const serverTarget: FuzzTarget = {
  name: 'edge server (all routes)',
  async property() {
    const s = await fuzzServer();
    const stats: Record<string, number> = {};
    this.stats = stats;
    return fc.asyncProperty(requestArbitrary(s), async (r) => {
      const status = await checkAnswer(s, r);
      const bucket = `${Math.floor(status / 100)}xx`;
      stats[bucket] = (stats[bucket] ?? 0) + 1;
    }) as unknown as fc.IAsyncProperty<[unknown]>;
  },
};

// ---------------------------------------------------------------------------------------------------
// Event parser and the dataLayer bridge.

const itemArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record(
      {
        item_id: fc.oneof(fc.constantFrom('sku-1', 'sku-0042', 42, ''), fc.string({ maxLength: 140 }), fc.anything()),
        item_category: fc.oneof(fc.string({ maxLength: 20 }), fc.anything(), fc.string({ minLength: 490, maxLength: 520 })),
        price: fc.oneof(fc.double(), fc.constantFrom('12.90', '', ' ', 'NaN', Infinity, -1), fc.anything()),
        quantity: fc.oneof(fc.integer(), fc.double(), fc.anything()),
        item_name: fc.string(),
        user_id: fc.string(),
      },
      { requiredKeys: [] },
    ),
  },
  fc.anything(),
);

const eventArb = fc.record({
  name: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...EVENT_NAMES) }, fc.anything(), fc.string({ maxLength: 20 })),
  params: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record(
        {
          items: fc.oneof({ weight: 4, arbitrary: fc.array(itemArb, { maxLength: 4 }) }, fc.array(itemArb, { minLength: 199, maxLength: 202 }), fc.anything()),
          item_id: fc.anything(),
          ts: fc.oneof(fc.double(), fc.anything()),
          placement: fc.oneof(fc.constantFrom('for-you', 'similar'), fc.string({ maxLength: 80 }), fc.anything()),
        },
        { requiredKeys: [] },
      ),
    },
    fc.anything(),
  ),
});

const eventTarget: FuzzTarget = {
  name: 'event parser + dataLayer bridge',
  async property() {
    return fc.property(eventArb, fc.boolean(), fc.boolean(), ({ name, params }, viaDataLayer, gtmShape) => {
      let reported: { name: unknown; params: unknown } | undefined = { name, params };
      if (viaDataLayer) {
        // The loader's bridge, in both shapes GA4 documents: it never throws, and whatever it passes on goes to parseEvent.
        consentOf({ 0: 'consent', 1: name, 2: params });
        reported = fromDataLayer(gtmShape ? { event: name, ecommerce: params } : ['event', name, params]);
        if (!reported) return;
      }
      const r = contractOnly(() => parseEvent(reported.name, reported.params, 1_700_000_000_000), ['bad_event']);
      if (!r.ok) return;
      const e = r.value;
      if (!EVENT_NAMES.includes(e.name)) throw new Error(`accepted name ${String(e.name)}`);
      if (!Number.isFinite(e.ts)) throw new Error(`accepted ts ${e.ts}`);
      if (e.items.length < 1 || e.items.length > 200) throw new Error(`accepted ${e.items.length} items`);
      for (const it of e.items) {
        // Kept ids are valid and already normalized (the shared rule, core/item-id.ts).
        if (normalizeItemId(it.item_id) !== it.item_id) throw new Error(`accepted item_id ${JSON.stringify(it.item_id)}`);
        for (const k of ['price', 'quantity'] as const) if (it[k] !== undefined && !(Number.isFinite(it[k]) && it[k]! >= 0)) throw new Error(`accepted ${k} ${it[k]}`);
        const extra = Object.keys(it).filter((k) => !['item_id', 'item_category', 'price', 'quantity'].includes(k));
        if (extra.length > 0) throw new Error(`kept fields ${extra.join()} (only the four EdgeRecs uses may be stored)`);
      }
      // Normalized events parse to themselves: what is stored is what a later read validates.
      const again = parseEvent(e.name, e, 0);
      if (JSON.stringify(again) !== JSON.stringify(e)) throw new Error('a parsed event does not parse to itself');
    }) as unknown as fc.IProperty<[unknown]>;
  },
};

// ---------------------------------------------------------------------------------------------------
// Merchant Center feeds.

const feedValue = fc.oneof(
  fc.constantFrom('', ' ', '12.99 USD', 'USD 12.99', '12,99 EUR', 'ask us', 'in stock', 'out_of_stock', 'preorder', '"quoted\tvalue"', '"', 'https://shop.example/p', 'javascript:alert(1)', '../../etc', '1e309 USD', '-5 EUR', '2026-01-01T00:00Z/2026-12-31T00:00Z'),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
);
const FEED_FIELDS = ['id', 'title', 'link', 'image_link', 'image link', 'price', 'sale_price', 'sale_price_effective_date', 'availability', 'product_type', 'google_product_category', 'brand', 'other'];

const feedArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.subarray(FEED_FIELDS, { minLength: 1 }), fc.array(fc.array(feedValue, { minLength: 1, maxLength: 14 }), { maxLength: 5 }), fc.boolean())
      .map(([header, rows, crlf]) => ({ format: 'tsv' as const, text: [header, ...rows].map((r) => r.join('\t')).join(crlf ? '\r\n' : '\n') })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.array(fc.array(fc.tuple(fc.constantFrom(...FEED_FIELDS.filter((f) => !f.includes(' '))), feedValue, fc.boolean()), { maxLength: 8 }), { maxLength: 4 }), fc.constantFrom('g', 'x', 'gg'), fc.boolean())
      .map(([items, prefix, atom]) => {
        const esc = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;');
        const body = items
          .map((fields) => `<${atom ? 'entry' : 'item'}>${fields.map(([k, v, cdata]) => `<${prefix}:${k}>${cdata ? `<![CDATA[${v.replace(/]]>/g, '')}]]>` : esc(v)}</${prefix}:${k}>`).join('')}</${atom ? 'entry' : 'item'}>`)
          .join('\n');
        const text = atom
          ? `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:${prefix}="http://base.google.com/ns/1.0">${body}</feed>`
          : `<?xml version="1.0"?><rss version="2.0" xmlns:${prefix}="http://base.google.com/ns/1.0"><channel>${body}</channel></rss>`;
        return { format: 'xml' as const, text };
      }),
  },
  fc.tuple(textMutation, textMutation).map(([a, b]) => ({ format: 'tsv' as const, text: mutateText(mutateText(TSV_FEED, a), b) })),
  fc.tuple(textMutation, textMutation).map(([a, b]) => ({ format: 'xml' as const, text: mutateText(mutateText(XML_FEED, a), b) })),
  fc.tuple(fc.constantFrom('tsv' as const, 'xml' as const), fc.string({ unit: 'binary', maxLength: 200 })).map(([format, text]) => ({ format, text })),
);

const feedTarget: FuzzTarget = {
  name: 'catalog feed parser (TSV, XML)',
  async property() {
    const now = new Date('2026-03-10T12:00:00Z');
    return fc.property(feedArb, ({ format, text }) => {
      const started = performance.now();
      const r = contractOnly(() => (format === 'tsv' ? parseTsvFeed(text, { now }) : parseXmlFeed(text, { now })), ['bad_catalog']);
      const ms = performance.now() - started;
      // A linear parser handles these sizes in well under a millisecond; seconds would mean backtracking.
      if (ms > 1000) throw new Error(`took ${ms.toFixed(0)} ms on ${text.length} characters`);
      if (!r.ok) return;
      // What the parser accepts is a catalog the widget accepts.
      parseCatalog(JSON.parse(JSON.stringify(r.value)));
    }) as unknown as fc.IProperty<[unknown]>;
  },
};

// ---------------------------------------------------------------------------------------------------
// Artifact loader: manifest and shards.

const LOADER_CODES = ['bad_manifest', 'bad_config', 'integrity', 'unsigned', 'untrusted_key', 'bad_signature', 'bad_weights', 'bad_artifact'];

const artifactTarget: FuzzTarget = {
  name: 'artifact loader (manifest + shards)',
  async property() {
    const { artifact, trusted } = await signedTwoShardArtifact();
    const original = await loadArtifact(artifact.manifest, async (f) => artifact.files.get(f.path)!, { trusted });
    const paths = [...artifact.files.keys()];
    const manifestJson = JSON.parse(JSON.stringify(artifact.manifest)) as unknown;
    const change = fc.oneof(
      { weight: 2, arbitrary: jsonEdits.map((edits) => ({ manifest: mutateJson(manifestJson, edits), files: {} as Record<string, ByteMutation> })) },
      {
        weight: 2,
        arbitrary: fc.dictionary(fc.constantFrom(...paths), byteMutation, { minKeys: 1, maxKeys: 2 }).map((files) => ({ manifest: manifestJson, files })),
      },
      fc.constantFrom('swap', 'missing-signature', 'traversal').map((kind) => ({ manifest: manifestJson, files: {}, kind })),
      fc.anything().map((m) => ({ manifest: m, files: {} })),
    );
    return fc.asyncProperty(change, fc.boolean(), async (c, signed) => {
      let manifest = c.manifest as Record<string, unknown>;
      const files = new Map(artifact.files);
      for (const [path, m] of Object.entries(c.files)) files.set(path, mutateBytes(files.get(path)!, m) as never);
      const kind = (c as { kind?: string }).kind;
      if (kind === 'swap') {
        const [a, b] = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
        const fa = files.get(a)!;
        files.set(a, files.get(b)!);
        files.set(b, fa);
      } else if (kind === 'missing-signature') {
        const { signature: _s, ...rest } = manifest;
        manifest = rest;
      } else if (kind === 'traversal') {
        // Every place a file name appears, so the manifest stays consistent and only the name is wrong.
        const evil = '../../../etc/passwd';
        const m = structuredClone(manifest) as { shards: FileRef[]; weightsManifest: Array<{ paths: string[] }> };
        m.shards[0]!.path = evil;
        m.weightsManifest[0]!.paths[0] = evil;
        manifest = m as unknown as Record<string, unknown>;
      }
      const fetched: string[] = [];
      const r = await contractOnlyAsync(
        () =>
          loadArtifact(
            manifest,
            async (f) => {
              fetched.push(f.path);
              const bytes = files.get(f.path);
              if (!bytes) throw new ContractError('integrity', `${f.path}: no such file`);
              return bytes;
            },
            signed ? { trusted } : { unsigned: 'allow' },
          ),
        LOADER_CODES,
      );
      for (const p of fetched) if (!/^[A-Za-z0-9._-]+$/.test(p) || p === '.' || p === '..') throw new Error(`asked for file ${JSON.stringify(p)}`);
      if (!r.ok) return;
      // Accepted: with a signature it must be the very artifact that was signed.
      const same = JSON.stringify([...r.value.weights].map(([n, t]) => [n, Array.from(t.values)])) === JSON.stringify([...original.weights].map(([n, t]) => [n, Array.from(t.values)]));
      if (signed && (!same || r.value.itemIds.join() !== original.itemIds.join())) throw new Error('accepted a changed artifact as signed');
      if (!signed && Object.keys(c.files).length > 0 && kind !== 'swap' && !same) {
        // Unsigned, the manifest may be edited, but a changed file never passes as the manifest's file.
        const changed = Object.keys(c.files).some((p) => files.get(p)!.join() !== artifact.files.get(p)!.join());
        if (changed && JSON.stringify(manifest) === JSON.stringify(manifestJson)) throw new Error('accepted a changed file');
      }
    }) as unknown as fc.IAsyncProperty<[unknown]>;
  },
};

// ---------------------------------------------------------------------------------------------------
// Federated update codec.

const configArb = fc
  .record({ numItems: fc.integer({ min: 1, max: 12 }), dim: fc.constantFrom(2, 4, 6), blocks: fc.integer({ min: 0, max: 2 }), heads: fc.constant(1), maxLen: fc.integer({ min: 1, max: 4 }) })
  .map((c) => c as ModelConfig);

const updateArb = configArb.chain((config) => {
  const dense = paramShapes(config).slice(1);
  return fc.record({
    config: fc.constant(config),
    model: fc.constantFrom('default', 'm-2'),
    baseVersion: fc.constantFrom('v1', 'fed-12', 'r.1+x'),
    nonce: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    dense: fc.subarray(dense).chain((chosen) =>
      fc.tuple(...chosen.map(([name, shape]) => fc.float32Array({ minLength: size(shape), maxLength: size(shape), noNaN: true, noDefaultInfinity: true, min: -4, max: 4 }).map((v) => [name, v] as const))),
    ),
    rows: fc.uniqueArray(fc.integer({ min: 1, max: config.numItems }), { maxLength: config.numItems }).chain((idx) => {
      const indices = Uint32Array.from(idx.sort((a, b) => a - b));
      return fc.float32Array({ minLength: indices.length * config.dim, maxLength: indices.length * config.dim, noNaN: true, noDefaultInfinity: true, min: -4, max: 4 }).map((values) => ({ indices, values }));
    }),
    encoding: fc.constantFrom(...VALUE_ENCODINGS),
    density: fc.constantFrom(1, 0.5, 0.1),
  });
});

const codecTarget: FuzzTarget = {
  name: 'federated update codec',
  async property() {
    const valid = [tinyUpdate({ seed: 1 }), tinyUpdate({ seed: 2, rows: [1, 3, 5] }, { values: 'float16' }), tinyUpdate({ seed: 3 }, { values: 'float32', density: 0.3 })];
    const bytesArb = fc.oneof(
      { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...valid), fc.array(byteMutation, { minLength: 1, maxLength: 3 })).map(([b, ms]) => ms.reduce<Uint8Array>((acc, m) => mutateBytes(acc, m), b)) },
      fc.uint8Array({ maxLength: 128 }),
      fc.uint8Array({ maxLength: 64 }).map((b) => Uint8Array.from([0x45, 0x52, 0x55, 1, ...b])),
    );
    return fc.property(fc.oneof(bytesArb.map((b) => ({ bytes: b })), updateArb.map((u) => ({ update: u }))), (input) => {
      if ('bytes' in input) {
        const r = contractOnly(() => decodeUpdate(input.bytes, { maxRows: 64 }), ['bad_update']);
        contractOnly(() => decodeVersionDelta(input.bytes), ['bad_update']);
        if (!r.ok) return;
        const u = r.value;
        for (const v of u.dense.values()) if (!v.every(Number.isFinite)) throw new Error('decoded a non-finite dense value');
        if (!u.rows.values.every(Number.isFinite)) throw new Error('decoded a non-finite row value');
        if (u.nonce.length !== 16) throw new Error('decoded a nonce that is not 16 bytes');
        return;
      }
      // Round trip: what a device encodes, the server decodes to the same fields (values within the encoding's rounding).
      const { config, model, baseVersion, nonce, encoding, density } = input.update;
      const dense = new Map<string, Float32Array>(input.update.dense.map(([n, v]) => [n, new Float32Array(v)]));
      const bytes = encodeUpdate({ model, baseVersion, nonce, config, dense, rows: input.update.rows }, { values: encoding as ValueEncoding, density });
      const u = decodeUpdate(bytes);
      if (u.model !== model || u.baseVersion !== baseVersion || u.nonce.join() !== nonce.join() || JSON.stringify(u.config) !== JSON.stringify(config)) throw new Error('labels changed in a round trip');
      if (u.rows.indices.join() !== input.update.rows.indices.join()) throw new Error('row indices changed in a round trip');
      const tol = (vals: Float32Array, i: number) => {
        const max = vals.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        return encoding === 'float32' ? 0 : encoding === 'float16' ? Math.abs(vals[i]!) * 1e-3 + 1e-7 : max / 127 / 2 + 1e-6;
      };
      if (density === 1) {
        for (const [name, v] of dense) {
          const got = u.dense.get(name);
          if (!got) {
            if (v.some((x) => x !== 0)) throw new Error(`dense ${name} lost in a round trip`);
            continue;
          }
          v.forEach((x, i) => {
            if (Math.abs(got[i]! - x) > tol(v, i)) throw new Error(`dense ${name}[${i}] ${x} came back as ${got[i]}`);
          });
        }
      }
      const dim = config.dim;
      for (let r = 0; r < input.update.rows.indices.length; r++) {
        const row = input.update.rows.values.subarray(r * dim, (r + 1) * dim);
        row.forEach((x, c) => {
          if (Math.abs(u.rows.values[r * dim + c]! - x) > tol(row, c)) throw new Error(`row ${input.update.rows.indices[r]}[${c}] ${x} came back as ${u.rows.values[r * dim + c]}`);
        });
      }
    }) as unknown as fc.IProperty<[unknown]>;
  },
};

export const FUZZ_TARGETS: readonly FuzzTarget[] = [serverTarget, eventTarget, feedTarget, artifactTarget, codecTarget];
export { ADMIN as FUZZ_ADMIN_TOKEN, ORIGIN as FUZZ_ORIGIN, CATALOG as FUZZ_CATALOG, TINY };
