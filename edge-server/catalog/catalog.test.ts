import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { parseCatalog } from '../../core/catalog.ts';
import { createApp, type AppOptions } from '../app.ts';
import { createMemoryStorage } from '../models/memory-storage.ts';
import { expectError, memoryWidget, signer } from '../../test/support/edge-server/fixtures.ts';
import { createMemoryCatalog } from './store.ts';

const TOKEN = 'admin-token-0123456789abcdef';
const ADMIN = { Authorization: `Bearer ${TOKEN}` };

async function setup(overrides: Partial<AppOptions> = {}): Promise<Hono> {
  const { trusted } = await signer();
  return createApp({ storage: createMemoryStorage(), trustedKeys: trusted, widget: memoryWidget({}), adminTokens: [TOKEN], ...overrides });
}

const put = (app: Hono, body: string, contentType: string, headers: Record<string, string> = ADMIN): Promise<Response> =>
  Promise.resolve(app.request('/v1/admin/catalog', { method: 'PUT', headers: { ...headers, 'Content-Type': contentType }, body }));

const JSON_CATALOG = {
  updatedAt: '2026-03-01T00:00:00.000Z',
  products: [{ id: 'sku-1', title: 'Cream', link: '/p/1', image_link: '/i/1', price: 9.5, currency: 'EUR', availability: 'in_stock', product_type: 'Beauty' }],
};
const TSV = 'id\ttitle\tlink\timage_link\tprice\tsale_price\tavailability\tproduct_type\tbrand\nsku-9\tMug\t/p/9\t/i/9\t12.00 USD\t10.00 USD\tout of stock\tHome > Kitchen\tAcme\n';
const XML = `<?xml version="1.0"?><rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><item>
<g:id>x-1</g:id><g:title>Kettle</g:title><g:link>https://shop.example/x-1</g:link><g:image_link>https://img.example/x-1.jpg</g:image_link>
<g:price>30.00 GBP</g:price><g:availability>in stock</g:availability><g:google_product_category>Home &gt; Kitchen</g:google_product_category></item></channel></rss>`;

