/**
 * What only the Workers adapter has, on workerd (Miniflare): its bindings in wrangler.toml, blob keys in
 * R2, and its answer to bad vars. The contract suite on workerd: `test/contract/workers.test.ts`.
 */
import type { DurableObjectNamespace } from '@cloudflare/workers-types/latest/index.ts';
import { Miniflare } from 'miniflare';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex, utf8, canonicalJson } from '../../../core/artifact/bytes.ts';
import { signer, tinyArtifact } from '../../../test/support/edge-server/fixtures.ts';
import type { ModelRegistry } from './model-registry.ts';
import { publishToRegistry } from './registry-client.ts';
import { BLOB_PREFIX } from './storage.ts';
import { fetchFrom, miniflareOptions, publishOverAdminApi, startWorker, workerFixture, wranglerSettings, writeFiles } from '../../../test/support/edge-server/workerd.ts';

const worker = workerFixture();

/**
 * The registry's namespace as a test reaches it: Miniflare's proxy of the `MODELS` binding, for the one
 * test that checks what `publishToRegistry` returns (the contract suite publishes over the admin API).
 */
async function models(mf: Miniflare): Promise<DurableObjectNamespace<ModelRegistry>> {
  return (await mf.getDurableObjectNamespace('MODELS')) as unknown as DurableObjectNamespace<ModelRegistry>;
}

