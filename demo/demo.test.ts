import { describe, expect, it } from 'vitest';
import { parseCatalog, topCategory } from '../core/catalog.ts';
import { complements, demoCatalog, demoCategories } from './catalog.ts';
import { productSvg } from './images.ts';
import { demoRoutes } from './server.ts';
import { simulateShoppers } from './shoppers.ts';

describe('demo catalog', () => {
  it('holds at least 200 valid products in at least 8 categories', () => {
    const catalog = parseCatalog(JSON.parse(JSON.stringify(demoCatalog())));
    expect(catalog.products.length).toBeGreaterThanOrEqual(200);
    expect(new Set(catalog.products.map(topCategory)).size).toBeGreaterThanOrEqual(8);
    expect(demoCategories()).toHaveLength(new Set(catalog.products.map(topCategory)).size);
  });

  it('has sale prices below regular prices, some out-of-stock and some low-stock products', () => {
    const products = demoCatalog().products;
    for (const p of products) if (p.sale_price !== undefined) expect(p.sale_price).toBeLessThan(p.price);
    expect(products.some((p) => p.availability === 'out_of_stock')).toBe(true);
    expect(products.some((p) => p.stock !== undefined && p.stock <= 5)).toBe(true);
  });

  it('relates products to what goes with them, never to themselves', () => {
    const shampoo = demoCatalog().products.find((p) => p.title.includes('Shampoo'))!;
    const goesWith = complements(shampoo.id).map((id) => demoCatalog().products.find((p) => p.id === id)!.title);
    expect(goesWith.some((t) => t.includes('Conditioner'))).toBe(true);
    expect(complements(shampoo.id)).not.toContain(shampoo.id);
    expect(complements('no-such-id')).toEqual([]);
  });
});

describe('product images', () => {
  it('draws an SVG per product with its title escaped', () => {
    const p = { ...demoCatalog().products[0]!, title: 'Tom & Jerry <"Deluxe">' };
    const svg = productSvg(p);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('aria-label="Tom &amp; Jerry &lt;&quot;Deluxe&quot;&gt;"');
    expect(svg).not.toContain('<"Deluxe">');
  });
});

describe('simulated shoppers', () => {
  const catalog = demoCatalog();

  it('are the same for the same seed and differ for another', () => {
    expect(simulateShoppers(catalog, 50, 3)).toEqual(simulateShoppers(catalog, 50, 3));
    expect(simulateShoppers(catalog, 50, 4)).not.toEqual(simulateShoppers(catalog, 50, 3));
  });

  it('move on to complementary products far more often than chance', () => {
    const shoppers = simulateShoppers(catalog, 500, 1);
    let hits = 0;
    let steps = 0;
    let chance = 0;
    for (const seq of shoppers) {
      expect(seq.length).toBeGreaterThanOrEqual(5);
      expect(seq.length).toBeLessThanOrEqual(40);
      for (let i = 1; i < seq.length; i++) {
        steps++;
        const goesWith = complements(seq[i - 1]!);
        if (goesWith.includes(seq[i]!)) hits++;
        chance += goesWith.length / catalog.products.length;
      }
    }
    expect(hits / steps).toBeGreaterThan(5 * (chance / steps));
  });

  it('rarely pick out-of-stock products', () => {
    const oos = new Set(catalog.products.filter((p) => p.availability === 'out_of_stock').map((p) => p.id));
    expect(simulateShoppers(catalog, 200, 2).flat().filter((id) => oos.has(id))).toEqual([]);
  });
});

describe('demo routes', () => {
  const app = demoRoutes({ snippet: '<script type="module" src="/widget/edge-recs.js"></script>', appJs: async () => 'console.log(1)' });

  it('serves the catalog with an ETag and answers 304 to a matching If-None-Match', async () => {
    const res = await app.request('/v1/catalog');
    expect(res.status).toBe(200);
    expect(parseCatalog(await res.json()).products).toHaveLength(demoCatalog().products.length);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await app.request('/v1/catalog', { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('serves product images as SVG and a JSON 404 for unknown ones', async () => {
    const ok = await app.request(`/demo/img/${demoCatalog().products[0]!.id}.svg`);
    expect(ok.headers.get('content-type')).toBe('image/svg+xml');
    const missing = await app.request('/demo/img/nope.svg');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: 'no demo image "nope.svg"' } });
  });

  it('serves the shop page with the widget snippet on every shop route', async () => {
    for (const path of ['/', '/cart', '/c/kitchen', '/p/sku-0001']) {
      const html = await (await app.request(path)).text();
      expect(html).toContain('<script type="module" src="/widget/edge-recs.js"></script>');
      expect(html.indexOf('/widget/edge-recs.js')).toBeLessThan(html.indexOf('/demo/app.js'));
    }
  });

  it('answers 503 with a JSON error while the front-end is not built', async () => {
    const unbuilt = demoRoutes({ snippet: '', appJs: async () => null });
    const res = await unbuilt.request('/demo/app.js');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_built');
  });
});
