/**
 * The edge server's contract, written once and run against every runtime (`npm test` runs it on Node
 * in process and on workerd through Miniflare). Each runtime supplies a `ContractRuntime`: it starts
 * its server with the given keys, origins and widget files, and publishes through its own production
 * path (`publishArtifact` on disk in Node; on Workers the admin API, whose Worker publishes into the
 * model's Durable Object).
 *
 * Only what a client can observe is asserted here; each adapter's own tests cover its storage layout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Artifact } from '../../core/artifact/artifact.ts';
import { sha256Hex } from '../../core/artifact/bytes.ts';
import { parseManifest } from '../../core/artifact/manifest.ts';
import type { KeyFile, TrustedKey } from '../../core/artifact/signing.ts';
import { ContractError } from '../../core/errors.ts';
import { artifactForm } from '../../core/artifact/upload.ts';
import { obtainToken } from '../../core/federated/admission-client.ts';
import { decodeVersionDelta } from '../../core/federated/codec.ts';
import { clientToken, deviceAddress, TEST_PEER_HEADER, tinyUpdate } from '../support/edge-server/federated.ts';
import { expectError, signer, tinyArtifact } from '../support/edge-server/fixtures.ts';
import { MAX_BATCH } from '../../edge-server/models/delivery.ts';

/** A fetch-like handle on the server under test; `path` starts with `/`. */
export type ContractFetch = (path: string, init?: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array<ArrayBuffer> }) => Promise<Response>;

/** How the runtime must configure the server it starts. */
export interface ContractConfig {
  trustedKeys: TrustedKey[];
  allowedOrigins: string[];
  /** Widget build files by path, e.g. `{ 'edge-recs.js': '...' }`. */
  widget: Record<string, string>;
  /** Admin bearer tokens (`adminTokens`; `ADMIN_TOKENS` on Workers). */
  adminTokens: string[];
  /**
   * Federated learning: the federation's signing key and cohort K (`createFederation` on Node,
   * `FEDERATED_SIGNING_KEY` / `FEDERATED_CONFIG` on Workers). Rows are released from one device up
   * (`releaseThreshold: 1`) and the ε budget is large, so a few tiny rounds always publish.
   */
  federation: { signingKey: Required<KeyFile>; cohort: number; releaseThreshold: number; epsilonBudget: number; epsilonPerDay: number; tokensPerDay: number };
}

export interface ContractServer {
  fetch: ContractFetch;
  /**
   * Publishes through the runtime's production publish path.
   * @throws ContractError when the registry refuses the artifact.
   */
  publish(artifact: Artifact): Promise<{ created: boolean }>;
  /** Stops the server and starts it again on the same durable storage. */
  restart(): Promise<void>;
  /** Stops the server and removes its storage. */
  close(): Promise<void>;
}

export type ContractRuntime = (config: ContractConfig) => Promise<ContractServer>;

const SHOP = 'https://shop.example';
const LOADER_JS = 'export const edgeRecs = "contract";';
const MANIFEST_CACHE = 'public, max-age=60, must-revalidate';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const ADMIN_TOKEN = 'contract-admin-token-0123456789';
const ADMIN = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const FED_COHORT = 3;

/**
 * The headers that make a request come from `address`: the runtime's own client address header on Workers
 * (`CF-Connecting-IP`), the test peer header on Node (`testPeer`).
 */
const fromAddress = (address: string): Record<string, string> => ({ 'CF-Connecting-IP': address, [TEST_PEER_HEADER]: address });

/** Admission tokens one address gets a day: a suite device re-sends, and one test sends from another's address. */
const TOKENS_PER_DAY = 3;

/** A real admission token (`obtainToken`, as the widget gets one) issued to `address`. */
async function tokenFrom(server: ContractServer, address: string): Promise<string> {
  const out = await obtainToken('http://edge-recs.test', (url, init) =>
    server.fetch(new URL(url).pathname, { method: init.method ?? 'GET', headers: { ...(init.headers as Record<string, string>), ...fromAddress(address) }, ...(init.body ? { body: init.body as Uint8Array<ArrayBuffer> } : {}) }),
  );
  if (!out.ok) throw new Error(`token for ${address}: ${out.status} ${out.code}`);
  return out.authorization;
}

/** POSTs an encoded update for the model `learn` as device `n`, from its own address (`deviceAddress(n)`), with a token issued to that address. */
async function postUpdate(server: ContractServer, n: number, baseVersion: string, extra: Record<string, string> = {}): Promise<Response> {
  const from = extra['CF-Connecting-IP'] ?? deviceAddress(n);
  return server.fetch('/v1/updates', {
    method: 'POST',
    headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': clientToken(n), ...fromAddress(deviceAddress(n)), Authorization: await tokenFrom(server, from), ...extra },
    body: tinyUpdate({ model: 'learn', baseVersion, seed: n, rows: [1 + (n % 5)] }),
  });
}
const FEED_TSV = 'id\ttitle\tlink\timage_link\tprice\tavailability\tproduct_type\nsku-1\tCream\t/p/1\t/i/1\t9.50 EUR\tin stock\tBeauty\n';

/** A multipart artifact upload as bytes and its Content-Type, so any runtime's fetch can carry it. */
async function uploadBody(artifact: Artifact): Promise<{ body: Uint8Array<ArrayBuffer>; headers: Record<string, string> }> {
  const encoded = new Response(artifactForm(artifact));
  return { body: new Uint8Array(await encoded.arrayBuffer()), headers: { ...ADMIN, 'Content-Type': encoded.headers.get('Content-Type')! } };
}


async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}