describe('Workers adapter', () => {
  it('binds in wrangler.toml what the Worker reads and these tests simulate', async () => {
    const { text } = await wranglerSettings();
    expect(text).toMatch(/^main = "worker\.ts"$/m);
    expect(text).toMatch(/\[\[r2_buckets\]\]\nbinding = "BLOBS"/);
    expect(text).toMatch(/\[\[durable_objects\.bindings\]\]\nname = "MODELS"\nclass_name = "ModelRegistry"/);
    expect(text).toMatch(/new_sqlite_classes = \["ModelRegistry"\]/);
    expect(text).toMatch(/\[assets\]\ndirectory = "\.\.\/\.\.\/\.\.\/dist"\nbinding = "ASSETS"\nrun_worker_first = true/);
  });

  it('bundles to one module whose only import is cloudflare:workers', () => {
    const imports = [...worker.script().matchAll(/^import\s.*?from\s*["']([^"']+)["']/gm)].map((m) => m[1]);
    // One import statement per Durable Object module that uses it: still only cloudflare:workers.
    expect([...new Set(imports)]).toEqual(['cloudflare:workers']);
  });

  describe('on workerd', () => {
    let mf: Miniflare;
    afterAll(async () => {
      await mf?.dispose();
    });

    it('keeps each blob in R2 under blobs/<sha256>, with the SHA-256 R2 checked on upload', async () => {
      const { key, trusted } = await signer();
      const assetsDir = await writeFiles(await worker.dir('assets'), {});
      mf = await startWorker({ script: worker.script(), vars: { TRUSTED_KEYS: JSON.stringify(trusted) }, assetsDir });
      const artifact = await tinyArtifact(key);
      const { manifestSha256, record } = await publishToRegistry(await models(mf), artifact);
      expect(record.current).toBe('v1');
      expect(manifestSha256).toBe(await sha256Hex(utf8.encode(canonicalJson(artifact.manifest))));

      const bucket = await mf.getR2Bucket('BLOBS');
      const listed = await bucket.list();
      const expected = [artifact.manifest.items.sha256, ...artifact.manifest.shards.map((s) => s.sha256), manifestSha256];
      expect(listed.objects.map((o) => o.key).sort()).toEqual(expected.map((sha) => BLOB_PREFIX + sha).sort());
      for (const sha of expected) {
        const head = await bucket.head(BLOB_PREFIX + sha);
        expect(head?.checksums.toJSON().sha256).toBe(sha);
      }
    });

    it('adds purchases to a revenue table from before them: 1 per stored cell with an amount, summed with new batches', async () => {
      // The Analytics Object as deployed before revenue sums carried purchases: its table, and cells in it.
      const before = `
        import { DurableObject } from 'cloudflare:workers';
        export class Analytics extends DurableObject {
          constructor(ctx, env) {
            super(ctx, env);
            ctx.storage.sql.exec(\`CREATE TABLE IF NOT EXISTS revenue (day TEXT, placement TEXT, version TEXT, variant TEXT, currency TEXT, orders INTEGER, amount INTEGER,
              PRIMARY KEY (day, placement, version, variant, currency))\`);
          }
          fill() {
            const cell = (day, placement, orders, amount) => this.ctx.storage.sql.exec('INSERT INTO revenue VALUES (?, ?, ?, ?, ?, ?, ?)', day, placement, 'v1', 'none', 'EUR', orders, amount);
            // Days of the last two weeks: within the read-out's default range of 28 days.
            const ago = (d) => new Date(Date.now() - d * 86400000).toISOString().slice(0, 10);
            for (let d = 1; d <= 10; d++) cell(ago(d), 'similar', 2, 1000);
            for (let d = 1; d <= 9; d++) cell(ago(d), 'cart', 2, 500);
            cell(ago(1), 'for-you', 1, 0);
          }
        }
        export default { async fetch(request, env) { await env.ANALYTICS.get(env.ANALYTICS.idFromName('default')).fill(); return new Response('filled'); } };`;
      const persistDir = await worker.dir('migrate');
      const assetsDir = await writeFiles(await worker.dir('assets'), {});
      const { compatibilityDate } = await wranglerSettings();
      await mf?.dispose();
      mf = new Miniflare({ modules: true, script: before, compatibilityDate, durableObjects: { ANALYTICS: { className: 'Analytics', useSQLite: true } }, durableObjectsPersist: `${persistDir}/do` });
      expect(await (await fetchFrom(mf, '/')).text()).toBe('filled');
      await mf.dispose();

      const { key, trusted } = await signer();
      const options = { script: worker.script(), vars: { TRUSTED_KEYS: JSON.stringify(trusted), ADMIN_TOKENS: 'migrate-admin-token-0123456789' }, assetsDir, persistDir };
      const admin = { Authorization: 'Bearer migrate-admin-token-0123456789' };
      const eur = async (): Promise<Record<string, unknown>> => {
        const readout = (await (await fetchFrom(mf, '/v1/admin/metrics?model=default', { headers: admin })).json()) as { byPlacement: Array<{ placement: string; revenue: { EUR: unknown } }> };
        return Object.fromEntries(readout.byPlacement.map((p) => [p.placement, p.revenue.EUR]));
      };
      mf = await startWorker(options);
      // k = 10: ten stored cells of the similar row hold at least ten purchases; the cart row's nine do not.
      expect(await eur()).toEqual({
        cart: { orders: 18, amount: null, perImpression: null, perClick: null },
        'for-you': { orders: null, amount: '0.00', perImpression: null, perClick: null },
        similar: { orders: 20, amount: '100.00', perImpression: null, perClick: null },
      });
      await publishOverAdminApi(mf, 'migrate-admin-token-0123456789', await tinyArtifact(key));
      const batch = { model: 'default', counters: [], revenue: [{ placement: 'cart', modelVersion: 'v1', variant: 'none', currency: 'EUR', orders: 1, purchases: 1, amount: 100 }] };
      expect((await fetchFrom(mf, '/v1/metrics', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch) })).status).toBe(202);
      // Started again: the table is already migrated, and the sums stay.
      await mf.dispose();
      mf = await startWorker(options);
      expect((await eur()).cart).toEqual({ orders: 19, amount: '46.00', perImpression: null, perClick: null });
    });

    it('answers every request with 500 misconfigured, naming the var, when a var is missing or malformed', async () => {
      const assetsDir = await worker.dir('assets');
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{}, /^TRUSTED_KEYS is required/],
        [{ TRUSTED_KEYS: '{"keyId"' }, /^TRUSTED_KEYS must be a JSON array .* not JSON/],
        [{ TRUSTED_KEYS: '[{"keyId":"abc","publicKey":"AAAA"}]' }, /^TRUSTED_KEYS\[0\]\.keyId must be 16 lowercase hex/],
        [{ TRUSTED_KEYS: '[]' }, /at least one key/],
      ];
      const { trusted } = await signer();
      cases.push([{ TRUSTED_KEYS: JSON.stringify(trusted), ALLOWED_ORIGINS: 'https://shop.example/' }, /^ALLOWED_ORIGINS\[0\] must be an origin/]);
      await mf?.dispose();
      mf = await startWorker({ script: worker.script(), vars: {}, assetsDir });
      for (const [vars, message] of cases) {
        await mf.setOptions(await miniflareOptions({ script: worker.script(), vars, assetsDir }));
        for (const path of ['/healthz', '/v1/models/default/manifest']) {
          const res = await fetchFrom(mf, path);
          expect(res.status).toBe(500);
          const body = (await res.json()) as { error: { code: string; message: string } };
          expect(body.error.code).toBe('misconfigured');
          expect(body.error.message).toMatch(message);
        }
      }
    });
  });
});
