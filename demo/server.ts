import { Hono, type Context } from 'hono';
import { sha256Hex, utf8 } from '../core/artifact/bytes.ts';
import { demoCatalog } from './catalog.ts';
import { productSvg } from './images.ts';
import { shopPage } from './app/template.ts';

export interface DemoOptions {
  /** The widget's `<script>` tag, injected into every shop page. */
  snippet: string;
  /** The built shop front-end (`dist/demo/app.js`), or null when it has not been built. */
  appJs: () => Promise<string | null>;
}

function jsonError(c: Context, status: 404 | 503, code: string, message: string): Response {
  return c.json({ error: { code, message } }, status, { 'cache-control': 'no-store' });
}

/**
 * The demo shop's routes, mounted beside the edge server's API in `npm start --demo`: its catalog (what a
 * merchant would upload), product images and the single-page shop. Web-standard only, like the core app.
 */
export function demoRoutes(options: DemoOptions): Hono {
  const app = new Hono();
  const catalogBody = JSON.stringify(demoCatalog());
  const catalogTag = sha256Hex(utf8.encode(catalogBody)).then((h) => `"${h.slice(0, 32)}"`);
  const products = new Map(demoCatalog().products.map((p) => [p.id, p]));
  const page = shopPage(options.snippet);

  app.get('/v1/catalog', async (c) => {
    const etag = await catalogTag;
    const headers = { etag, 'cache-control': 'public, max-age=60' };
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
    return c.body(catalogBody, 200, { ...headers, 'content-type': 'application/json; charset=utf-8' });
  });

  app.get('/demo/img/:file', (c) => {
    const id = c.req.param('file').replace(/\.svg$/, '');
    const product = products.get(id);
    if (!product || !c.req.param('file').endsWith('.svg')) return jsonError(c, 404, 'not_found', `no demo image "${c.req.param('file')}"`);
    return c.body(productSvg(product), 200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' });
  });

  app.get('/demo/app.js', async (c) => {
    const js = await options.appJs();
    if (js === null) return jsonError(c, 503, 'not_built', 'the demo front-end is not built: run `npm run build`');
    return c.body(js, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
  });

  const html = (c: Context): Response => c.html(page);
  app.get('/', html);
  app.get('/cart', html);
  app.get('/c/:slug', html);
  app.get('/p/:id', html);
  return app;
}
