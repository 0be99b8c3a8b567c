/**
 * The demo shop's HTTP routes, mounted beside the edge server's API by `npm start` (`demo/main.ts`): the drawn
 * product images, the shop's front-end bundle and its page. The catalog is not served here: `npm start`
 * publishes it into the edge server's catalog store, and the shop and widget read it from the server's
 * own `GET /v1/catalog`, as on a merchant's deployment. Web-standard only, like the edge server core:
 * today `demo/main.ts` mounts them on the Node server.
 */
import { Hono, type Context } from 'hono';
import { ApiError, handleError } from '../edge-server/middleware/errors.ts';
import { shopPage } from './app/template.ts';
import { demoCatalog } from './catalog.ts';
import { DEMO_CATEGORIES } from './categories.ts';
import { productSvg } from './images.ts';

export interface DemoOptions {
  /**
   * The widget's `<script>` tag, put in the `<head>` of every shop page before the shop's own script.
   * Required; an empty string serves the shop without recommendations (a useful baseline).
   *
   * @example '<script type="module" src="/widget/edge-recs.js" data-model="default"></script>'
   */
  snippet: string;
  /**
   * The shop front-end: `demo/app/index.ts` bundled to `dist/demo/app.js` by `npm run build`. Resolves to
   * null when it has not been built, which `/demo/app.js` reports as a 503. Called on every request, so a
   * rebuild shows without a restart.
   *
   * @example () => readFile('dist/demo/app.js', 'utf8').catch(() => null)
   */
  appJs: () => Promise<string | null>;
}

/**
 * Images are drawn from the product id, so a week of caching is safe; not `immutable`, since the URL is
 * not content-addressed and a new drawing should reach shoppers eventually.
 */
const IMAGE_CACHE = 'public, max-age=604800';
/** Pages and the app bundle are revalidated on every load, so a new build or snippet shows at once. */
const REVALIDATE = 'no-cache';

function checkOptions(options: DemoOptions): DemoOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('demoRoutes: options must be { snippet, appJs }');
  if (typeof options.snippet !== 'string') throw new TypeError(`demoRoutes: snippet must be a string (got ${typeof options.snippet})`);
  if (typeof options.appJs !== 'function') throw new TypeError(`demoRoutes: appJs must be a function returning Promise<string | null> (got ${typeof options.appJs})`);
  return options;
}

/**
 * The demo shop as a Hono sub-app: `GET /demo/img/<id>.svg`, `GET /demo/app.js` and
 * the single-page shop at `/`, `/c/<category>`, `/p/<id>` and `/cart`. Errors are the edge server's JSON
 * errors (`{ error: { code, message } }`). Options are checked here, once.
 *
 * @example createApp({ ..., mount: (app) => app.route('/', demoRoutes({ snippet, appJs })) })
 * @throws TypeError naming the first invalid option.
 */
export function demoRoutes(options: DemoOptions): Hono {
  const { snippet, appJs } = checkOptions(options);
  const catalog = demoCatalog();
  const products = new Map(catalog.products.map((p) => [p.id, p]));
  const slugs = new Set(DEMO_CATEGORIES.map((c) => c.slug));
  const images = new Map<string, string>();
  const page = shopPage(snippet);

  const app = new Hono();
  app.onError(handleError);

  app.get('/demo/img/:file', (c) => {
    const file = c.req.param('file');
    const product = products.get(file.replace(/\.svg$/, ''));
    if (!product || !file.endsWith('.svg')) throw new ApiError(404, 'not_found', `no demo image "${file}" (expected /demo/img/<product id>.svg)`);
    let svg = images.get(product.id);
    if (svg === undefined) images.set(product.id, (svg = productSvg(product)));
    return c.body(svg, 200, {
      'content-type': 'image/svg+xml',
      'cache-control': IMAGE_CACHE,
      // An SVG opened on its own is a document: allow it nothing beyond its inline styles.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      'x-content-type-options': 'nosniff',
    });
  });

  app.get('/demo/app.js', async (c) => {
    const js = await appJs();
    if (js === null) throw new ApiError(503, 'not_built', 'the demo front-end is not built yet: run `npm run build`');
    return c.body(js, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': REVALIDATE });
  });

  // Every shop route gets the same page; the app renders the route. Unknown products and categories still
  // get it (the app shows its "not found" view) but with a 404, so crawlers and monitors see the truth.
  const html = (c: Context, found = true): Response => c.html(page, found ? 200 : 404, { 'cache-control': REVALIDATE });
  app.get('/', (c) => html(c));
  app.get('/cart', (c) => html(c));
  app.get('/c/:slug', (c) => html(c, slugs.has(c.req.param('slug'))));
  app.get('/p/:id', (c) => html(c, products.has(c.req.param('id'))));
  return app;
}
