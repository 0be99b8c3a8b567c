import { describe, expect, it } from 'vitest';
import { SNIPPET_PLACEHOLDER } from './app/template.ts';
import { demoCatalog } from './catalog.ts';
import { demoRoutes, type DemoOptions } from './server.ts';

const SNIPPET = '<script type="module" src="/widget/edge-recs.js" data-model="default"></script>';

function app(options: Partial<DemoOptions> = {}) {
  return demoRoutes({ snippet: SNIPPET, appJs: async () => 'console.log("shop")', ...options });
}

describe('demoRoutes', () => {
  it('leaves /v1/catalog to the edge server, where npm start publishes the demo catalog', async () => {
    expect((await app().request('/v1/catalog')).status).toBe(404);
  });

  it('serves each product image as SVG with a long cache', async () => {
    const p = demoCatalog().products[0]!;
    const res = await app().request(p.image_link);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(res.headers.get('cache-control')).toBe('public, max-age=604800');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const svg = await res.text();
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain(`<title>${p.title}</title>`);
  });

  it('returns a JSON 404 for an unknown image or a non-SVG name', async () => {
    for (const path of ['/demo/img/nope.svg', `/demo/img/${demoCatalog().products[0]!.id}.png`]) {
      const res = await app().request(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('not_found');
      expect(body.error.message).toContain('no demo image');
    }
  });

  it('serves the built front-end as JavaScript, revalidated on every load', async () => {
    const res = await app().request('/demo/app.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toBe('console.log("shop")');
  });

  it('answers 503 with a JSON error while the front-end is not built', async () => {
    const res = await app({ appJs: async () => null }).request('/demo/app.js');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: 'not_built', message: 'the demo front-end is not built yet: run `npm run build`' } });
  });

  it('serves the shop page on every shop route with the snippet in <head>, before the app script', async () => {
    const shop = app();
    for (const path of ['/', '/cart', '/c/kitchen', '/c/coffee-tea?sort=price-asc', '/p/sku-0001']) {
      const res = await shop.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const page = await res.text();
      expect(page).not.toContain(SNIPPET_PLACEHOLDER);
      const snippetAt = page.indexOf(SNIPPET);
      expect(snippetAt).toBeGreaterThan(0);
      expect(snippetAt).toBeLessThan(page.indexOf('<script type="module" src="/demo/app.js"></script>'));
      expect(snippetAt).toBeLessThan(page.indexOf('</head>'));
      expect(page).toContain('data-testid="cart-count"');
    }
  });

  it('keeps $ patterns in the snippet literal', async () => {
    const snippet = '<script>window.x = "$&$1$$"</script>';
    expect(await (await app({ snippet }).request('/')).text()).toContain(snippet);
  });

  it('serves the page with a 404 for an unknown product or category, so the app can say so', async () => {
    const shop = app();
    for (const path of ['/p/sku-9999', '/c/garden']) {
      const res = await shop.request(path);
      expect(res.status, path).toBe(404);
      expect(await res.text()).toContain(SNIPPET);
    }
  });

  it('checks its options when it is built', () => {
    expect(() => demoRoutes({ snippet: 1 } as unknown as DemoOptions)).toThrow(/snippet must be a string/);
    expect(() => demoRoutes({ snippet: '' } as unknown as DemoOptions)).toThrow(/appJs must be a function/);
  });
});
