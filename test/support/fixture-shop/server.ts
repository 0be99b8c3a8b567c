/**
 * "Fjellpine Outfitters", a merchant's own shop for the journey tests: a tiny Node `http` server that
 * renders plain multi-page HTML (no framework, no client-side routing) — home, category, product, cart,
 * checkout and order confirmation — and reports GA4 e-commerce events through `gtag()` / `dataLayer` as a
 * shop with Google Analytics does. The cart lives in a cookie; "Add to cart" posts the form with `fetch`
 * (a plain POST and redirect without script). `/spa` is the same shop as a single-page app whose router
 * reads the clicked link's `href` in a document click listener and renders the product page itself.
 *
 * EdgeRecs is added exactly as the README tells merchants: the loader from the edge server's origin with
 * `integrity` (SRI) and `crossorigin="anonymous"`, `data-model`, a pinned `data-public-key`, and
 * `<edge-recs>` elements on the pages. Nothing of EdgeRecs is imported here.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { categorySlug, PRODUCT_BY_ID, PRODUCTS, productPath, type FixtureProduct } from './catalog.ts';

export interface WidgetTag {
  /** Edge server base URL (another origin than the shop). */
  edgeUrl: string;
  /** `sha384-…` of the loader. */
  integrity: string;
  model: string;
  /** `KEY_ID:BASE64_PUBLIC_KEY`. */
  publicKey: string;
}

export interface FixtureShop {
  /** `http://localhost:PORT`, no trailing slash. */
  url: string;
  /** Sets the script tag every page carries from now on. */
  setWidget(tag: WidgetTag): void;
  /** Orders placed so far, by id. */
  orders: ReadonlyMap<string, Order>;
  stop(): Promise<void>;
}

