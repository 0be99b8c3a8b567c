/**
 * ETags that name only content, and the signed catalog, on the real app (`app.request`): the catalog and
 * every model manifest are answered with the SHA-256 of the exact body bytes as ETag, and a signed catalog
 * upload is checked against the server's trusted keys and served with its signature.
 */
import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../core/artifact/bytes.ts';
import { artifactForm } from '../../core/artifact/upload.ts';
import { signCatalog, verifyCatalog } from '../../core/catalog-signature.ts';
import { parseCatalog, type Catalog } from '../../core/catalog.ts';
import { createApp } from '../app.ts';
import { createMemoryStorage } from '../models/memory-storage.ts';
import { expectError, memoryWidget, signer, tinyArtifact } from '../../test/support/edge-server/fixtures.ts';

const TOKEN = 'admin-token-0123456789abcdef';
const ADMIN = { Authorization: `Bearer ${TOKEN}` };

const CATALOG: Catalog = {
  updatedAt: '2026-03-01T00:00:00.000Z',
  products: [
    { id: 'sku-1', title: 'Cream', link: '/p/1', image_link: '/i/1', price: 9.5, currency: 'EUR', availability: 'in_stock', product_type: 'Beauty' },
    { id: 'sku-2', title: 'Soap', link: 'https://shop.example/p/2', image_link: '/i/2', price: 3, sale_price: 2.5, currency: 'EUR', availability: 'in_stock', product_type: 'Beauty > Bath', stock: 4 },
  ],
};

async function setup() {
  const { key, trusted } = await signer();
  const app = createApp({ storage: createMemoryStorage(), trustedKeys: trusted, widget: memoryWidget({}), adminTokens: [TOKEN] });
  return { app, key };
}

const put = (app: Hono, body: string, type = 'application/json'): Promise<Response> =>
  Promise.resolve(app.request('/v1/admin/catalog', { method: 'PUT', headers: { ...ADMIN, 'Content-Type': type }, body }));

/** The ETag a content-addressed answer must carry: the SHA-256 of its body bytes, hex, quoted. */
async function contentEtagOf(res: Response): Promise<{ etag: string | null; expected: string; body: Uint8Array }> {
  const body = new Uint8Array(await res.arrayBuffer());
  return { etag: res.headers.get('ETag'), expected: `"${await sha256Hex(body)}"`, body };
}

describe('ETags are the SHA-256 of the body', () => {
  it('GET /v1/catalog: for a JSON catalog, a TSV feed and a signed catalog', async () => {
    const { app, key } = await setup();
    const tsv = 'id\ttitle\tlink\timage_link\tprice\tavailability\tproduct_type\nsku-9\tMug\t/p/9\t/i/9\t12.00 USD\tin stock\tHome\n';
    const uploads: Array<[string, string]> = [
      [JSON.stringify(CATALOG), 'application/json'],
      [tsv, 'text/tab-separated-values'],
      [JSON.stringify(await signCatalog(CATALOG, key)), 'application/json'],
    ];
    for (const [body, type] of uploads) {
      const upload = await put(app, body, type);
      expect(upload.status, type).toBe(200);
      const { etag, expected } = await contentEtagOf(await app.request('/v1/catalog'));
      expect(etag).toBe(expected);
      expect(((await upload.json()) as { etag: string }).etag).toBe(expected);
      expect((await app.request('/v1/catalog', { headers: { 'If-None-Match': expected } })).status).toBe(304);
    }
  });

  it('GET /v1/models/:name/manifest: for each published version', async () => {
    const { app, key } = await setup();
    for (const [i, version] of ['v1', 'v2'].entries()) {
      const res = await app.request('/v1/admin/models/default/versions', { method: 'POST', headers: ADMIN, body: artifactForm(await tinyArtifact(key, version, i + 1)) });
      expect(res.status).toBe(201);
      const { etag, expected, body } = await contentEtagOf(await app.request('/v1/models/default/manifest'));
      expect(etag).toBe(expected);
      expect((JSON.parse(new TextDecoder().decode(body)) as { version: string }).version).toBe(version);
      const again = await app.request('/v1/models/default/manifest', { headers: { 'If-None-Match': expected } });
      expect(again.status).toBe(304);
      expect(again.headers.get('ETag')).toBe(expected);
    }
  });
});

describe('signed catalog upload', () => {
  it('keeps a catalog signed by a trusted key and serves it with its signature, which the widget can check', async () => {
    const { app, key } = await setup();
    const res = await put(app, JSON.stringify(await signCatalog(CATALOG, key)));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { signedBy: unknown }).signedBy).toBe(key.keyId);
    const served = parseCatalog(await (await app.request('/v1/catalog')).json());
    expect(served.signature?.keyId).toBe(key.keyId);
    expect((await verifyCatalog(served, [{ keyId: key.keyId, publicKey: key.publicKey }])).keyId).toBe(key.keyId);
  });

  it('an unsigned upload (JSON or feed) is kept and served without a signature', async () => {
    const { app } = await setup();
    const res = await put(app, JSON.stringify(CATALOG));
    expect(((await res.json()) as { signedBy: unknown }).signedBy).toBeNull();
    const served = (await (await app.request('/v1/catalog')).json()) as Record<string, unknown>;
    expect('signature' in served).toBe(false);
  });

  it('refuses (400, catalog unchanged) a catalog signed by an unknown key, one changed after signing, and a malformed signature', async () => {
    const { app, key } = await setup();
    expect((await put(app, JSON.stringify(CATALOG))).status).toBe(200);
    const before = await (await app.request('/v1/catalog')).text();
    const stranger = (await signer()).key;
    const signed = await signCatalog(CATALOG, key);
    const tampered = { ...signed, products: signed.products.map((p, i) => (i === 0 ? { ...p, link: 'https://evil.example/p/1' } : p)) };
    expect(await expectError(await put(app, JSON.stringify(await signCatalog(CATALOG, stranger))), 400, 'untrusted_key')).toBe(`the catalog is signed by unknown key ${stranger.keyId}`);
    expect(await expectError(await put(app, JSON.stringify(tampered)), 400, 'bad_signature')).toBe('the catalog: signature does not match its content');
    expect(await expectError(await put(app, JSON.stringify({ ...CATALOG, signature: 'yes' })), 400, 'bad_catalog')).toMatch(/field "signature" must be \{"alg": "Ed25519", "keyId", "value"\}/);
    expect(await (await app.request('/v1/catalog')).text()).toBe(before);
  });

  it('a signature covers the catalog as parsed: formatting and key order of the upload do not matter', async () => {
    const { app, key } = await setup();
    const signed = await signCatalog(CATALOG, key);
    const reordered = { signature: signed.signature, products: signed.products.map((p) => Object.fromEntries(Object.entries(p).reverse())), updatedAt: signed.updatedAt };
    const res = await put(app, JSON.stringify(reordered, null, 2));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { signedBy: unknown }).signedBy).toBe(key.keyId);
  });
});
