import type { Hono } from 'hono';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import type { Artifact } from '../../core/artifact/artifact.ts';
import { artifactForm } from '../../core/artifact/upload.ts';
import type { KeyFile, TrustedKey } from '../../core/artifact/signing.ts';
import { createApp, type AppOptions } from '../app.ts';
import { createMemoryStorage } from '../models/memory-storage.ts';
import type { Storage } from '../models/storage.ts';
import { expectError, memoryWidget, signer, tinyArtifact } from '../../test/support/edge-server/fixtures.ts';
import { adminAuth } from './auth.ts';
import { applyChange, canaryBucket, localRegistry, servedVersion, type ModelChange } from '../models/registry-ops.ts';

const TOKEN = 'admin-token-0123456789abcdef';
const bearer = (token = TOKEN): Record<string, string> => ({ Authorization: `Bearer ${token}` });

interface Setup {
  app: Hono;
  storage: Storage;
  key: Required<KeyFile>;
  trusted: TrustedKey[];
}

async function setup(overrides: Partial<AppOptions> = {}): Promise<Setup> {
  const storage = createMemoryStorage();
  const { key, trusted } = await signer();
  const app = createApp({ storage, trustedKeys: trusted, widget: memoryWidget({}), adminTokens: [TOKEN], ...overrides });
  return { app, storage, key, trusted };
}

function publish(app: Hono, artifact: Artifact, name = artifact.manifest.name, headers = bearer(), query = ''): Promise<Response> {
  return Promise.resolve(app.request(`/v1/admin/models/${name}/versions${query}`, { method: 'POST', headers, body: artifactForm(artifact) }));
}

function json(app: Hono, method: string, path: string, body: unknown, headers = bearer()): Promise<Response> {
  return Promise.resolve(app.request(path, { method, headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(body) }));
}

describe('admin authentication', () => {
  it('answers 401 with WWW-Authenticate when no token is sent, 403 for a wrong one', async () => {
    const { app } = await setup();
    const missing = await app.request('/v1/admin/models/default/versions');
    expect(missing.headers.get('WWW-Authenticate')).toBe('Bearer realm="edge-recs admin"');
    await expectError(missing, 401, 'unauthorized');
    const basic = await app.request('/v1/admin/models/default/versions', { headers: { Authorization: 'Basic YWRtaW46YWRtaW4=' } });
    expect(basic.headers.get('WWW-Authenticate')).toMatch(/error="invalid_request"/);
    await expectError(basic, 401, 'unauthorized');
    await expectError(await app.request('/v1/admin/models/default/versions', { headers: bearer(`${TOKEN}x`) }), 403, 'forbidden');
    await expectError(await app.request('/v1/admin/models/default/versions', { headers: bearer(TOKEN.slice(1)) }), 403, 'forbidden');
  });

  it('turns the admin API off (404) when no token is configured', async () => {
    const { app } = await setup({ adminTokens: [] });
    const message = await expectError(await app.request('/v1/admin/metrics?model=default', { headers: bearer() }), 404, 'admin_disabled');
    expect(message).toMatch(/configure an admin token/);
    await expectError(await app.request('/dashboard', { headers: bearer() }), 404, 'admin_disabled');
  });

  it('accepts any of several tokens, for a rotation', async () => {
    const other = 'second-token-abcdefghijklmnop';
    const { app } = await setup({ adminTokens: [TOKEN, other] });
    await expectError(await app.request('/v1/admin/models/none/versions', { headers: bearer(other) }), 404, 'unknown_model');
    await expectError(await app.request('/v1/admin/models/none/versions', { headers: bearer() }), 404, 'unknown_model');
  });

  it('refuses weak or malformed tokens when the app is built', async () => {
    const { trusted } = await signer();
    const base = { storage: createMemoryStorage(), trustedKeys: trusted, widget: memoryWidget({}) };
    expect(() => createApp({ ...base, adminTokens: ['secret'] })).toThrow(/adminTokens\[0\] must be 16-512 characters .* got 6 characters/);
    expect(() => createApp({ ...base, adminTokens: [TOKEN, 'has spaces in it, sixteen+'] })).toThrow(/adminTokens\[1\]/);
    expect(() => createApp({ ...base, adminTokens: 'x' as unknown as string[] })).toThrow(/adminTokens must be an array/);
  });

  it('issues session values that verify until they expire, and only for this server\'s tokens', async () => {
    const auth = adminAuth([TOKEN]);
    const now = 1_800_000_000;
    const value = await auth.session(TOKEN, now);
    expect(await auth.checkSession(value, now + 60)).toBe(true);
    expect(await auth.checkSession(value, now + 8 * 3600)).toBe(false);
    expect(await adminAuth(['another-token-0123456789']).checkSession(value, now + 60)).toBe(false);
    expect(await auth.checkSession(value.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), now + 60)).toBe(false);
    expect(await auth.checkSession('garbage', now)).toBe(false);
  });
});

