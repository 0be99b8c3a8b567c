import { describe, expect, it, vi } from 'vitest';
import { buildArtifact, loadArtifact } from '../../core/artifact/artifact.ts';
import { utf8 } from '../../core/artifact/bytes.ts';
import { parseManifest } from '../../core/artifact/manifest.ts';
import { verifyManifest, type KeyFile } from '../../core/artifact/signing.ts';
import { decodeVersionDelta } from '../../core/federated/codec.ts';
import { applyDelta } from '../../core/federated/delta.ts';
import { initWeights } from '../../core/model/weights.ts';
import { normal, rng } from '../../core/random.ts';
import { createApp } from '../app.ts';
import { createMemoryStorage } from '../models/memory-storage.ts';
import { currentManifest, publishArtifact } from '../models/registry.ts';
import type { Storage } from '../models/storage.ts';
import { expectError, memoryWidget, signer, tinyArtifact, TINY } from '../../test/support/edge-server/fixtures.ts';
import { resolveFederationSettings } from '../../core/federated/settings.ts';
import { tokenHash } from './client-token.ts';
import { createFederation } from './federation.ts';
import type { FederationOptions, ItemCountsSink } from './types.ts';
import { nodeRsaRaw } from '../adapters/node/rsa-raw.ts';
import { createAdmission } from './admission.ts';
import { roundsAdminRoutes } from './routes.ts';
import { tryToken } from '../../test/support/edge-server/tokens.ts';
import { memoryRoundStore, type RoundStore } from './store.ts';
import { clientToken, deviceAddress, testPeer, TEST_PEER_HEADER, tinyUpdate } from '../../test/support/edge-server/federated.ts';

interface Setup {
  app: ReturnType<typeof createApp>;
  storage: Storage;
  rounds: RoundStore;
  fedKey: Required<KeyFile>;
  federation: ReturnType<typeof createFederation>;
  counts: Array<{ model: string; counts: Record<string, number>; at: string }>;
}

const ADMIN = 'admin-token-0123456789abcdef';

async function setup(options: Partial<FederationOptions> = {}, maxUpdateBytes?: number): Promise<Setup> {
  const { key, trusted } = await signer();
  const { key: fedKey } = await signer();
  // A caller's own storage comes with its base version published.
  const storage = options.storage ?? createMemoryStorage();
  if (!options.storage) await publishArtifact(storage, await tinyArtifact(key, 'v1'), { trusted });
  const rounds = options.rounds ?? memoryRoundStore();
  const counts: Setup['counts'] = [];
  const popularity: ItemCountsSink = { addItemCounts: async (model, c, at) => void counts.push({ model, counts: c, at }) };
  const federation = createFederation({
    storage,
    rounds,
    signingKey: fedKey,
    cohort: 3,
    aggregation: { releaseThreshold: 1, noiseMultiplier: 1, countNoiseMultiplier: 1, clipNorm: 0.1 },
    epsilonBudget: 100,
    // Several rounds a test day; the daily cap has its own tests.
    epsilonPerDay: 100,
    normal: normal(rng(5)),
    popularity,
    ...options,
  });
  const app = createApp({
    storage,
    trustedKeys: trusted,
    widget: memoryWidget({}),
    adminTokens: [ADMIN],
    federated: { federation, admission: testAdmission(), ...(maxUpdateBytes ? { maxUpdateBytes } : {}) },
    peer: testPeer,
  });
  return { app, storage, rounds, fedKey, federation, counts };
}

/** Device n of `clientToken(n)` sends from its own address, `deviceAddress(n)`, unless `from` names one. */
/**
 * Admission on, with real tokens; these tests are about rounds, where one test device may send many
 * updates a day, so a source gets plenty (`admission.test.ts` tests the one-a-day default).
 */
const testAdmission = () => createAdmission({ rsaRaw: nodeRsaRaw, tokensPerDay: 1000 });

/** Device n of `clientToken(n)` sends from its own address, `deviceAddress(n)`, unless `from` names one, with a token issued to that address where the server issues them. */
async function upload(app: Setup['app'], body: Uint8Array<ArrayBuffer>, token: string | null = clientToken(1), type = 'application/vnd.edge-recs.update', from?: string): Promise<Response> {
  const headers: Record<string, string> = { 'Content-Type': type };
  if (token !== null) headers['X-Client-Token'] = token;
  const device = /^device-(\d+)-/.exec(token ?? '');
  headers[TEST_PEER_HEADER] = from ?? deviceAddress(device ? Number(device[1]) : 0);
  // A server without federation issues none: the update then goes without one.
  const admitted = await tryToken(app, headers[TEST_PEER_HEADER]);
  if (admitted.ok) headers.Authorization = admitted.authorization;
  return app.request('/v1/updates', { method: 'POST', headers, body });
}