export interface Order {
  id: string;
  lines: Array<{ product: FixtureProduct; quantity: number }>;
  total: number;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON for an inline `<script>`: `<` escaped so a value can never close the script element. */
const js = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');
const eur = (x: number): string => `€${x.toFixed(2)}`;
const unitPrice = (p: FixtureProduct): number => p.sale ?? p.price;

/** The GA4 `items[]` entry the shop reports for a product. */
function ga4Item(p: FixtureProduct, quantity = 1): Record<string, unknown> {
  const [category, category2] = p.type.split('>').map((s) => s.trim());
  return { item_id: p.id, item_name: p.title, item_brand: p.brand, item_category: category, item_category2: category2, ...(p.size ? { item_variant: p.size } : {}), price: unitPrice(p), quantity };
}

const TYPES = [...new Set(PRODUCTS.map((p) => p.type))];

/** One tile per product, or per jacket/boot (its first size in stock), as the shop lists them. */
function listed(products: readonly FixtureProduct[]): FixtureProduct[] {
  const seen = new Set<string>();
  const out: FixtureProduct[] = [];
  for (const p of products) {
    if (!p.group) out.push(p);
    else if (!seen.has(p.group)) {
      seen.add(p.group);
      out.push(products.find((q) => q.group === p.group && q.inStock) ?? p);
    }
  }
  return out;
}

const STYLE = `
body { font: 16px/1.4 system-ui, sans-serif; margin: 0; color: #1f2933; }
header { display: flex; gap: 16px; align-items: center; padding: 12px 24px; background: #24412f; color: #fff; }
header a { color: #fff; }
nav ul { display: flex; flex-wrap: wrap; gap: 12px; list-style: none; margin: 0; padding: 8px 24px; background: #eef2ee; }
main { padding: 16px 24px; max-width: 1100px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px; list-style: none; padding: 0; }
.tiles a { display: block; padding: 8px; border: 1px solid #ccd; border-radius: 8px; text-decoration: none; color: inherit; }
.tiles img, .product img { width: 100%; max-width: 160px; aspect-ratio: 1; }
edge-recs { margin: 16px 0; }
`;

function image(p: FixtureProduct): string {
  const hue = (p.id.split('').reduce((h, c) => h * 31 + c.charCodeAt(0), 7) >>> 0) % 360;
  const initials = p.title.split(' ').slice(1, 3).map((w) => w[0]).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect width="100" height="100" fill="hsl(${hue} 45% 55%)"/><text x="50" y="60" font-size="30" text-anchor="middle" fill="#fff" font-family="sans-serif">${esc(initials)}</text></svg>`;
}

function readCart(req: IncomingMessage): Map<string, number> {
  const cookie = /(?:^|;\s*)cart=([^;]*)/.exec(req.headers.cookie ?? '')?.[1];
  const cart = new Map<string, number>();
  for (const part of decodeURIComponent(cookie ?? '').split('|')) {
    const [id, qty] = part.split('*');
    if (id && PRODUCT_BY_ID.has(id) && Number(qty) > 0) cart.set(id, Number(qty));
  }
  return cart;
}

const cartCookie = (cart: Map<string, number>): string =>
  `cart=${encodeURIComponent([...cart].map(([id, q]) => `${id}*${q}`).join('|'))}; Path=/; SameSite=Lax; HttpOnly`;

const countOf = (cart: Map<string, number>): number => [...cart.values()].reduce((a, b) => a + b, 0);

async function body(req: IncomingMessage): Promise<URLSearchParams> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return new URLSearchParams(text);
}

export async function startFixtureShop(): Promise<FixtureShop> {
  let tag: WidgetTag | undefined;
  const orders = new Map<string, Order>();
  let orderSeq = 1000;

  const widgetScript = (): string =>
    tag
      ? `<script type="module" src="${esc(tag.edgeUrl)}/widget/edge-recs.js" integrity="${esc(tag.integrity)}" crossorigin="anonymous" data-model="${esc(tag.model)}" data-public-key="${esc(tag.publicKey)}"></script>`
      : '';

  /** The page frame: the GA4 snippet (gtag.js itself is not loaded: these tests have no network), the widget, the header. */
  const layout = (title: string, cart: Map<string, number>, main: string, script = ''): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Fjellpine Outfitters</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>${STYLE}</style>
<script>window.dataLayer = window.dataLayer || []; function gtag(){ dataLayer.push(arguments); } gtag('js', new Date()); gtag('config', 'G-FJELLPINE1');</script>
${widgetScript()}
</head><body>
<header><a class="logo" href="/">Fjellpine Outfitters</a><a class="cart-link" href="/cart">Cart (<span data-cart-count>${countOf(cart)}</span>)</a></header>
<nav><ul>${TYPES.map((t) => `<li><a href="/c/${categorySlug(t)}">${esc(t.split('>').at(-1)!.trim())}</a></li>`).join('')}</ul></nav>
<main id="main">${main}</main>
<footer><button type="button" onclick="window.edgeRecs && window.edgeRecs.openProfile()">Your recommendations</button></footer>
${script}
</body></html>`;

  const tile = (p: FixtureProduct): string =>
    `<li><a href="${productPath(p.id)}" data-testid="tile" data-item-id="${esc(p.id)}"><img src="/img/${encodeURIComponent(p.id)}.svg" alt=""><span>${esc(p.title.replace(/, size .*/, ''))}</span> <span>${eur(unitPrice(p))}</span></a></li>`;

  const home = (cart: Map<string, number>): string =>
    layout('Home', cart, `<h1>Gear for long days outside</h1>
<h2>Picked for you</h2><edge-recs placement="for-you" count="8"></edge-recs>
<h2>Featured</h2><ul class="tiles">${listed(PRODUCTS).filter((_, i) => i % 4 === 0).map(tile).join('')}</ul>`);

  const category = (type: string, cart: Map<string, number>): string => {
    const items = listed(PRODUCTS.filter((p) => p.type === type));
    const name = type.split('>').at(-1)!.trim();
    return layout(name, cart, `<h1>${esc(name)}</h1><ul class="tiles">${items.map(tile).join('')}</ul>`,
      `<script>gtag('event', 'view_item_list', ${js({ item_list_id: categorySlug(type), item_list_name: name, items: items.map((p) => ga4Item(p)) })});</script>`);
  };

  const productMain = (p: FixtureProduct): string => {
    const sizes = p.group ? PRODUCTS.filter((q) => q.group === p.group) : [];
    return `<article class="product"><img src="/img/${encodeURIComponent(p.id)}.svg" alt="">
<h1 data-testid="product-title" data-product-id="${esc(p.id)}" tabindex="-1">${esc(p.title)}</h1>
<p>${esc(p.brand)} · <span data-testid="price">${eur(unitPrice(p))}</span>${p.sale !== undefined ? ` <s>${eur(p.price)}</s>` : ''}</p>
${sizes.length > 0 ? `<p>Size: ${sizes.map((q) => (q.id === p.id ? `<strong>${esc(q.size!)}</strong>` : `<a href="${productPath(q.id)}">${esc(q.size!)}</a>`)).join(' ')}</p>` : ''}
${p.inStock
  ? `<form method="post" action="/cart/add" data-add><input type="hidden" name="id" value="${esc(p.id)}"><input type="hidden" name="quantity" value="1"><button type="submit" data-testid="add-to-cart">Add to cart</button> <span data-testid="added" role="status"></span></form>`
  : '<p>Out of stock</p>'}
</article>
<h2>You may also like</h2><edge-recs placement="similar" count="8" item-id="${esc(p.id)}"></edge-recs>
<h2>Recently viewed</h2><edge-recs placement="recently-viewed" count="8" item-id="${esc(p.id)}"></edge-recs>`;
  };

  /** The add-to-cart form posts with fetch and reports `add_to_cart`, as a shop with an AJAX cart does. */
  const productScript = (p: FixtureProduct): string => `<script>
gtag('event', 'view_item', ${js({ currency: 'EUR', value: unitPrice(p), items: [ga4Item(p)] })});
document.querySelector('form[data-add]')?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const res = await fetch('/cart/add', { method: 'POST', body: new URLSearchParams(new FormData(form)), headers: { accept: 'application/json' } });
  const { count } = await res.json();
  document.querySelector('[data-cart-count]').textContent = String(count);
  gtag('event', 'add_to_cart', ${js({ currency: 'EUR', value: unitPrice(p), items: [ga4Item(p)] })});
  form.querySelector('[data-testid="added"]').textContent = 'Added to your cart';
});
</script>`;

  const cartPage = (cart: Map<string, number>): string => {
    const lines = [...cart].map(([id, q]) => ({ product: PRODUCT_BY_ID.get(id)!, quantity: q }));
    const total = lines.reduce((s, l) => s + unitPrice(l.product) * l.quantity, 0);
    return layout('Cart', cart, `<h1>Your cart</h1>
${lines.length === 0 ? '<p>Your cart is empty.</p>' : `<ul data-testid="cart-lines">${lines.map((l) => `<li data-item-id="${esc(l.product.id)}">${esc(l.product.title)} × ${l.quantity} · ${eur(unitPrice(l.product) * l.quantity)}</li>`).join('')}</ul>
<p>Total <strong data-testid="cart-total">${eur(total)}</strong></p>
<form method="post" action="/checkout"><button type="submit" data-testid="checkout">Place order</button></form>`}
<h2>Complete your kit</h2><edge-recs placement="cart" count="8"></edge-recs>`);
  };

  /** The thank-you page reports the purchase, as GA4's e-commerce guide has it. */
  const orderPage = (order: Order, cart: Map<string, number>): string =>
    layout('Thank you', cart, `<h1>Thank you for your order</h1><p>Order <strong data-testid="order-id">${esc(order.id)}</strong>, total ${eur(order.total)}.</p><p><a href="/">Continue shopping</a></p>`,
      `<script>gtag('event', 'purchase', ${js({ transaction_id: order.id, value: order.total, tax: Math.round(order.total * 0.2 * 100) / 100, shipping: 0, currency: 'EUR', items: order.lines.map((l) => ga4Item(l.product, l.quantity)) })});</script>`);

  /** `/spa`: the shop's app shell; its router renders home and product views from this data. */
  const spaPage = (cart: Map<string, number>): string =>
    layout('App', cart, '<p>Loading…</p>', `<script type="application/json" id="products">${js(PRODUCTS.map((p) => ({ id: p.id, title: p.title, brand: p.brand, price: unitPrice(p), item: ga4Item(p) })))}</script>
<script>
const products = new Map(JSON.parse(document.getElementById('products').textContent).map((p) => [p.id, p]));
const main = document.getElementById('main');
const esc = (s) => s.replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
function render() {
  const m = /^\\/p\\/([^/]+)$/.exec(location.pathname);
  const p = m && products.get(decodeURIComponent(m[1]));
  if (p) {
    main.innerHTML = '<h1 data-testid="product-title" data-product-id="' + esc(p.id) + '" tabindex="-1">' + esc(p.title) + '</h1><p>' + esc(p.brand) + '</p>'
      + '<h2>You may also like</h2><edge-recs placement="similar" count="8" item-id="' + esc(p.id) + '"></edge-recs>';
    gtag('event', 'view_item', { currency: 'EUR', value: p.price, items: [p.item] });
    main.querySelector('h1').focus();
  } else {
    main.innerHTML = '<h1>Fjellpine app</h1><ul class="tiles">' + [...products.values()].filter((_, i) => i % 5 === 0)
      .map((q) => '<li><a href="/p/' + encodeURIComponent(q.id) + '" data-testid="tile">' + esc(q.title) + '</a></li>').join('') + '</ul>'
      + '<h2>Picked for you</h2><edge-recs placement="for-you" count="8"></edge-recs>';
  }
}
// The router: one document listener reads the link's href (cards are links in open shadow roots).
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = event.composedPath().find((n) => n instanceof HTMLAnchorElement);
  if (!a) return;
  const url = new URL(a.href);
  if (url.origin !== location.origin || !/^\\/p\\//.test(url.pathname)) return;
  event.preventDefault();
  history.pushState(null, '', url.pathname);
  render();
});
window.addEventListener('popstate', render);
render();
</script>`);

  const server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const cart = readCart(req);
    const html = (status: number, page: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(page);
    };
    if (req.method === 'GET' && path === '/') return html(200, home(cart));
    if (req.method === 'GET' && path === '/spa') return html(200, spaPage(cart));
    if (req.method === 'GET' && path === '/favicon.svg') {
      res.writeHead(200, { 'content-type': 'image/svg+xml' }).end('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4" fill="#24412f"/></svg>');
      return;
    }
    const img = /^\/img\/(.+)\.svg$/.exec(path);
    if (req.method === 'GET' && img) {
      const p = PRODUCT_BY_ID.get(decodeURIComponent(img[1]!));
      if (p) {
        res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'max-age=3600' }).end(image(p));
        return;
      }
    }
    const cat = /^\/c\/([a-z0-9-]+)$/.exec(path);
    const type = cat && TYPES.find((t) => categorySlug(t) === cat[1]);
    if (req.method === 'GET' && type) return html(200, category(type, cart));
    const prod = /^\/p\/([^/]+)$/.exec(path);
    const product = prod && PRODUCT_BY_ID.get(decodeURIComponent(prod[1]!));
    if (req.method === 'GET' && product) return html(200, layout(product.title, cart, productMain(product), productScript(product)));
    if (req.method === 'GET' && path === '/cart') return html(200, cartPage(cart));
    if (req.method === 'POST' && path === '/cart/add') {
      const form = await body(req);
      const added = PRODUCT_BY_ID.get(form.get('id') ?? '');
      if (added?.inStock) cart.set(added.id, (cart.get(added.id) ?? 0) + Math.max(1, Number(form.get('quantity')) || 1));
      if (req.headers.accept?.includes('application/json')) {
        res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': cartCookie(cart) }).end(JSON.stringify({ count: countOf(cart) }));
      } else {
        res.writeHead(303, { location: added ? productPath(added.id) : '/cart', 'set-cookie': cartCookie(cart) }).end();
      }
      return;
    }
    if (req.method === 'POST' && path === '/checkout') {
      const lines = [...cart].map(([id, quantity]) => ({ product: PRODUCT_BY_ID.get(id)!, quantity }));
      if (lines.length === 0) {
        res.writeHead(303, { location: '/cart' }).end();
        return;
      }
      const order: Order = { id: `FJP-${orderSeq++}`, lines, total: Math.round(lines.reduce((s, l) => s + unitPrice(l.product) * l.quantity, 0) * 100) / 100 };
      orders.set(order.id, order);
      res.writeHead(303, { location: `/order/${order.id}`, 'set-cookie': cartCookie(new Map()) }).end();
      return;
    }
    const ord = /^\/order\/([\w-]+)$/.exec(path);
    const order = ord && orders.get(ord[1]!);
    if (req.method === 'GET' && order) return html(200, orderPage(order, cart));
    html(404, layout('Not found', cart, '<h1>Not found</h1>'));
  }

  await new Promise<void>((resolve) => server.listen(0, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    setWidget: (t) => void (tag = t),
    orders,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