describe('POST /v1/admin/models/:name/versions', () => {
  it('publishes a signed artifact (201), serves it at once, and answers 200 to the same upload again', async () => {
    const { app, key } = await setup();
    const artifact = await tinyArtifact(key, 'v1');
    const res = await publish(app, artifact);
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ name: 'default', current: 'v1', version: 'v1', created: true, canary: null });
    expect(body.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
    const manifest = await app.request('/v1/models/default/manifest');
    expect(manifest.headers.get('X-Model-Version')).toBe('v1');
    expect((await publish(app, artifact)).status).toBe(200);
  });

  it('refuses an artifact signed by an untrusted key, a tampered file, a missing file and a name mismatch', async () => {
    const { app, key } = await setup();
    const { key: stranger } = await signer();
    await expectError(await publish(app, await tinyArtifact(stranger, 'v1')), 400, 'untrusted_key');

    const tampered = await tinyArtifact(key, 'v1');
    const shard = tampered.manifest.shards[0]!.path;
    const bytes = tampered.files.get(shard)!;
    bytes[0] = bytes[0]! ^ 1;
    expect(await expectError(await publish(app, tampered), 400, 'integrity')).toMatch(shard);

    const missing = await tinyArtifact(key, 'v1');
    missing.files.delete('items.json');
    expect(await expectError(await publish(app, missing), 400, 'integrity')).toMatch(/items\.json: named by the manifest but missing/);

    expect(await expectError(await publish(app, await tinyArtifact(key, 'v1', 1, 'other'), 'default'), 400, 'name_mismatch')).toMatch(/publish it under \/v1\/admin\/models\/other\/versions/);
    await expectError(await app.request('/v1/models/default/manifest'), 404, 'unknown_model');
  });

  it('refuses a body that is not multipart, lacks the manifest or exceeds the limit', async () => {
    const { app, key } = await setup({ maxArtifactBytes: 2048 });
    await expectError(await json(app, 'POST', '/v1/admin/models/default/versions', {}), 415, 'unsupported_media_type');
    const noManifest = new FormData();
    noManifest.append('items.json', new Blob(['[]']), 'items.json');
    await expectError(await app.request('/v1/admin/models/default/versions', { method: 'POST', headers: bearer(), body: noManifest }), 400, 'bad_upload');
    const big = await tinyArtifact(key, 'v1');
    big.files.set('padding.bin', new Uint8Array(4096));
    await expectError(await publish(app, big), 413, 'payload_too_large');
    const badJson = new FormData();
    badJson.append('manifest', new Blob(['{not json']), 'manifest.json');
    await expectError(await app.request('/v1/admin/models/default/versions', { method: 'POST', headers: bearer(), body: badJson }), 400, 'bad_manifest');
  });

  it('needs the admin token', async () => {
    const { app, key } = await setup();
    await expectError(await publish(app, await tinyArtifact(key), 'default', {}), 401, 'unauthorized');
  });
});

