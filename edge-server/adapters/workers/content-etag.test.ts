/**
 * On workerd (Miniflare, R2 and Durable Objects simulated): the catalog and the model manifest are
 * answered with the SHA-256 of the exact body bytes as ETag, and a signed catalog upload is checked
 * against `TRUSTED_KEYS` and served with its signature (issue 14, must-have 8).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../core/artifact/bytes.ts';
import type { KeyFile } from '../../../core/artifact/signing.ts';
import { artifactForm } from '../../../core/artifact/upload.ts';
import { signCatalog, verifyCatalog } from '../../../core/catalog-signature.ts';
import { parseCatalog, type Catalog } from '../../../core/catalog.ts';
import { signer, tinyArtifact } from '../../../test/support/edge-server/fixtures.ts';
import { bundleWorker, fetchFrom, startWorker } from '../../../test/support/edge-server/workerd.ts';

const TOKEN = 'workers-etag-admin-token-0123456789';
const ADMIN = { Authorization: `Bearer ${TOKEN}` };
const CATALOG: Catalog = {
  updatedAt: '2026-03-01T00:00:00.000Z',
  products: [{ id: 'sku-1', title: 'Cream', link: '/p/1', image_link: '/i/1', price: 9.5, currency: 'EUR', availability: 'in_stock', product_type: 'Beauty' }],
};

let mf: Miniflare;
let root: string;
let key: Required<KeyFile>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'edge-recs-worker-etag-'));
  const s = await signer();
  key = s.key;
  mf = await startWorker({ script: await bundleWorker(), vars: { TRUSTED_KEYS: JSON.stringify(s.trusted), ADMIN_TOKENS: TOKEN }, assetsDir: root });
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  await rm(root, { recursive: true, force: true });
});

const putCatalog = (body: string): Promise<Response> =>
  fetchFrom(mf, '/v1/admin/catalog', { method: 'PUT', headers: { ...ADMIN, 'Content-Type': 'application/json' }, body });

async function expectContentEtag(path: string): Promise<{ etag: string; body: Uint8Array }> {
  const res = await fetchFrom(mf, path);
  expect(res.status, path).toBe(200);
  const body = new Uint8Array(await res.arrayBuffer());
  const etag = `"${await sha256Hex(body)}"`;
  // Weak where the answer went out compressed (the Worker is always told `br, gzip`); same content hash.
  expect(res.headers.get('ETag')?.replace(/^W\//, ''), path).toBe(etag);
  expect((await fetchFrom(mf, path, { headers: { 'If-None-Match': etag } })).status, `${path} revalidated`).toBe(304);
  return { etag, body };
}

describe('Workers: content ETags and the signed catalog', { timeout: 60_000 }, () => {
  it('serves the catalog, unsigned then signed, with the SHA-256 of its body as ETag, and the signature with it', async () => {
    expect((await putCatalog(JSON.stringify(CATALOG))).status).toBe(200);
    const unsigned = await expectContentEtag('/v1/catalog');
    const res = await putCatalog(JSON.stringify(await signCatalog(CATALOG, key)));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { signedBy: unknown }).signedBy).toBe(key.keyId);
    const signed = await expectContentEtag('/v1/catalog');
    expect(signed.etag).not.toBe(unsigned.etag);
    const served = parseCatalog(JSON.parse(new TextDecoder().decode(signed.body)));
    expect((await verifyCatalog(served, [{ keyId: key.keyId, publicKey: key.publicKey }])).keyId).toBe(key.keyId);
  });

  it('refuses a catalog signed by a key not in TRUSTED_KEYS (400) and keeps the one it had', async () => {
    const before = await expectContentEtag('/v1/catalog');
    const res = await putCatalog(JSON.stringify(await signCatalog(CATALOG, (await signer()).key)));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('untrusted_key');
    expect((await expectContentEtag('/v1/catalog')).etag).toBe(before.etag);
  });

  it('serves the model manifest with the SHA-256 of its body as ETag', async () => {
    const form = new Request('http://form.invalid', { method: 'POST', body: artifactForm(await tinyArtifact(key)) });
    const published = await fetchFrom(mf, '/v1/admin/models/default/versions', {
      method: 'POST',
      headers: { ...ADMIN, 'Content-Type': form.headers.get('Content-Type')! },
      body: new Uint8Array(await form.arrayBuffer()),
    });
    expect(published.status).toBe(201);
    await expectContentEtag('/v1/models/default/manifest');
  });
});