async function fillRound(s: Setup, first = 1, baseVersion = 'v1'): Promise<void> {
  for (let i = first; i < first + 3; i++) {
    expect((await upload(s.app, tinyUpdate({ seed: i, baseVersion, rows: [1, 2 + (i % 3)] }), clientToken(i))).status).toBe(202);
  }
}

describe('POST /v1/updates', () => {
  it('stores the update durably before answering 202 with its id', async () => {
    const s = await setup();
    const res = await upload(s.app, tinyUpdate());
    expect(res.status).toBe(202);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const body = (await res.json()) as { id: string; round: number; pending: number; cohort: number; duplicate: boolean };
    expect(body).toMatchObject({ round: 1, pending: 1, cohort: 3, duplicate: false });
    const { pending } = await s.rounds.load('default');
    expect(pending.map((u) => u.id)).toEqual([body.id]);
    // The stored token is a hash; the token itself is kept nowhere.
    expect(pending[0]!.tokenHash).toBe(await tokenHash(clientToken(1)));
    expect(JSON.stringify(pending[0])).not.toContain(clientToken(1));
  });

  it('answers a re-sent update (same token and nonce) with the same id and does not count it twice', async () => {
    const s = await setup();
    const first = (await (await upload(s.app, tinyUpdate())).json()) as { id: string };
    const again = await upload(s.app, tinyUpdate());
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: first.id, duplicate: true, pending: 1 });
    expect((await s.rounds.load('default')).pending).toHaveLength(1);
  });

  it('counts concurrent re-sends of one update once', async () => {
    const s = await setup();
    const answers = await Promise.all([1, 2, 3, 4].map(() => upload(s.app, tinyUpdate())));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 202]);
    expect((await s.rounds.load('default')).pending).toHaveLength(1);
  });

  it('limits a client token to one update per round and a daily count (429 rate_limited)', async () => {
    const s = await setup({ cohort: 10, maxUpdatesPerDay: 2 });
    expect((await upload(s.app, tinyUpdate({ seed: 1 }))).status).toBe(202);
    const second = await upload(s.app, tinyUpdate({ seed: 2 }));
    expect(second.headers.get('Retry-After')).toBe('3600');
    expect(await expectError(second, 429, 'rate_limited')).toMatch(/one per round/);
  });

  it('refuses an update to another version with 409 stale_version', async () => {
    const s = await setup();
    expect(await expectError(await upload(s.app, tinyUpdate({ baseVersion: 'v0' })), 409, 'stale_version')).toMatch(/current version is v1/);
  });

  it('answers 404 unknown_model for a model that is not published', async () => {
    const s = await setup();
    await expectError(await upload(s.app, tinyUpdate({ model: 'other' })), 404, 'unknown_model');
  });

  it('refuses bad requests with 4xx JSON before storing anything', async () => {
    const s = await setup({}, 2048);
    await expectError(await upload(s.app, tinyUpdate(), clientToken(1), 'application/json'), 415, 'unsupported_media_type');
    await expectError(await upload(s.app, tinyUpdate(), null), 400, 'bad_client_token');
    await expectError(await upload(s.app, tinyUpdate(), 'short'), 400, 'bad_client_token');
    await expectError(await upload(s.app, new Uint8Array(4096)), 413, 'payload_too_large');
    expect(await expectError(await upload(s.app, utf8.encode('{"hello":1}')), 400, 'bad_update')).toMatch(/magic/);
    expect(await expectError(await upload(s.app, tinyUpdate().slice(0, 40)), 400, 'bad_update')).toMatch(/truncated/);
    const wrongShape = tinyUpdate({ config: { ...TINY, maxLen: 4 } });
    expect(await expectError(await upload(s.app, wrongShape), 400, 'bad_update')).toMatch(/config\.maxLen/);
    expect(await expectError(await upload(s.app, tinyUpdate({ scale: 1000 })), 400, 'bad_update')).toMatch(/norm/);
    expect((await s.rounds.load('default')).pending).toHaveLength(0);
  });

  it('answers 413 for an update over the limit whether its size is declared, streamed or declared smaller than it is', async () => {
    const s = await setup({}, 2048);
    const body = new Uint8Array(4096);
    const headers = { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': clientToken(1) };
    const declared = await s.app.request('/v1/updates', { method: 'POST', headers: { ...headers, 'Content-Length': '4096' }, body });
    await expectError(declared, 413, 'payload_too_large');
    const understated = await s.app.request('/v1/updates', { method: 'POST', headers: { ...headers, 'Content-Length': '100' }, body });
    await expectError(understated, 413, 'payload_too_large');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(1024));
        controller.close();
      },
    });
    const streamed = await s.app.request('/v1/updates', { method: 'POST', headers, body: stream, duplex: 'half' } as RequestInit);
    await expectError(streamed, 413, 'payload_too_large');
    expect((await s.rounds.load('default')).pending).toHaveLength(0);
  });

  it('stores the digest of the injected hashToken, and refuses a hashToken that is not a function', async () => {
    const s = await setup();
    const seen: string[] = [];
    const app = createApp({
      storage: s.storage,
      trustedKeys: [],
      widget: memoryWidget({}),
      federated: { federation: s.federation, admission: testAdmission(), hashToken: (token) => (seen.push(token), tokenHash(token)) },
      peer: testPeer,
    });
    expect((await upload(app, tinyUpdate({ seed: 1 }), clientToken(1))).status).toBe(202);
    expect(seen).toEqual([clientToken(1)]);
    expect((await s.rounds.load('default')).pending[0]!.tokenHash).toBe(await tokenHash(clientToken(1)));
    expect(() => createApp({ storage: s.storage, trustedKeys: [], widget: memoryWidget({}), federated: { federation: s.federation, hashToken: 'sha256' as never } })).toThrow(/hashToken/);
  });

  it('refuses an update moving more item rows than one client may', async () => {
    const s = await setup({ aggregation: { maxRowsPerClient: 2 } });
    expect(await expectError(await upload(s.app, tinyUpdate({ rows: [1, 2, 3] })), 400, 'bad_update')).toMatch(/at most 2 item rows/);
  });

  it('answers 404 federation_disabled on a server without a federation', async () => {
    const { trusted } = await signer();
    const app = createApp({ storage: createMemoryStorage(), trustedKeys: trusted, widget: memoryWidget({}) });
    await expectError(await upload(app, tinyUpdate()), 404, 'federation_disabled');
    await expectError(await app.request('/v1/models/default/deltas?from=v1'), 410, 'delta_unavailable');
  });
});