describe('versions, promote, rollback, canary', () => {
  async function withVersions(): Promise<Setup> {
    const s = await setup();
    for (const [i, v] of ['v1', 'v2', 'v3'].entries()) expect((await publish(s.app, await tinyArtifact(s.key, v, i + 1))).status).toBe(201);
    return s;
  }
  const served = async (app: Hono, bucket?: number): Promise<string | null> =>
    (await app.request('/v1/models/default/manifest', bucket === undefined ? {} : { headers: { 'X-Canary-Bucket': String(bucket) } })).headers.get('X-Model-Version');

  it('lists versions oldest first with the current one', async () => {
    const { app } = await withVersions();
    const res = await app.request('/v1/admin/models/default/versions', { headers: bearer() });
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const body = (await res.json()) as { current: string; versions: Array<{ version: string; publishedAt: string }> };
    expect(body.current).toBe('v3');
    expect(body.versions.map((v) => v.version)).toEqual(['v1', 'v2', 'v3']);
    await expectError(await app.request('/v1/admin/models/nope/versions', { headers: bearer() }), 404, 'unknown_model');
    await expectError(await app.request('/v1/admin/models/Bad!/versions', { headers: bearer() }), 400, 'bad_name');
  });

  it('promotes a version, and rolls back to the one published before the current one', async () => {
    const { app } = await withVersions();
    const promoted = await json(app, 'POST', '/v1/admin/models/default/promote', { version: 'v1' });
    expect(promoted.status).toBe(200);
    expect(await promoted.json()).toMatchObject({ current: 'v1' });
    expect(await served(app)).toBe('v1');
    await expectError(await app.request('/v1/admin/models/default/rollback', { method: 'POST', headers: bearer() }), 409, 'no_previous_version');

    await json(app, 'POST', '/v1/admin/models/default/promote', { version: 'v3' });
    expect(await (await app.request('/v1/admin/models/default/rollback', { method: 'POST', headers: bearer() })).json()).toMatchObject({ current: 'v2' });
    expect(await served(app)).toBe('v2');
    await expectError(await json(app, 'POST', '/v1/admin/models/default/promote', { version: 'v9' }), 404, 'unknown_version');
    await expectError(await json(app, 'POST', '/v1/admin/models/default/promote', { version: 7 }), 400, 'bad_change');
    await expectError(await json(app, 'POST', '/v1/admin/models/nope/promote', { version: 'v1' }), 404, 'unknown_model');
  });

  it('serves a canary to buckets below its percentage, privately cached and varying by bucket, until it ends', async () => {
    const { app } = await withVersions();
    await json(app, 'POST', '/v1/admin/models/default/promote', { version: 'v2' });
    const res = await json(app, 'PUT', '/v1/admin/models/default/canary', { version: 'v3', percent: 25 });
    expect(await res.json()).toMatchObject({ current: 'v2', canary: { version: 'v3', percent: 25 } });
    expect(await served(app, 0)).toBe('v3');
    expect(await served(app, 24)).toBe('v3');
    expect(await served(app, 25)).toBe('v2');
    expect(await served(app, 99)).toBe('v2');
    const manifest = await app.request('/v1/models/default/manifest', { headers: { 'X-Canary-Bucket': '3' } });
    expect(manifest.headers.get('Cache-Control')).toBe('private, max-age=60, must-revalidate');
    expect(manifest.headers.get('Vary')).toBe('X-Canary-Bucket, Accept-Encoding');
    await expectError(await app.request('/v1/models/default/manifest', { headers: { 'X-Canary-Bucket': '100' } }), 400, 'bad_canary_bucket');

    // Without a bucket each request is a fresh draw: over many requests both versions are served.
    const seen = new Set<string | null>();
    for (let i = 0; i < 60 && seen.size < 2; i++) seen.add(await served(app));
    expect(seen).toEqual(new Set(['v2', 'v3']));

    const ended = await app.request('/v1/admin/models/default/canary', { method: 'DELETE', headers: bearer() });
    expect(await ended.json()).toMatchObject({ current: 'v2', canary: null });
    expect(await served(app, 0)).toBe('v2');
    expect((await app.request('/v1/models/default/manifest')).headers.get('Cache-Control')).toBe('public, max-age=60, must-revalidate');
  });

  it('publishes a new version as a canary in one request: every record written keeps the current version', async () => {
    const storage = createMemoryStorage();
    const written: Array<{ current: string; canary?: unknown }> = [];
    const putModel = storage.meta.putModel.bind(storage.meta);
    storage.meta.putModel = async (record) => {
      written.push(structuredClone(record));
      await putModel(record);
    };
    const s = await setup({ storage });
    expect((await publish(s.app, await tinyArtifact(s.key, 'v1', 1))).status).toBe(201);
    written.length = 0;

    const res = await publish(s.app, await tinyArtifact(s.key, 'v2', 2), 'default', bearer(), '?canary=10');
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ version: 'v2', created: true, current: 'v1', canary: { version: 'v2', percent: 10 } });
    expect(written).toEqual([expect.objectContaining({ current: 'v1', canary: { version: 'v2', percent: 10 } })]);
    expect(await served(s.app, 9)).toBe('v2');
    expect(await served(s.app, 10)).toBe('v1');
    expect(await served(s.app, 99)).toBe('v1');

    // The same upload again changes the share only; promoting it ends the canary.
    const again = await publish(s.app, await tinyArtifact(s.key, 'v2', 2), 'default', bearer(), '?canary=25');
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ created: false, current: 'v1', canary: { version: 'v2', percent: 25 } });
    expect(await (await json(s.app, 'POST', '/v1/admin/models/default/promote', { version: 'v2' })).json()).toMatchObject({ current: 'v2', canary: null });
  });

  it('refuses a canary publish with a bad percentage, of the current version, or of a model\'s first version, storing nothing', async () => {
    const { app, key, storage } = await setup();
    const first = await tinyArtifact(key, 'v1', 1);
    const firstShard = first.manifest.shards[0]!.sha256;
    expect(await expectError(await publish(app, first, 'default', bearer(), '?canary=10'), 409, 'no_current_version')).toMatch(/publish v1 without a canary first/);
    expect(await storage.blobs.has(firstShard)).toBe(false);
    await expectError(await app.request('/v1/models/default/manifest'), 404, 'unknown_model');

    expect((await publish(app, first)).status).toBe(201);
    expect(await expectError(await publish(app, first, 'default', bearer(), '?canary=10'), 400, 'bad_canary')).toMatch(/already the current version/);
    const next = await tinyArtifact(key, 'v2', 2);
    for (const bad of ['0', '101', '5.5', 'ten', '', '-1']) {
      expect(await expectError(await publish(app, next, 'default', bearer(), `?canary=${bad}`), 400, 'bad_canary')).toMatch(/integer 1-100/);
    }
    expect(await storage.blobs.has(next.manifest.shards[0]!.sha256)).toBe(false);
    expect(await (await app.request('/v1/admin/models/default/versions', { headers: bearer() })).json()).toMatchObject({ current: 'v1', canary: null, versions: [{ version: 'v1' }] });
  });

  it('refuses a canary of the current version, an unknown version or a bad percentage', async () => {
    const { app } = await withVersions();
    await expectError(await json(app, 'PUT', '/v1/admin/models/default/canary', { version: 'v3', percent: 10 }), 400, 'bad_canary');
    await expectError(await json(app, 'PUT', '/v1/admin/models/default/canary', { version: 'v7', percent: 10 }), 404, 'unknown_version');
    for (const percent of [-1, 101, 2.5, '10']) {
      await expectError(await json(app, 'PUT', '/v1/admin/models/default/canary', { version: 'v1', percent }), 400, 'bad_canary');
    }
    await expectError(await app.request('/v1/admin/models/default/canary', { method: 'PUT', headers: { ...bearer(), 'Content-Type': 'application/json' }, body: '{' }), 400, 'bad_json');
  });
});