/** Registers the contract suite for one runtime. Call at the top level of a test file. */
export function describeContract(runtimeName: string, runtime: ContractRuntime): void {
  describe(`edge server contract on ${runtimeName}`, () => {
    let server: ContractServer;
    let key: Required<KeyFile>;
    let trusted: TrustedKey[];
    let artifact: Artifact;
    let fedKey: Required<KeyFile>;

    beforeAll(async () => {
      ({ key, trusted } = await signer());
      ({ key: fedKey } = await signer());
      server = await runtime({
        trustedKeys: trusted,
        allowedOrigins: [SHOP],
        widget: { 'edge-recs.js': LOADER_JS },
        adminTokens: [ADMIN_TOKEN],
        federation: { signingKey: fedKey, cohort: FED_COHORT, releaseThreshold: 1, epsilonBudget: 1000, epsilonPerDay: 1000, tokensPerDay: TOKENS_PER_DAY },
      });
      artifact = await tinyArtifact(key, 'v1', 1, 'default');
      expect(await server.publish(artifact)).toEqual({ created: true });
    });

    afterAll(async () => {
      await server?.close();
    });

    const shard = (): { sha: string; bytes: Uint8Array } => {
      const ref = artifact.manifest.shards[0]!;
      return { sha: ref.sha256, bytes: artifact.files.get(ref.path)! };
    };

    it('answers /healthz with ok and no caching', async () => {
      const res = await server.fetch('/healthz');
      expect(res.status).toBe(200);
      expect(res.headers.get('Cache-Control')).toBe('no-store');
      expect(await res.json()).toEqual({ ok: true });
    });

    it('serves the current manifest with its SHA-256 as ETag, a short revalidated cache and its version', async () => {
      const res = await server.fetch('/v1/models/default/manifest');
      expect(res.status).toBe(200);
      const bytes = new Uint8Array(await res.arrayBuffer());
      // Weak where it went out compressed (workerd is always told `br, gzip`): the same content hash.
      expect(res.headers.get('ETag')?.replace(/^W\//, '')).toBe(`"${await sha256Hex(bytes)}"`);
      expect(res.headers.get('Cache-Control')).toBe(MANIFEST_CACHE);
      expect(res.headers.get('X-Model-Version')).toBe('v1');
      expect(res.headers.get('Content-Type')).toBe('application/json');
      // This server takes federated updates: devices learn it from the manifest answer.
      expect(res.headers.get('X-Federated-Learning')).toBe('on');
      expect(parseManifest(JSON.parse(new TextDecoder().decode(bytes)))).toEqual(artifact.manifest);
    });

    it('answers 304 with no body to an If-None-Match holding the manifest ETag', async () => {
      const etag = (await server.fetch('/v1/models/default/manifest')).headers.get('ETag')!;
      const res = await server.fetch('/v1/models/default/manifest', { headers: { 'If-None-Match': etag } });
      expect(res.status).toBe(304);
      expect(res.headers.get('ETag')).toBe(etag);
      expect(res.headers.get('X-Federated-Learning')).toBe('on');
      expect(await res.text()).toBe('');
    });

    it('serves a newly published version at once, under a new ETag', async () => {
      await server.publish(await tinyArtifact(key, 'v1', 1, 'next'));
      const old = (await server.fetch('/v1/models/next/manifest')).headers.get('ETag')!;
      expect(await server.publish(await tinyArtifact(key, 'v2', 2, 'next'))).toEqual({ created: true });
      const res = await server.fetch('/v1/models/next/manifest', { headers: { 'If-None-Match': old } });
      expect(res.status).toBe(200);
      expect(res.headers.get('X-Model-Version')).toBe('v2');
      expect(res.headers.get('ETag')).not.toBe(old);
    });

    it('serves a blob as immutable bytes with its SHA-256 as ETag, to GET and HEAD', async () => {
      const { sha, bytes } = shard();
      const res = await server.fetch(`/v1/blobs/${sha}`);
      expect(res.status).toBe(200);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
      expect(res.headers.get('Cache-Control')).toBe(IMMUTABLE);
      expect(res.headers.get('ETag')).toBe(`"${sha}"`);
      expect(res.headers.get('Content-Type')).toBe('application/octet-stream');
      expect(res.headers.get('Accept-Ranges')).toBe('bytes');
      const head = await server.fetch(`/v1/blobs/${sha}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('ETag')).toBe(`"${sha}"`);
      expect(await head.text()).toBe('');
      const cached = await server.fetch(`/v1/blobs/${sha}`, { headers: { 'If-None-Match': `"${sha}"` } });
      expect(cached.status).toBe(304);
    });

    it('serves a byte range as 206 with Content-Range, and 416 for a range past the end', async () => {
      const { sha, bytes } = shard();
      const n = bytes.byteLength;
      const part = await server.fetch(`/v1/blobs/${sha}`, { headers: { Range: 'bytes=2-5' } });
      expect(part.status).toBe(206);
      expect(part.headers.get('Content-Range')).toBe(`bytes 2-5/${n}`);
      expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.subarray(2, 6));
      const suffix = await server.fetch(`/v1/blobs/${sha}`, { headers: { Range: 'bytes=-3' } });
      expect(suffix.status).toBe(206);
      expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(bytes.subarray(n - 3));

      const past = await server.fetch(`/v1/blobs/${sha}`, { headers: { Range: `bytes=${n}-` } });
      expect(past.headers.get('Content-Range')).toBe(`bytes */${n}`);
      await expectError(past, 416, 'range_not_satisfiable');
    });

    it('serves several blobs in one answer, in the order asked, and refuses a bad list', async () => {
      const { sha, bytes } = shard();
      const items = artifact.manifest.items;
      const itemBytes = artifact.files.get(items.path)!;
      const res = await server.fetch(`/v1/blobs?sha256=${items.sha256},${sha}`, { headers: { Origin: SHOP } });
      expect(res.status).toBe(200);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array([...itemBytes, ...bytes]));
      expect(res.headers.get('Cache-Control')).toBe(IMMUTABLE);
      expect(res.headers.get('Content-Type')).toBe('application/octet-stream');
      expect(res.headers.get('Access-Control-Allow-Origin')).toBe(SHOP);
      const reversed = await server.fetch(`/v1/blobs?sha256=${sha},${items.sha256}`);
      expect(new Uint8Array(await reversed.arrayBuffer())).toEqual(new Uint8Array([...bytes, ...itemBytes]));
      await expectError(await server.fetch(`/v1/blobs?sha256=${sha},${'0'.repeat(64)}`), 404, 'unknown_blob');
      await expectError(await server.fetch(`/v1/blobs?sha256=${sha},${sha}`), 400, 'bad_sha256');
      await expectError(await server.fetch(`/v1/blobs?sha256=${sha},NOPE`), 400, 'bad_sha256');
      await expectError(await server.fetch(`/v1/blobs?sha256=${sha},`), 400, 'bad_sha256');
      await expectError(await server.fetch('/v1/blobs'), 400, 'bad_sha256');
      const many = Array.from({ length: MAX_BATCH + 1 }, (_, i) => i.toString(16).padStart(64, '0')).join(',');
      await expectError(await server.fetch(`/v1/blobs?sha256=${many}`), 400, 'too_many_blobs');
    });

    it('answers 404 in JSON for an unknown model, blob or route', async () => {
      await expectError(await server.fetch('/v1/models/nope/manifest'), 404, 'unknown_model');
      await expectError(await server.fetch('/v1/models/..%2F..%2Fetc/manifest'), 404, 'unknown_model');
      await expectError(await server.fetch(`/v1/blobs/${'0'.repeat(64)}`), 404, 'unknown_blob');
      await expectError(await server.fetch('/nope'), 404, 'not_found');
    });

    it('answers 400 bad_sha256 in JSON for a blob address that is not 64 lowercase hex digits', async () => {
      const { sha } = shard();
      for (const bad of [sha.toUpperCase(), sha.slice(1), 'not-a-hash']) {
        await expectError(await server.fetch(`/v1/blobs/${bad}`), 400, 'bad_sha256');
      }
    });

    it('lists the trusted public keys at /v1/keys, the federation\'s key after them', async () => {
      const res = await server.fetch('/v1/keys');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ keys: [...trusted, { keyId: fedKey.keyId, publicKey: fedKey.publicKey }] });
    });

    it('sends API security headers', async () => {
      const res = await server.fetch('/v1/models/default/manifest');
      expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect(res.headers.get('X-Frame-Options')).toBe('DENY');
      expect(res.headers.get('Content-Security-Policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers.get('Cross-Origin-Resource-Policy')).toBe('cross-origin');
    });

    it('grants CORS to a configured shop origin only, preflight included', async () => {
      const allowed = await server.fetch('/v1/models/default/manifest', { headers: { Origin: SHOP } });
      expect(allowed.headers.get('Access-Control-Allow-Origin')).toBe(SHOP);
      expect(allowed.headers.get('Access-Control-Expose-Headers')).toMatch(/ETag/);
      expect(allowed.headers.get('Access-Control-Expose-Headers')).toMatch(/X-Federated-Learning/);
      const other = await server.fetch('/v1/models/default/manifest', { headers: { Origin: 'https://evil.example' } });
      expect(other.status).toBe(200);
      expect(other.headers.get('Access-Control-Allow-Origin')).toBeNull();

      const preflight = await server.fetch(`/v1/blobs/${shard().sha}`, {
        method: 'OPTIONS',
        headers: { Origin: SHOP, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('Access-Control-Allow-Origin')).toBe(SHOP);
      expect(preflight.headers.get('Access-Control-Allow-Headers')).toMatch(/Range/);
    });

    it('serves the widget loader as JavaScript, and 404 in JSON for a file the build lacks', async () => {
      const res = await server.fetch('/widget/edge-recs.js', { headers: { Origin: SHOP } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(LOADER_JS);
      expect(res.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8');
      expect(res.headers.get('Cache-Control')).toBe('public, max-age=300');
      expect(res.headers.get('Access-Control-Allow-Origin')).toBe(SHOP);
      await expectError(await server.fetch('/widget/missing.js'), 404, 'not_found');
      await expectError(await server.fetch('/widget/..%2Fpackage.json'), 400, 'bad_path');
    });

    it('refuses to publish an artifact signed by an untrusted key, and serves nothing for it', async () => {
      const { key: stranger } = await signer();
      const err = await rejection(server.publish(await tinyArtifact(stranger, 'v1', 1, 'forged')));
      expect(err).toBeInstanceOf(ContractError);
      expect((err as ContractError).code).toBe('untrusted_key');
      await expectError(await server.fetch('/v1/models/forged/manifest'), 404, 'unknown_model');
    });

    it('refuses a second, different manifest under a published version', async () => {
      const err = await rejection(server.publish(await tinyArtifact(key, 'v1', 99, 'default')));
      expect((err as ContractError).code).toBe('version_exists');
      expect((await server.fetch('/v1/models/default/manifest')).headers.get('X-Model-Version')).toBe('v1');
    });

    it('loses no version when publishes of one model race', async () => {
      const racing = await Promise.all(['v1', 'v2', 'v3', 'v4'].map((v, i) => tinyArtifact(key, v, i + 10, 'race')));
      const results = await Promise.all(racing.map((a) => server.publish(a)));
      expect(results).toEqual(racing.map(() => ({ created: true })));
      // Publishing a recorded version again is a no-op (`created: false`); a lost one would be re-created.
      for (const a of racing) expect(await server.publish(a)).toEqual({ created: false });
      const res = await server.fetch('/v1/models/race/manifest');
      expect(res.headers.get('X-Model-Version')).toBe('v4');
    });

    it('guards /v1/admin/* with the bearer token: 401 with WWW-Authenticate without one, 403 for a wrong one', async () => {
      const missing = await server.fetch('/v1/admin/models/default/versions');
      expect(missing.headers.get('WWW-Authenticate')).toMatch(/^Bearer realm=/);
      await expectError(missing, 401, 'unauthorized');
      await expectError(await server.fetch('/v1/admin/models/default/versions', { headers: { Authorization: 'Bearer wrong-token-0123456789abc' } }), 403, 'forbidden');
      const listed = await server.fetch('/v1/admin/models/default/versions', { headers: ADMIN });
      expect(listed.status).toBe(200);
      expect(await listed.json()).toMatchObject({ name: 'default', current: 'v1', canary: null });
    });

    it('publishes over the admin API through the runtime\'s registry, then promotes, canaries and rolls back', async () => {
      const upload = async (version: string, seed: number): Promise<Response> => {
        const { body, headers } = await uploadBody(await tinyArtifact(key, version, seed, 'admin'));
        return server.fetch('/v1/admin/models/admin/versions', { method: 'POST', headers, body });
      };
      expect((await upload('a1', 21)).status).toBe(201);
      expect((await upload('a2', 22)).status).toBe(201);
      expect((await upload('a2', 22)).status).toBe(200);
      const { key: stranger } = await signer();
      const forged = await uploadBody(await tinyArtifact(stranger, 'a3', 23, 'admin'));
      await expectError(await server.fetch('/v1/admin/models/admin/versions', { method: 'POST', headers: forged.headers, body: forged.body }), 400, 'untrusted_key');

      const served = async (bucket: number): Promise<string | null> =>
        (await server.fetch('/v1/models/admin/manifest', { headers: { 'X-Canary-Bucket': String(bucket) } })).headers.get('X-Model-Version');
      const json = { ...ADMIN, 'Content-Type': 'application/json' };
      const canary = await server.fetch('/v1/admin/models/admin/canary', { method: 'PUT', headers: json, body: JSON.stringify({ version: 'a1', percent: 10 }) });
      expect(await canary.json()).toMatchObject({ current: 'a2', canary: { version: 'a1', percent: 10 } });
      expect(await served(9)).toBe('a1');
      expect(await served(10)).toBe('a2');
      // As the widget sends it: a query, so a cross-origin first visit needs no preflight.
      const byQuery = async (bucket: string): Promise<Response> => server.fetch(`/v1/models/admin/manifest?bucket=${bucket}`);
      expect((await byQuery('9')).headers.get('X-Model-Version')).toBe('a1');
      expect((await byQuery('10')).headers.get('X-Model-Version')).toBe('a2');
      await expectError(await byQuery('100'), 400, 'bad_canary_bucket');
      const rolled = await server.fetch('/v1/admin/models/admin/rollback', { method: 'POST', headers: ADMIN });
      expect(await rolled.json()).toMatchObject({ current: 'a1', canary: null });
      await expectError(await server.fetch('/v1/admin/models/admin/rollback', { method: 'POST', headers: ADMIN }), 409, 'no_previous_version');
      const promoted = await server.fetch('/v1/admin/models/admin/promote', { method: 'POST', headers: json, body: JSON.stringify({ version: 'a2' }) });
      expect(await promoted.json()).toMatchObject({ current: 'a2' });
      expect(await served(0)).toBe('a2');
      await expectError(await server.fetch('/v1/admin/models/admin/promote', { method: 'POST', headers: json, body: JSON.stringify({ version: 'zz' }) }), 404, 'unknown_version');
    });

    it('publishes a version as a canary over the admin API in one request, leaving the current version served to the rest', async () => {
      const upload = async (name: string, version: string, seed: number, query = ''): Promise<Response> => {
        const { body, headers } = await uploadBody(await tinyArtifact(key, version, seed, name));
        return server.fetch(`/v1/admin/models/${name}/versions${query}`, { method: 'POST', headers, body });
      };
      const served = async (bucket: number): Promise<string | null> =>
        (await server.fetch('/v1/models/staged/manifest', { headers: { 'X-Canary-Bucket': String(bucket) } })).headers.get('X-Model-Version');
      await expectError(await upload('staged', 's1', 31, '?canary=10'), 409, 'no_current_version');
      await expectError(await server.fetch('/v1/models/staged/manifest'), 404, 'unknown_model');
      expect((await upload('staged', 's1', 31)).status).toBe(201);
      const canary = await upload('staged', 's2', 32, '?canary=10');
      expect(canary.status).toBe(201);
      expect(await canary.json()).toMatchObject({ version: 's2', created: true, current: 's1', canary: { version: 's2', percent: 10 } });
      expect([await served(0), await served(9), await served(10), await served(99)]).toEqual(['s2', 's2', 's1', 's1']);
      await expectError(await upload('staged', 's3', 33, '?canary=0'), 400, 'bad_canary');
      expect(await (await server.fetch('/v1/admin/models/staged/versions', { headers: ADMIN })).json()).toMatchObject({
        current: 's1',
        canary: { version: 's2', percent: 10 },
        versions: [{ version: 's1' }, { version: 's2' }],
      });
    });

    it('stores a Merchant Center feed uploaded by an admin and serves it at /v1/catalog with an ETag', async () => {
      await expectError(await server.fetch('/v1/admin/catalog', { method: 'PUT', headers: { 'Content-Type': 'text/tab-separated-values' }, body: FEED_TSV }), 401, 'unauthorized');
      const put = await server.fetch('/v1/admin/catalog', { method: 'PUT', headers: { ...ADMIN, 'Content-Type': 'text/tab-separated-values' }, body: FEED_TSV });
      expect(put.status).toBe(200);
      const res = await server.fetch('/v1/catalog');
      expect(res.status).toBe(200);
      const etag = res.headers.get('ETag')!;
      expect((await res.json()) as unknown).toMatchObject({ products: [{ id: 'sku-1', price: 9.5, currency: 'EUR', availability: 'in_stock' }] });
      expect((await server.fetch('/v1/catalog', { headers: { 'If-None-Match': etag } })).status).toBe(304);
      const bad = await server.fetch('/v1/admin/catalog', { method: 'PUT', headers: { ...ADMIN, 'Content-Type': 'text/tab-separated-values' }, body: FEED_TSV.replace('9.50 EUR', 'free') });
      expect(await expectError(bad, 400, 'bad_catalog')).toMatch(/^line 2 \(item "sku-1"\): field "price"/);
    });

    it('keeps variant groups and ids with a space from a feed, and refuses a second currency with a 400 naming the item', async () => {
      const put = (body: string): Promise<Response> => server.fetch('/v1/admin/catalog', { method: 'PUT', headers: { ...ADMIN, 'Content-Type': 'text/tab-separated-values' }, body });
      const variants = 'id\titem_group_id\ttitle\tlink\timage_link\tprice\tavailability\tproduct_type\njacket S\tjacket\tJacket S\t/p/j?s\t/i/j\t80.00 EUR\tin stock\tApparel\njacket M\tjacket\tJacket M\t/p/j?m\t/i/j\t80.00 EUR\tin stock\tApparel\n';
      const ok = await put(variants);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ products: 2, groups: 1 });
      expect(await (await server.fetch('/v1/catalog')).json()).toMatchObject({ products: [{ id: 'jacket S', item_group_id: 'jacket' }, { id: 'jacket M', item_group_id: 'jacket' }] });
      const twoCurrencies = variants.replace('Jacket M\t/p/j?m\t/i/j\t80.00 EUR', 'Jacket M\t/p/j?m\t/i/j\t80.00 USD');
      expect(await expectError(await put(twoCurrencies), 400, 'bad_catalog')).toMatch(/^line 3 \(item "jacket M"\): price is in USD but .* is in EUR/);
      expect((await put(FEED_TSV)).status).toBe(200);
    });

    it('sums metric batches, reads them out with small counts suppressed, and serves popular lists', async () => {
      const counters = [
        { placement: 'for-you', modelVersion: 'v1', variant: 'viewed.1', event: 'impression', count: 30 },
        { placement: 'for-you', modelVersion: 'v1', variant: 'viewed.1', event: 'click', count: 3 },
      ];
      // The widget sends text/plain (a CORS-safelisted request: no preflight while a page unloads); JSON is taken too.
      for (const type of ['text/plain;charset=UTF-8', 'application/json']) {
        const res = await server.fetch('/v1/metrics', { method: 'POST', headers: { 'Content-Type': type, Origin: SHOP }, body: JSON.stringify({ model: 'default', counters }) });
        expect(res.status).toBe(202);
        expect(res.headers.get('Access-Control-Allow-Origin')).toBe(SHOP);
      }
      await expectError(await server.fetch('/v1/metrics', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"model":"default","counters":[],"ip":"1.2.3.4"}' }), 400, 'bad_metrics');
      const readout = await server.fetch('/v1/admin/metrics?model=default', { headers: ADMIN });
      expect(await readout.json()).toMatchObject({ suppressedBelow: 10, byPlacement: [{ placement: 'for-you', impression: 60, click: null, ctr: null }] });

      // Revenue: summed exactly per currency, shown once 10 purchases make up its amount, refused when malformed.
      const sum = (currency: string, orders: number, purchases: number, amount: number, variant = 'viewed.1'): Record<string, unknown> => ({ placement: 'similar', modelVersion: 'v1', variant, currency, orders, purchases, amount });
      const batch = (revenue: unknown[], counters: unknown[] = []): { method: string; headers: Record<string, string>; body: string } => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'default', counters, revenue }) });
      for (const revenue of [[sum('EUR', 6, 5, 4_010), sum('JPY', 2, 2, 2_400)], [sum('EUR', 4, 4, 9_999_990_000)], [sum('EUR', 1, 1, 1)]]) {
        expect((await server.fetch('/v1/metrics', batch(revenue))).status).toBe(202);
      }
      // Ten purchases of the viewed.2 row, nine of them without a price: its amount is one purchase's.
      const tenPurchases = [{ placement: 'similar', modelVersion: 'v1', variant: 'viewed.2', event: 'purchase', count: 10 }];
      expect((await server.fetch('/v1/metrics', batch([sum('EUR', 1, 1, 8_900, 'viewed.2')], tenPurchases))).status).toBe(202);
      await expectError(await server.fetch('/v1/metrics', batch([sum('EUR', 1, 1, 0.5)])), 400, 'bad_metrics');
      await expectError(await server.fetch('/v1/metrics', batch([sum('XYZ', 1, 1, 5)])), 400, 'bad_metrics');
      expect(await expectError(await server.fetch('/v1/metrics', batch([sum('EUR', 1, 0, 5)])), 400, 'bad_metrics')).toMatch(/"purchases" must be at least 1/);
      await expectError(await server.fetch('/v1/metrics', batch([{ ...sum('EUR', 1, 1, 5), buyers: 1 }])), 400, 'bad_metrics');
      const withRevenue = (await (await server.fetch('/v1/admin/metrics?model=default', { headers: ADMIN })).json()) as { groups: Array<{ placement: string; variant: string; purchase: number | null; revenue: unknown }> };
      const similar = (variant: string): unknown => withRevenue.groups.find((g) => g.placement === 'similar' && g.variant === variant);
      expect(similar('viewed.1')).toMatchObject({ revenue: {
        EUR: { orders: 11, amount: '99999940.11', perImpression: null, perClick: null },
        JPY: { orders: null, amount: null, perImpression: null, perClick: null },
      } });
      expect(similar('viewed.2')).toMatchObject({ purchase: 10, revenue: { EUR: { orders: null, amount: null, perImpression: null, perClick: null } } });

      const json = { ...ADMIN, 'Content-Type': 'application/json' };
      expect((await server.fetch('/v1/admin/models/default/bestsellers', { method: 'PUT', headers: json, body: JSON.stringify({ ids: ['sku-2', 'sku-1'] }) })).status).toBe(200);
      // A list for a model that was never published is refused like any other change to it, and kept nowhere.
      await expectError(await server.fetch('/v1/admin/models/unpublished/bestsellers', { method: 'PUT', headers: json, body: JSON.stringify({ ids: ['sku-2'] }) }), 404, 'unknown_model');
      expect(await (await server.fetch('/v1/popular?model=unpublished')).json()).toMatchObject({ bestsellers: [] });
      const popular = await server.fetch('/v1/popular?model=default');
      expect(popular.headers.get('Cache-Control')).toBe('public, max-age=300');
      expect(await popular.json()).toMatchObject({ trending: [], bestsellers: [{ id: 'sku-2', score: 2 }, { id: 'sku-1', score: 1 }] });
    });

    it('starts, shows and ends a holdout experiment, serves it in /v1/popular, and sums and reads out its counts with small counts suppressed', async () => {
      const json = { ...ADMIN, 'Content-Type': 'application/json' };
      const path = '/v1/admin/models/default/experiment';
      const put = (body: unknown) => server.fetch(path, { method: 'PUT', headers: json, body: JSON.stringify(body) });
      await expectError(await server.fetch(path, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{}' }), 401, 'unauthorized');
      await expectError(await server.fetch(path, { headers: { Authorization: 'Bearer wrong-wrong-wrong-wrong' } }), 403, 'forbidden');
      expect(await expectError(await put({ name: 'spring-test', holdout: 2, control: 'none' }), 400, 'bad_experiment')).toMatch(/"holdout"/);
      expect(await expectError(await put({ name: 'spring-test', holdout: 0.1 }), 400, 'bad_experiment')).toMatch(/"control" must be one of bestsellers, none/);
      await expectError(await server.fetch(path, { method: 'PUT', headers: json, body: '{"name":' }), 400, 'bad_json');
      await expectError(await server.fetch('/v1/admin/models/unpublished/experiment', { method: 'PUT', headers: json, body: JSON.stringify({ name: 'a', holdout: 0.1, control: 'none' }) }), 404, 'unknown_model');
      expect(await (await server.fetch(path, { headers: ADMIN })).json()).toEqual({ model: 'default', experiment: null, ended: [] });

      const started = await put({ name: 'spring-test', holdout: 0.1, control: 'bestsellers' });
      expect(started.status).toBe(201);
      const { experiment } = (await started.json()) as { experiment: { startedAt: string } };
      expect(experiment).toEqual({ name: 'spring-test', holdout: 0.1, control: 'bestsellers', startedAt: expect.any(String) });
      expect(await expectError(await put({ name: 'second', holdout: 0.1, control: 'none' }), 409, 'experiment_running')).toMatch(/spring-test/);
      expect(await (await server.fetch(path, { headers: ADMIN })).json()).toEqual({ model: 'default', experiment, ended: [] });
      expect(await (await server.fetch('/v1/popular?model=default')).json()).toMatchObject({ experiment });

      const send = (body: Record<string, unknown>) => server.fetch('/v1/metrics', { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8', Origin: SHOP }, body: JSON.stringify({ model: 'default', counters: [], ...body }) });
      const arm = (name: string, a: string, sessions: number, purchaseSessions: number) => ({ experiment: name, arm: a, sessions, cartSessions: purchaseSessions, purchaseSessions, orders: purchaseSessions });
      const paid = (a: string, amount: number) => ({ experiment: 'spring-test', arm: a, currency: 'EUR', amount, squares: amount * amount });
      let res = await send({ experiments: [arm('spring-test', 'treatment', 600, 60), arm('spring-test', 'control', 5, 1), arm('made-up', 'control', 9, 0)] });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: 2, dropped: 1 });
      await expectError(await send({ experiments: [{ ...arm('spring-test', 'control', 1, 0), device: 'x' }] }), 400, 'bad_metrics');
      const read = async () => ((await (await server.fetch('/v1/admin/metrics?model=default', { headers: ADMIN })).json()) as { experiment: { arms: unknown[]; uplift: unknown; verdict: string; days: unknown[] } }).experiment;
      const early = await read();
      expect(early).toMatchObject({ name: 'spring-test', endedAt: null, arms: [{ arm: 'treatment', sessions: 600, conversions: 60 }, { arm: 'control', sessions: null, conversions: null }], uplift: null });
      expect(early.verdict).toMatch(/^Not enough data yet/);
      for (let i = 0; i < 10; i++) expect((await send({ experimentRevenue: [paid('treatment', 3_000), paid('control', 2_000)] })).status).toBe(202);
      expect((await send({ experiments: [arm('spring-test', 'control', 595, 29)] })).status).toBe(202);
      const full = await read();
      expect(full.arms).toEqual([
        { arm: 'treatment', sessions: 600, conversions: 60, conversionRate: 0.1, orders: 60, revenue: 300, revenuePerSession: 0.5, currency: 'EUR' },
        { arm: 'control', sessions: 600, conversions: 30, conversionRate: 0.05, orders: 30, revenue: 200, revenuePerSession: 0.3333, currency: 'EUR' },
      ]);
      expect(full.uplift).toMatchObject({ conversionRate: { estimate: expect.any(Number), ci95: [expect.any(Number), expect.any(Number)] } });
      expect(full.days).toHaveLength(1);

      const ended = await server.fetch(path, { method: 'DELETE', headers: ADMIN });
      expect(ended.status).toBe(200);
      expect(await ended.json()).toMatchObject({ model: 'default', ended: { ...experiment, endedAt: expect.any(String) } });
      await expectError(await server.fetch(path, { method: 'DELETE', headers: ADMIN }), 404, 'no_experiment');
      expect(await (await server.fetch('/v1/popular?model=default')).json()).toMatchObject({ experiment: null });
      // Its counts stay readable after the end.
      expect((await read()).arms).toEqual(full.arms);
    });

    it('serves the dashboard to an admin as a script-free HTML page', async () => {
      await expectError(await server.fetch('/dashboard'), 401, 'unauthorized');
      const res = await server.fetch('/dashboard?model=default', { headers: ADMIN });
      expect(res.status).toBe(200);
      expect(res.headers.get('Content-Security-Policy')).toMatch(/^default-src 'none'/);
      const html = await res.text();
      expect(html).toContain('<h1>EdgeRecs dashboard</h1>');
      expect(html).not.toContain('<script');
    });

    it('keeps the catalog, summed metrics, bestsellers, experiments and record changes across a restart', async () => {
      const etag = (await server.fetch('/v1/catalog')).headers.get('ETag');
      await server.restart();
      expect((await server.fetch('/v1/catalog', { headers: { 'If-None-Match': etag! } })).status).toBe(304);
      expect(await (await server.fetch('/v1/admin/metrics?model=default', { headers: ADMIN })).json()).toMatchObject({
        byPlacement: [{ placement: 'for-you', impression: 60 }, { placement: 'similar', revenue: { EUR: { orders: 12, amount: '100000029.11' } } }],
      });
      expect(await (await server.fetch('/v1/popular?model=default')).json()).toMatchObject({ bestsellers: [{ id: 'sku-2' }, { id: 'sku-1' }] });
      expect(await (await server.fetch('/v1/admin/models/admin/versions', { headers: ADMIN })).json()).toMatchObject({ current: 'a2' });
      expect(await (await server.fetch('/v1/admin/models/default/experiment', { headers: ADMIN })).json()).toMatchObject({ experiment: null, ended: [{ name: 'spring-test' }] });
      expect(await (await server.fetch('/v1/admin/metrics?model=default', { headers: ADMIN })).json()).toMatchObject({ experiment: { name: 'spring-test', arms: [{ sessions: 600 }, { sessions: 600 }] } });
    });

    it('takes device updates until a round of K closes, then serves the new version, signed by the federation key, and the delta to it', async () => {
      await server.publish(await tinyArtifact(key, 'v1', 3, 'learn'));
      const first = await postUpdate(server, 1, 'v1');
      expect(first.status).toBe(202);
      const { id } = (await first.json()) as { id: string };
      const again = await postUpdate(server, 1, 'v1');
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ id, duplicate: true, pending: 1 });
      for (const n of [2, 3]) expect((await postUpdate(server, n, 'v1')).status).toBe(202);

      const manifestRes = await server.fetch('/v1/models/learn/manifest');
      expect(manifestRes.headers.get('X-Model-Version')).toBe('fed-1');
      const manifest = parseManifest(await manifestRes.json());
      expect(manifest.signature?.keyId).toBe(fedKey.keyId);
      const keys = (await (await server.fetch('/v1/keys')).json()) as { keys: TrustedKey[] };
      expect(keys.keys).toContainEqual({ keyId: fedKey.keyId, publicKey: fedKey.publicKey });

      const delta = await server.fetch('/v1/models/learn/deltas?from=v1');
      expect(delta.status).toBe(200);
      expect(delta.headers.get('Content-Type')).toBe('application/vnd.edge-recs.delta');
      expect(delta.headers.get('X-Model-Version')).toBe('fed-1');
      const decoded = decodeVersionDelta(new Uint8Array(await delta.arrayBuffer()));
      expect([decoded.fromVersion, decoded.toVersion]).toEqual(['v1', 'fed-1']);
      expect((await server.fetch('/v1/models/learn/deltas?from=v1&to=fed-1')).headers.get('Cache-Control')).toBe(IMMUTABLE);
      expect((await server.fetch('/v1/models/learn/deltas?from=fed-1')).status).toBe(204);
      await expectError(await server.fetch('/v1/models/learn/deltas?from=v0'), 410, 'delta_unavailable');

      await expectError(await postUpdate(server, 4, 'v1'), 409, 'stale_version');
      await expectError(await server.fetch('/v1/admin/rounds'), 401, 'unauthorized');
      const rounds = await server.fetch('/v1/admin/rounds', { headers: ADMIN });
      expect(rounds.status).toBe(200);
      const body = (await rounds.json()) as { rounds: Array<Record<string, unknown>> };
      expect(body.rounds.filter((r) => r.model === 'learn')).toEqual([
        expect.objectContaining({ model: 'learn', round: 1, updates: FED_COHORT, version: 'fed-1', status: 'published' }),
      ]);
      expect(body.rounds[0]!.totalEpsilon).toBeGreaterThan(0);
      expect(body.rounds.find((r) => r.model === 'learn')!.sources).toBe(FED_COHORT);
    });

    it('shows the privacy budget to admins and records a reset (who, when, before and after)', async () => {
      await expectError(await server.fetch('/v1/admin/privacy-budget?model=learn'), 401, 'unauthorized');
      const shown = (await (await server.fetch('/v1/admin/privacy-budget?model=learn', { headers: ADMIN })).json()) as { budgets: Array<Record<string, unknown>> };
      expect(shown.budgets).toEqual([expect.objectContaining({ model: 'learn', publishedRounds: 1, epsilonBudget: 1000, epsilonPerDay: 1000, resets: [] })]);
      const spent = shown.budgets[0]!.totalEpsilon as number;
      expect(spent).toBeGreaterThan(0);
      const res = await server.fetch('/v1/admin/privacy-budget/learn/reset', { method: 'POST', headers: ADMIN });
      expect(res.status).toBe(200);
      const { reset } = (await res.json()) as { reset: Record<string, unknown> };
      expect(reset).toMatchObject({ by: expect.stringMatching(/^admin:[0-9a-f]{12}$/), afterRound: 1, before: { totalEpsilon: spent }, after: { totalEpsilon: 0, todayEpsilon: 0 } });
      const after = (await (await server.fetch('/v1/admin/privacy-budget?model=learn', { headers: ADMIN })).json()) as { budgets: Array<Record<string, unknown>> };
      expect(after.budgets[0]).toMatchObject({ totalEpsilon: 0, publishedRounds: 0, resets: [reset] });
      await expectError(await server.fetch('/v1/admin/privacy-budget/nope/reset', { method: 'POST', headers: ADMIN }), 404, 'unknown_model');
    });

    it('refuses bad federated requests with 4xx JSON', async () => {
      await expectError(await postUpdate(server, 5, 'fed-1', { 'Content-Type': 'application/json' }), 415, 'unsupported_media_type');
      await expectError(await postUpdate(server, 5, 'fed-1', { 'X-Client-Token': 'x' }), 400, 'bad_client_token');
      const token = await tokenFrom(server, deviceAddress(50));
      const garbage = await server.fetch('/v1/updates', {
        method: 'POST',
        headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': clientToken(5), Authorization: token },
        body: new TextEncoder().encode('not an update') as Uint8Array<ArrayBuffer>,
      });
      await expectError(garbage, 400, 'bad_update');
      // The refused update gave its token back: it pays for the next one.
      const other = await server.fetch('/v1/updates', {
        method: 'POST',
        headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': clientToken(5), Authorization: token },
        body: tinyUpdate({ model: 'nope', seed: 5 }),
      });
      await expectError(other, 404, 'unknown_model');
      // No token or a made-up one: 401 with the challenge to answer (RFC 9577).
      const update = { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': clientToken(5) };
      const none = await server.fetch('/v1/updates', { method: 'POST', headers: update, body: tinyUpdate({ model: 'learn', seed: 51 }) });
      expect(none.headers.get('WWW-Authenticate')).toMatch(/^PrivateToken challenge="[\w-]+=*", ?token-key="[\w-]+=*"/);
      await expectError(none, 401, 'token_required');
      await expectError(await server.fetch('/v1/updates', { method: 'POST', headers: { ...update, Authorization: 'PrivateToken token=AAIA' }, body: tinyUpdate({ model: 'learn', seed: 51 }) }), 401, 'bad_token');
      await expectError(await server.fetch('/v1/models/learn/deltas?from=..'), 400, 'bad_version');
    });

    it('keeps accepted updates of an open round, and what each address sent to it, across a restart', async () => {
      expect((await postUpdate(server, 6, 'fed-1')).status).toBe(202);
      await server.restart();
      const again = await postUpdate(server, 6, 'fed-1');
      expect(again.status).toBe(200); // still pending, so a re-send is a duplicate
      // K = 3 takes 1 update per address and round (at least 1, 2% of 3 rounded down): device 6's address
      // has had its share, whatever client token the next one carries.
      const share = await postUpdate(server, 9, 'fed-1', fromAddress(deviceAddress(6)));
      await expectError(share, 429, 'source_share_exceeded');
      expect(share.headers.get('Retry-After')).toBe('3600');
      for (const n of [7, 8]) expect((await postUpdate(server, n, 'fed-1')).status).toBe(202);
      expect((await server.fetch('/v1/models/learn/manifest')).headers.get('X-Model-Version')).toBe('fed-2');
      expect((await server.fetch('/v1/models/learn/deltas?from=v1')).headers.get('X-Model-Version')).toBe('fed-2');
    });

    it('keeps published models and blobs across a restart', async () => {
      const before = await server.fetch('/v1/models/default/manifest');
      const etag = before.headers.get('ETag');
      await before.arrayBuffer();
      await server.restart();
      const after = await server.fetch('/v1/models/default/manifest', { headers: { 'If-None-Match': etag! } });
      expect(after.status).toBe(304);
      const { sha, bytes } = shard();
      expect(new Uint8Array(await (await server.fetch(`/v1/blobs/${sha}`)).arrayBuffer())).toEqual(bytes);
      expect((await server.fetch('/v1/models/race/manifest')).headers.get('X-Model-Version')).toBe('v4');
    });
  });
}