describe('aggregation rounds', () => {
  it('closes a round at K updates and publishes base + mean as a new version signed by the federation key', async () => {
    const s = await setup();
    await fillRound(s);
    const current = (await currentManifest(s.storage, 'default'))!;
    expect(current.manifest.version).toBe('fed-1');
    await verifyManifest(current.manifest, [{ keyId: s.fedKey.keyId, publicKey: s.fedKey.publicKey }]);
    expect(current.manifest.training).toMatchObject({ federated: { round: 1, baseVersion: 'v1', updates: 3 } });
    const keys = (await (await s.app.request('/v1/keys')).json()) as { keys: Array<{ keyId: string }> };
    expect(keys.keys.map((k) => k.keyId)).toContain(s.fedKey.keyId);
    const { rounds, pending } = await s.rounds.load('default');
    expect(pending).toHaveLength(0);
    expect(rounds).toHaveLength(1);
    expect(rounds[0]).toMatchObject({ round: 1, status: 'published', updates: 3, version: 'fed-1', baseVersion: 'v1' });
    expect(rounds[0]!.epsilon).toBeGreaterThan(0);
    // A device still on v1 is now told to fetch the new version.
    await expectError(await upload(s.app, tinyUpdate({ seed: 9 }), clientToken(9)), 409, 'stale_version');
  });

  it('a federated version carries its base version\'s chosen-next table, signed with it', async () => {
    const { key, trusted } = await signer();
    const storage = createMemoryStorage();
    const itemIds = ['sku-1', 'sku-2', 'sku-3', 'sku-4', 'sku-5'];
    const nextSteps = { window: 1, minUsers: 5, perItem: 20, next: new Map([['sku-1', ['sku-2', 'sku-4']]]) };
    const base = await buildArtifact({ name: 'default', version: 'v1', config: TINY, itemIds, weights: initWeights(TINY, 1), quantization: 'float32', nextSteps }, key);
    await publishArtifact(storage, base, { trusted });
    const s = await setup({ storage });
    await fillRound(s);
    const current = (await currentManifest(s.storage, 'default'))!;
    expect(current.manifest.version).toBe('fed-1');
    expect(current.manifest.nextSteps).toEqual(base.manifest.nextSteps);
    const loaded = await loadArtifact(current.manifest, async (ref) => (await s.storage.blobs.get(ref.sha256))!, {
      trusted: [{ keyId: s.fedKey.keyId, publicKey: s.fedKey.publicKey }],
    });
    expect([...loaded.nextSteps!.next]).toEqual([['sku-1', ['sku-2', 'sku-4']]]);
    // A base without a table (an older artifact) gives federated versions without one.
    const plain = await setup();
    await fillRound(plain);
    expect((await currentManifest(plain.storage, 'default'))!.manifest.nextSteps).toBeUndefined();
  });

  it('takes no update while a committed round\'s version fails to publish, so none is counted twice', async () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { key, trusted } = await signer();
    const inner = createMemoryStorage();
    await publishArtifact(inner, await tinyArtifact(key, 'v1'), { trusted });
    let diskFull = true;
    const storage: Storage = {
      blobs: inner.blobs,
      meta: {
        getModel: (name) => inner.meta.getModel(name),
        putModel: async (record) => {
          if (diskFull) throw new Error('ENOSPC: no space left on device');
          await inner.meta.putModel(record);
        },
      },
    };
    const rounds = memoryRoundStore();
    const s = await setup({ storage, rounds });
    await fillRound(s);
    expect((await rounds.load('default')).rounds).toHaveLength(1); // committed...
    expect((await currentManifest(inner, 'default'))!.manifest.version).toBe('v1'); // ...not yet published
    await expectError(await upload(s.app, tinyUpdate({ seed: 1, rows: [1, 3] }), clientToken(1)), 503, 'round_publishing');
    diskFull = false;
    await expectError(await upload(s.app, tinyUpdate({ seed: 1, rows: [1, 3] }), clientToken(1)), 409, 'stale_version');
    expect((await currentManifest(inner, 'default'))!.manifest.version).toBe('fed-1');
    quiet.mockRestore();
  });

  it('closes rounds with a trimmed dense mean when aggregation.trim is set, and records the values trimmed', async () => {
    const s = await setup({ aggregation: { releaseThreshold: 1, noiseMultiplier: 1, countNoiseMultiplier: 1, clipNorm: 0.1, trim: 0.34 } });
    await fillRound(s);
    expect((await currentManifest(s.storage, 'default'))!.manifest.version).toBe('fed-1');
    const [round] = (await s.rounds.load('default')).rounds;
    expect(round).toMatchObject({ status: 'published', updates: 3, trimmed: 1 }); // ⌊0.34 × 3⌋ from each end
    // The plain mean records none.
    const plain = await setup();
    await fillRound(plain);
    expect((await plain.rounds.load('default')).rounds[0]!.trimmed).toBeUndefined();
  });

  it('refuses a trim outside [0, 0.5) when the federation is built', async () => {
    for (const trim of [0.5, -0.1, Number.NaN]) {
      await expect(setup({ aggregation: { trim } })).rejects.toThrow(/aggregation\.trim must be a fraction in \[0, 0\.5\)/);
    }
  });

  it('reports the round\'s trending evidence by catalog id, and nothing when no item stands out', async () => {
    // With little count noise (σ_c = 0.08), an item in all 6 updates while no other is in any stands about
    // 6 above the median (about 0), past the margin of 5σ_e ≈ 5 devices.
    const aggregation = { releaseThreshold: 1, noiseMultiplier: 1, countNoiseMultiplier: 0.01, clipNorm: 0.1 };
    const s = await setup({ cohort: 6, aggregation, epsilonBudget: 1e9, epsilonPerDay: 1e9 });
    for (let i = 1; i <= 6; i++) expect((await upload(s.app, tinyUpdate({ seed: i, rows: [2] }), clientToken(i))).status).toBe(202);
    expect(s.counts).toHaveLength(1);
    expect(s.counts[0]!.model).toBe('default');
    expect(Object.keys(s.counts[0]!.counts)).toEqual(['sku-2']);
    expect(s.counts[0]!.counts['sku-2']).toBeCloseTo(6, 0);
    expect(s.counts[0]!.at).toBe((await s.rounds.load('default')).rounds[0]!.closedAt);
    const quiet = await setup();
    await fillRound(quiet);
    expect((await quiet.rounds.load('default')).rounds[0]!.status).toBe('published');
    expect(quiet.counts).toEqual([]);
    // The same 6 updates from 2 addresses (share cap and source minimum lowered so the round publishes):
    // the item is counted once per source, 2, below the margin; nothing trends.
    const few = await setup({ cohort: 6, aggregation, epsilonBudget: 1e9, epsilonPerDay: 1e9, maxSourceShare: 1, minSources: 1 });
    for (let i = 1; i <= 6; i++) expect((await upload(few.app, tinyUpdate({ seed: i, rows: [2] }), clientToken(i), undefined, `203.0.113.${i % 2}`)).status).toBe(202);
    expect((await few.federation.rounds('default')).map((r) => [r.status, r.sources])).toEqual([['published', 2]]);
    expect(few.counts).toEqual([]);
  });

  it('refuses updates with 409 budget_exhausted once another round would pass the epsilon budget', async () => {
    // z = 3 composed with z_c = 3: one round costs ε 2.6 at δ 1e-6, two 3.7: a budget of 3 allows one round.
    const s = await setup({ epsilonBudget: 3, aggregation: { noiseMultiplier: 3, countNoiseMultiplier: 3, releaseThreshold: 1 } });
    await fillRound(s);
    expect((await s.rounds.load('default')).rounds[0]!.totalEpsilon).toBeLessThanOrEqual(3);
    expect(await expectError(await upload(s.app, tinyUpdate({ seed: 7, baseVersion: 'fed-1' }), clientToken(7)), 409, 'budget_exhausted')).toMatch(
      /privacy budget/,
    );
    expect((await currentManifest(s.storage, 'default'))!.manifest.version).toBe('fed-1');
  });

  it('lists rounds with epsilon per round and in total at GET /v1/admin/rounds, for admin tokens only', async () => {
    const s = await setup();
    await fillRound(s);
    await fillRound(s, 4, 'fed-1');
    await expectError(await s.app.request('/v1/admin/rounds'), 401, 'unauthorized');
    const res = await s.app.request('/v1/admin/rounds', { headers: { Authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const { rounds } = (await res.json()) as { rounds: Array<Record<string, unknown>> };
    expect(rounds.map((r) => [r.model, r.round, r.updates, r.version, r.status])).toEqual([
      ['default', 1, 3, 'fed-1', 'published'],
      ['default', 2, 3, 'fed-2', 'published'],
    ]);
    expect(Object.keys(rounds[0]!).sort()).toEqual(['closedAt', 'epsilon', 'model', 'round', 'sources', 'status', 'totalEpsilon', 'updates', 'version']);
    expect(rounds[0]!.sources).toBe(3);
    expect(rounds[1]!.totalEpsilon as number).toBeGreaterThan(rounds[0]!.totalEpsilon as number);
    expect(rounds[1]!.epsilon).toBe(rounds[0]!.epsilon);
    const one = (await (await roundsAdminRoutes(s.federation).request('/rounds?model=other')).json()) as { rounds: unknown[] };
    expect(one.rounds).toEqual([]);
  });
});

describe('GET /v1/models/:name/deltas', () => {
  async function weightsOf(storage: Storage, version: string) {
    const record = (await storage.meta.getModel('default'))!;
    const sha = record.versions.find((v) => v.version === version)!.manifestSha256;
    const manifest = parseManifest(JSON.parse(utf8.decode((await storage.blobs.get(sha))!)));
    return (await loadArtifact(manifest, async (ref) => (await storage.blobs.get(ref.sha256))!, { unsigned: 'allow' })).weights;
  }

  it('serves the delta from a version to the current one: applied to the old weights it gives the new ones', async () => {
    const s = await setup();
    await fillRound(s);
    await fillRound(s, 4, 'fed-1');
    for (const from of ['v1', 'fed-1']) {
      const res = await s.app.request(`/v1/models/default/deltas?from=${from}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('Content-Type')).toBe('application/vnd.edge-recs.delta');
      expect(res.headers.get('X-Model-Version')).toBe('fed-2');
      expect(res.headers.get('Cache-Control')).toBe('public, max-age=60, must-revalidate');
      const delta = decodeVersionDelta(new Uint8Array(await res.arrayBuffer()));
      expect([delta.fromVersion, delta.toVersion]).toEqual([from, 'fed-2']);
      const applied = applyDelta(await weightsOf(s.storage, from), delta);
      const target = await weightsOf(s.storage, 'fed-2');
      for (const [name, t] of target) {
        const a = applied.get(name)!.values;
        for (let i = 0; i < t.values.length; i++) expect(Math.abs(a[i]! - t.values[i]!)).toBeLessThan(2e-3);
      }
      const etag = res.headers.get('ETag')!;
      expect((await s.app.request(`/v1/models/default/deltas?from=${from}`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    }
  });

  it('marks a delta pinned to both versions immutable', async () => {
    const s = await setup();
    await fillRound(s);
    const res = await s.app.request('/v1/models/default/deltas?from=v1&to=fed-1');
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
  });

  it('answers 204 when the device is current, 410 when no delta leads to the version, 400 for a bad version and 404 for an unknown model', async () => {
    const s = await setup();
    expect((await s.app.request('/v1/models/default/deltas?from=v1')).status).toBe(204);
    await expectError(await s.app.request('/v1/models/default/deltas?from=v0'), 410, 'delta_unavailable');
    await fillRound(s);
    await expectError(await s.app.request('/v1/models/default/deltas?from=fed-1&to=v1'), 410, 'delta_unavailable');
    await expectError(await s.app.request('/v1/models/default/deltas'), 400, 'bad_version');
    await expectError(await s.app.request('/v1/models/default/deltas?from=..%2F'), 400, 'bad_version');
    await expectError(await s.app.request('/v1/models/nope/deltas?from=v1'), 404, 'unknown_model');
  });
});

describe('per-source share of a round, distinct sources and the epsilon caps', () => {
  const admin = { Authorization: `Bearer ${ADMIN}` };

  it('takes at most maxSourceShare of a round from one address whatever the client tokens: 429 source_share_exceeded, nothing stored', async () => {
    // Cohort 100 at the default share of 2%: 2 updates per source and round.
    const s = await setup({ cohort: 100 });
    const attacker = '203.0.113.7';
    for (const n of [1, 2]) expect((await upload(s.app, tinyUpdate({ seed: n }), clientToken(n), undefined, attacker)).status).toBe(202);
    const refused = await upload(s.app, tinyUpdate({ seed: 3 }), clientToken(3), undefined, attacker);
    expect(await expectError(refused, 429, 'source_share_exceeded')).toMatch(/2 of the 100 updates of round 1 .*2% of a round per source/);
    expect(refused.headers.get('Retry-After')).toBe('3600');
    // An IPv6 client counts by its /64: another address in it is the same source.
    await upload(s.app, tinyUpdate({ seed: 4 }), clientToken(4), undefined, '2001:db8:1:2::1');
    await upload(s.app, tinyUpdate({ seed: 5 }), clientToken(5), undefined, '2001:db8:1:2::2');
    await expectError(await upload(s.app, tinyUpdate({ seed: 6 }), clientToken(6), undefined, '2001:db8:1:2:ffff::9'), 429, 'source_share_exceeded');
    // Another address is still accepted.
    expect((await upload(s.app, tinyUpdate({ seed: 7 }), clientToken(7), undefined, '198.51.100.1')).status).toBe(202);
    const { pending } = await s.rounds.load('default');
    expect(pending).toHaveLength(5);
    // What is stored is a keyed hash per round, never the address.
    expect(JSON.stringify(pending)).not.toMatch(/203\.0\.113|2001:db8|198\.51/);
    expect(new Set(pending.map((u) => u.source)).size).toBe(3);
    expect(pending.every((u) => /^[0-9a-f]{32}$/.test(u.source!))).toBe(true);
  });

  it('keeps the counts across a restart and forgets them when the round closes; the hashes of two rounds do not match', async () => {
    const s = await setup({ cohort: 3, maxSourceShare: 0.34, minSources: 3 }); // 1 update per source
    const one = '203.0.113.7';
    expect((await upload(s.app, tinyUpdate({ seed: 1, rows: [1, 2] }), clientToken(1), undefined, one)).status).toBe(202);
    // A new federation over the same stores (a restart) still counts that source.
    const restarted = await setup({ storage: s.storage, rounds: s.rounds, cohort: 3, maxSourceShare: 0.34, minSources: 3 });
    await expectError(await upload(restarted.app, tinyUpdate({ seed: 2 }), clientToken(2), undefined, one), 429, 'source_share_exceeded');
    expect((await upload(restarted.app, tinyUpdate({ seed: 3, rows: [1, 3] }), clientToken(3))).status).toBe(202);
    const firstHash = (await s.rounds.load('default')).pending[0]!.source;
    expect((await upload(restarted.app, tinyUpdate({ seed: 4, rows: [2, 3] }), clientToken(4))).status).toBe(202);
    expect((await restarted.federation.rounds('default')).map((r) => [r.status, r.sources])).toEqual([['published', 3]]);
    // Round 2: the same source is welcome again, under a hash that cannot be matched with round 1's.
    expect((await upload(restarted.app, tinyUpdate({ seed: 5, baseVersion: 'fed-1' }), clientToken(5), undefined, one)).status).toBe(202);
    const secondHash = (await s.rounds.load('default')).pending[0]!.source;
    expect(secondHash).toMatch(/^[0-9a-f]{32}$/);
    expect(secondHash).not.toBe(firstHash);
  });

  it('publishes nothing and spends no epsilon when a round comes from fewer than minSources sources', async () => {
    // The share cap off (a whole round per source) to reach the distinct-sources rule on its own.
    const s = await setup({ cohort: 3, maxSourceShare: 1, minSources: 2 });
    for (const n of [1, 2, 3]) expect((await upload(s.app, tinyUpdate({ seed: n }), clientToken(n), undefined, '203.0.113.7')).status).toBe(202);
    const [round] = await s.federation.rounds('default');
    expect(round).toMatchObject({ status: 'too_few_sources', sources: 1, version: null, epsilon: 0, totalEpsilon: 0 });
    expect((await currentManifest(s.storage, 'default'))!.manifest.version).toBe('v1');
    expect(s.counts).toEqual([]);
    // Derived default: the fewest sources a full round can have under the share cap.
    expect(resolveFederationSettings({}).minSources).toBe(50);
    expect(resolveFederationSettings({ cohort: 50 })).toMatchObject({ maxUpdatesPerSource: 1, minSources: 50 });
    expect(resolveFederationSettings({ cohort: 1000, maxSourceShare: 0.1 })).toMatchObject({ maxUpdatesPerSource: 100, minSources: 10 });
  });

  it('caps the epsilon spent per UTC day: 429 epsilon_daily_cap until midnight, then rounds run again', async () => {
    let clock = Date.parse('2026-03-01T10:00:00Z');
    const oneRound = resolveFederationSettings({ aggregation: { noiseMultiplier: 1, countNoiseMultiplier: 1 } }).epsilonPerDay;
    const s = await setup({ epsilonPerDay: oneRound, now: () => clock });
    await fillRound(s);
    const refused = await upload(s.app, tinyUpdate({ seed: 7, baseVersion: 'fed-1' }), clientToken(7));
    expect(await expectError(refused, 429, 'epsilon_daily_cap')).toMatch(/today's privacy budget/);
    expect(refused.headers.get('Retry-After')).toBe(String(14 * 3600));
    const budget = (await (await s.app.request('/v1/admin/privacy-budget', { headers: admin })).json()) as { budgets: Array<Record<string, number>> };
    expect(budget.budgets[0]).toMatchObject({ model: 'default', epsilonBudget: 100, epsilonPerDay: oneRound, publishedRounds: 1 });
    expect(budget.budgets[0]!.todayEpsilon).toBeCloseTo(oneRound, 9);
    clock = Date.parse('2026-03-02T00:00:01Z');
    expect((await upload(s.app, tinyUpdate({ seed: 7, baseVersion: 'fed-1' }), clientToken(7))).status).toBe(202);
    const next = (await s.federation.budget('default'))[0]!;
    expect(next.todayEpsilon).toBe(0);
    expect(next.totalEpsilon).toBeCloseTo(oneRound, 9);
  });

  it('lets an admin see and reset the budget; each reset is recorded (who, when, before, after) and kept across a restart', async () => {
    const s = await setup({ epsilonBudget: 3, epsilonPerDay: 3, aggregation: { noiseMultiplier: 3, countNoiseMultiplier: 3, releaseThreshold: 1 }, now: () => Date.parse('2026-03-01T10:00:00Z') });
    await fillRound(s);
    await expectError(await upload(s.app, tinyUpdate({ seed: 7, baseVersion: 'fed-1' }), clientToken(7)), 409, 'budget_exhausted');
    await expectError(await s.app.request('/v1/admin/privacy-budget/default/reset', { method: 'POST' }), 401, 'unauthorized');
    const res = await s.app.request('/v1/admin/privacy-budget/default/reset', { method: 'POST', headers: admin });
    expect(res.status).toBe(200);
    const { reset } = (await res.json()) as { reset: Record<string, unknown> };
    const spent = (await s.rounds.load('default')).rounds[0]!.totalEpsilon;
    expect(reset).toEqual({
      at: '2026-03-01T10:00:00.000Z',
      by: `admin:${(await tokenHash(ADMIN)).slice(0, 12)}`,
      afterRound: 1,
      before: { totalEpsilon: spent, todayEpsilon: spent },
      after: { totalEpsilon: 0, todayEpsilon: 0 },
    });
    expect(JSON.stringify(reset)).not.toContain(ADMIN);
    expect((await upload(s.app, tinyUpdate({ seed: 7, baseVersion: 'fed-1' }), clientToken(7))).status).toBe(202);
    const restarted = await setup({ storage: s.storage, rounds: s.rounds, epsilonBudget: 3, epsilonPerDay: 3, aggregation: { noiseMultiplier: 3, countNoiseMultiplier: 3, releaseThreshold: 1 } });
    const [budget] = await restarted.federation.budget('default');
    expect(budget).toMatchObject({ totalEpsilon: 0, publishedRounds: 0, resets: [reset] });
    await expectError(await s.app.request('/v1/admin/privacy-budget/nope/reset', { method: 'POST', headers: admin }), 404, 'unknown_model');
    // The dashboard shows the budget against both caps and the reset, with who made it.
    const html = await (await s.app.request('/dashboard?model=default', { headers: admin })).text();
    expect(html).toMatch(/epsilon spent today \(UTC\) <strong>0\.000<\/strong> of 3\.000 per day; in total <strong>0\.000<\/strong> of 3\.000 since the last reset/);
    expect(html).toContain(`<td>2026-03-01T10:00:00.000Z</td><td><code>${reset.by as string}</code></td><td class="n">${spent.toFixed(3)}</td>`);
  });

  it('refuses bad share, source and daily-cap options when the federation is built, naming the valid range', async () => {
    for (const maxSourceShare of [0, 1.5, Number.NaN]) await expect(setup({ maxSourceShare })).rejects.toThrow(/maxSourceShare must be a fraction of the cohort in \(0, 1\]/);
    await expect(setup({ cohort: 3, minSources: 4 })).rejects.toThrow(/minSources must be at most the cohort \(3\)/);
    await expect(setup({ minSources: 0 })).rejects.toThrow(/minSources must be a positive integer/);
    await expect(setup({ epsilonPerDay: 0.5 })).rejects.toThrow(/epsilonPerDay must be at least one round's ε/);
  });

  it('checks its signing key as key files are checked, naming the field at fault', async () => {
    const { key } = await signer();
    const { publicKey: _, ...noPublic } = key;
    const { privateKey: __, ...publicOnly } = key;
    await expect(setup({ signingKey: { ...key, publicKey: 'AAAA' } })).rejects.toThrow(/^federation: signingKey: publicKey must be a base64 raw Ed25519 public key \(32 bytes\)$/);
    await expect(setup({ signingKey: noPublic as never })).rejects.toThrow(/federation: signingKey: publicKey must be/);
    await expect(setup({ signingKey: publicOnly as never })).rejects.toThrow(/federation: signingKey: holds no private key/);
    await expect(setup({ signingKey: { ...key, alg: undefined } as never })).rejects.toThrow(/federation: signingKey must be an Ed25519 key file/);
    await expect(setup({ signingKey: { ...key, keyId: 'XYZ' } })).rejects.toThrow(/federation: signingKey: keyId must be 16 lowercase hex digits/);
  });
});