describe('registry operations', () => {
  const record = { name: 'm', current: 'b', versions: ['a', 'b', 'c'].map((version) => ({ version, manifestSha256: version.repeat(64), publishedAt: 't' })) };

  it('apply changes without touching the record given', () => {
    const before = structuredClone(record);
    const changes: Array<[ModelChange, Partial<typeof record> & { canary?: unknown }]> = [
      [{ op: 'promote', version: 'c' }, { current: 'c' }],
      [{ op: 'rollback' }, { current: 'a' }],
      [{ op: 'canary', version: 'c', percent: 5 }, { current: 'b', canary: { version: 'c', percent: 5 } }],
    ];
    for (const [change, expected] of changes) expect(applyChange(record, 'm', change)).toMatchObject(expected);
    expect(record).toEqual(before);
    const canaried = applyChange(record, 'm', { op: 'canary', version: 'c', percent: 5 });
    expect(applyChange(canaried, 'm', { op: 'promote', version: 'c' }).canary).toBeUndefined();
    expect(applyChange(canaried, 'm', { op: 'rollback' }).canary).toBeUndefined();
    expect(applyChange(canaried, 'm', { op: 'canary', version: 'c', percent: 0 }).canary).toBeUndefined();
  });

  it('picks the served version by bucket and reads the bucket a widget sends', () => {
    const canaried = { ...record, canary: { version: 'c', percent: 10 } };
    expect(servedVersion(canaried, 9)).toBe('c');
    expect(servedVersion(canaried, 10)).toBe('b');
    expect(servedVersion(record, 0)).toBe('b');
    expect(canaryBucket('42')).toBe(42);
    expect(canaryBucket(' 7 ')).toBe(7);
    for (const bad of ['100', '-1', 'x', '1.5', '']) expect(canaryBucket(bad)).toBeNull();
    expectTypeOf(canaryBucket).returns.toEqualTypeOf<number | null>();
  });

  it('draws a bucket from crypto.getRandomValues when none is sent, every one of 0-99 alike', () => {
    const draw = vi.spyOn(crypto, 'getRandomValues');
    try {
      for (const [value, bucket] of [[142, 42], [2 ** 32 - 1, 95], [0, 0]] as const) {
        draw.mockImplementationOnce(<T extends ArrayBufferView | null>(array: T): T => ((array as unknown as Uint32Array).fill(value), array));
        expect(canaryBucket(undefined)).toBe(bucket);
      }
    } finally {
      draw.mockRestore();
    }
    // 2,000 real draws miss one of the 100 buckets with probability about 2e-7.
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < 2000; i++) {
      const bucket = canaryBucket(undefined)!;
      expect(Number.isInteger(bucket) && bucket >= 0 && bucket < 100, String(bucket)).toBe(true);
      counts[bucket]!++;
    }
    expect(counts.indexOf(0)).toBe(-1);
  });

  it('loses no publish when a promote races with publishes of the same model', async () => {
    const storage = createMemoryStorage();
    const { key, trusted } = await signer();
    const registry = localRegistry(storage, trusted);
    await registry.publish(await tinyArtifact(key, 'v1', 1));
    const artifacts = await Promise.all(['v2', 'v3', 'v4'].map((v, i) => tinyArtifact(key, v, i + 2)));
    await Promise.all([...artifacts.map((a) => registry.publish(a)), registry.change('default', { op: 'promote', version: 'v1' })]);
    // Publishes verify before they queue, so they may record in any order; none may be missing.
    expect((await storage.meta.getModel('default'))!.versions.map((v) => v.version).sort()).toEqual(['v1', 'v2', 'v3', 'v4']);
  });
});