describe('catalog', () => {
  it('answers 404 before a catalog is published', async () => {
    const app = await setup();
    expect(await expectError(await app.request('/v1/catalog'), 404, 'no_catalog')).toMatch(/PUT \/v1\/admin\/catalog/);
  });

  it('stores a JSON catalog and serves it with an ETag, a one-minute cache and 304s', async () => {
    const app = await setup();
    const res = await put(app, JSON.stringify(JSON_CATALOG), 'application/json');
    expect(res.status).toBe(200);
    const summary = (await res.json()) as { products: number; etag: string };
    expect(summary.products).toBe(1);
    const got = await app.request('/v1/catalog');
    expect(got.status).toBe(200);
    expect(got.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
    expect(got.headers.get('Cache-Control')).toBe('public, max-age=60');
    expect(got.headers.get('ETag')).toBe(summary.etag);
    expect(parseCatalog(await got.json())).toEqual(JSON_CATALOG);
    for (const header of [summary.etag, `W/${summary.etag}`, `"stale", ${summary.etag}`, '*']) {
      const cached = await app.request('/v1/catalog', { headers: { 'If-None-Match': header } });
      expect(cached.status, header).toBe(304);
      expect(cached.headers.get('ETag')).toBe(summary.etag);
      expect(await cached.text()).toBe('');
    }
    expect((await app.request('/v1/catalog', { headers: { 'If-None-Match': '"stale"' } })).status).toBe(200);
  });

  it('normalizes a TSV feed and an XML feed into the catalog the widget reads, replacing the previous one', async () => {
    const app = await setup();
    expect((await put(app, TSV, 'text/tab-separated-values')).status).toBe(200);
    const first = await app.request('/v1/catalog');
    const etag = first.headers.get('ETag')!;
    expect(parseCatalog(await first.json()).products).toEqual([
      { id: 'sku-9', title: 'Mug', link: '/p/9', image_link: '/i/9', price: 12, sale_price: 10, currency: 'USD', availability: 'out_of_stock', product_type: 'Home > Kitchen', brand: 'Acme' },
    ]);
    expect((await put(app, XML, 'application/rss+xml; charset=utf-8')).status).toBe(200);
    const second = await app.request('/v1/catalog', { headers: { 'If-None-Match': etag } });
    expect(second.status).toBe(200);
    expect(parseCatalog(await second.json()).products.map((p) => [p.id, p.price, p.currency, p.product_type])).toEqual([['x-1', 30, 'GBP', 'Home > Kitchen']]);
  });

  it('refuses a bad feed with a 400 naming line and field, and keeps the previous catalog', async () => {
    const app = await setup();
    await put(app, JSON.stringify(JSON_CATALOG), 'application/json');
    const message = await expectError(await put(app, TSV.replace('12.00 USD', 'twelve'), 'text/tsv'), 400, 'bad_catalog');
    expect(message).toBe('line 2 (item "sku-9"): field "price" must be like "12.99 USD" (got "twelve")');
    await expectError(await put(app, XML.replace('</channel>', ''), 'application/xml'), 400, 'bad_catalog');
    await expectError(await put(app, '{"products": 3}', 'application/json'), 400, 'bad_catalog');
    await expectError(await put(app, '{', 'application/json'), 400, 'bad_json');
    expect(parseCatalog(await (await app.request('/v1/catalog')).json())).toEqual(JSON_CATALOG);
  });

  const JACKETS = [
    'id\titem_group_id\ttitle\tlink\timage_link\tprice\tavailability\tproduct_type\tsize',
    'rain jacket S\train jacket\tRain jacket S\t/p/rj?size=S\t/i/rj\t89.00 EUR\tout of stock\tApparel > Jackets\tS',
    ' rain jacket M \train jacket\tRain jacket M\t/p/rj?size=M\t/i/rj\t89.00 EUR\tin stock\tApparel > Jackets\tM',
    'rain jacket L\train jacket\tRain jacket L\t/p/rj?size=L\t/i/rj\t89.00 EUR\tin stock\tApparel > Jackets\tL',
    'mug 1\t\tMug\t/p/mug\t/i/mug\t12.00 EUR\tin stock\tHome\t',
  ].join('\n');

  it('keeps item_group_id and ids with a space (trimmed), and counts the groups shoppers will see', async () => {
    const app = await setup();
    const res = await put(app, JACKETS, 'text/tab-separated-values');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ products: 4, groups: 2 });
    const served = parseCatalog(await (await app.request('/v1/catalog')).json());
    expect(served.products.map((p) => [p.id, p.item_group_id])).toEqual([
      ['rain jacket S', 'rain jacket'],
      ['rain jacket M', 'rain jacket'],
      ['rain jacket L', 'rain jacket'],
      ['mug 1', undefined],
    ]);
  });

  it('refuses a catalog in two currencies with a 400 naming the first item that differs, in every format, and keeps the previous one', async () => {
    const app = await setup();
    await put(app, JSON.stringify(JSON_CATALOG), 'application/json');
    const twoPrices = JSON.stringify({ ...JSON_CATALOG, products: [...JSON_CATALOG.products, { ...JSON_CATALOG.products[0], id: 'sku-2', currency: 'USD' }] });
    expect(await expectError(await put(app, twoPrices, 'application/json'), 400, 'bad_catalog')).toBe(
      'catalog.products[1] "sku-2": price is in USD but the catalog\'s first product (catalog.products[0] "sku-1") is in EUR; a catalog holds one currency',
    );
    expect(await expectError(await put(app, JACKETS.replace('89.00 EUR\tin stock', '95.00 USD\tin stock'), 'text/tsv'), 400, 'bad_catalog')).toMatch(
      /^line 3 \(item "rain jacket M"\): price is in USD but the catalog's first product \(line 2 \(item "rain jacket S"\)\) is in EUR/,
    );
    const twoItems = XML.replace('</item>', '</item><item><g:id>x-2</g:id><g:title>Pot</g:title><g:link>/x-2</g:link><g:image_link>/i/x-2</g:image_link><g:price>12.00 EUR</g:price><g:availability>in stock</g:availability><g:product_type>Home</g:product_type></item>');
    expect(await expectError(await put(app, twoItems, 'application/xml'), 400, 'bad_catalog')).toMatch(/^item 2 \(line 3\) \(item "x-2"\): price is in EUR but .* is in GBP/);
    expect(parseCatalog(await (await app.request('/v1/catalog')).json())).toEqual(JSON_CATALOG);
  });

  it('refuses other media types (415, listing the accepted ones), oversized bodies (413) and callers without the token', async () => {
    const app = await setup({ maxCatalogBytes: 100 });
    expect(await expectError(await put(app, 'a,b', 'text/csv'), 415, 'unsupported_media_type')).toMatch(/application\/json, text\/tab-separated-values/);
    await expectError(await put(app, TSV, 'text/tab-separated-values'), 413, 'payload_too_large');
    await expectError(await put(app, TSV, 'text/tab-separated-values', {}), 401, 'unauthorized');
  });

  it('keeps the catalog in the store it is given', async () => {
    const catalog = createMemoryCatalog();
    await put(await setup({ catalog }), JSON.stringify(JSON_CATALOG), 'application/json');
    const fresh = await setup({ catalog });
    expect((await fresh.request('/v1/catalog')).status).toBe(200);
  });
});
