/**
 * The demo shop front-end: a small single-page app that reports GA4 e-commerce events to the widget
 * (`window.edgeRecs.track`) and places `<edge-recs>` elements on its pages.
 */
import { parseCatalog, topCategory, type Product } from '../../core/catalog.ts';

// `window.edgeRecs` is typed by the widget's loader (widget/index.ts), which the page loads first.

const CART_KEY = 'edge-recs-demo-cart';
const app = document.getElementById('app')!;
let products = new Map<string, Product>();
let categories: string[] = [];

const slug = (category: string): string => category.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const money = (p: Product, v: number): string => new Intl.NumberFormat('en-IE', { style: 'currency', currency: p.currency }).format(v);
const esc = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const item = (p: Product, quantity?: number) => ({
  item_id: p.id,
  item_category: p.product_type,
  price: p.sale_price ?? p.price,
  ...(quantity ? { quantity } : {}),
});
/** The widget may still be loading, or blocked by the shopper: reporting must never break the shop. */
function track(name: string, params: unknown): void {
  try {
    window.edgeRecs?.track(name, params);
  } catch {
    /* the shop keeps working without recommendations */
  }
}

type Cart = Record<string, number>;
function readCart(): Cart {
  try {
    const cart = JSON.parse(localStorage.getItem(CART_KEY) ?? '{}') as Cart;
    return Object.fromEntries(Object.entries(cart).filter(([id, n]) => products.has(id) && Number.isInteger(n) && n > 0));
  } catch {
    return {};
  }
}
function writeCart(cart: Cart): void {
  localStorage.setItem(CART_KEY, JSON.stringify(cart));
  const count = Object.values(cart).reduce((a, b) => a + b, 0);
  document.querySelector('[data-testid="cart-count"]')!.textContent = String(count);
}

function priceHtml(p: Product): string {
  return p.sale_price !== undefined
    ? `<span class="price sale">${money(p, p.sale_price)}</span><span class="was">${money(p, p.price)}</span>`
    : `<span class="price">${money(p, p.price)}</span>`;
}

function tile(p: Product): string {
  return `<a class="card" href="${esc(p.link)}" data-testid="product-tile" data-item-id="${esc(p.id)}"
      data-edge-recs-event="select_item" data-edge-recs-item-id="${esc(p.id)}">
    <img src="${esc(p.image_link)}" alt="" loading="lazy" width="200" height="200">
    <span class="t">${esc(p.title)}</span>
    <span>${priceHtml(p)}</span>
    ${p.availability === 'out_of_stock' ? '<span class="oos">Out of stock</span>' : ''}
  </a>`;
}

function recs(title: string, placement: string, itemId?: string): string {
  return `<section aria-label="${esc(title)}"><h2>${esc(title)}</h2>
    <edge-recs placement="${placement}" count="8"${itemId ? ` item-id="${esc(itemId)}"` : ''}></edge-recs></section>`;
}

function home(): string {
  const featured = [...products.values()].filter((p) => p.availability === 'in_stock').slice(0, 240).filter((_, i) => i % 24 === 0);
  return `<div class="hero"><h1>Welcome to the EdgeRecs Demo Shop</h1>
    <p>Browse a little: the row below re-ranks on your device after every click. Your history never leaves this browser.</p></div>
    ${recs('Picked for you', 'for-you')}
    <h2>Shop by category</h2>
    <div class="tiles">${categories.map((c) => `<a class="tile" href="/c/${slug(c)}">${esc(c)}</a>`).join('')}</div>
    <h2>Featured</h2><div class="grid">${featured.map(tile).join('')}</div>`;
}

function category(s: string): string | null {
  const name = categories.find((c) => slug(c) === s);
  if (!name) return null;
  const list = [...products.values()].filter((p) => topCategory(p) === name);
  track('view_item_list', { items: list.slice(0, 50).map((p) => item(p)) });
  return `<h1>${esc(name)}</h1><p class="note">${list.length} products</p><div class="grid">${list.map(tile).join('')}</div>`;
}

function product(id: string): string | null {
  const p = products.get(id);
  if (!p) return null;
  track('view_item', { items: [item(p)] });
  const stock =
    p.availability === 'out_of_stock'
      ? '<p class="oos">Out of stock</p>'
      : p.stock !== undefined
        ? `<p class="note">Only ${p.stock} left</p>`
        : `<p class="note">${p.availability === 'backorder' ? 'Ships in 2–3 weeks' : 'In stock'}</p>`;
  return `<div class="product">
    <img src="${esc(p.image_link)}" alt="${esc(p.title)}" width="420" height="420">
    <div><p class="brand">${esc(p.brand ?? '')} · ${esc(p.product_type)}</p>
      <h1 data-testid="product-title">${esc(p.title)}</h1>
      <p class="big">${priceHtml(p)}</p>${stock}
      <button data-testid="add-to-cart" data-edge-recs-event="add_to_cart" data-edge-recs-item-id="${esc(p.id)}"
        ${p.availability === 'out_of_stock' ? 'disabled' : ''}>Add to cart</button>
    </div></div>
    ${recs('Shoppers also picked', 'similar', p.id)}`;
}

function cartView(): string {
  const cart = readCart();
  const lines = Object.entries(cart).map(([id, n]) => ({ p: products.get(id)!, n }));
  const total = lines.reduce((s, { p, n }) => s + (p.sale_price ?? p.price) * n, 0);
  const body = lines.length
    ? `<table><thead><tr><th>Product</th><th>Qty</th><th>Price</th><th></th></tr></thead><tbody>
      ${lines.map(({ p, n }) => `<tr><td><a href="${esc(p.link)}">${esc(p.title)}</a></td><td>${n}</td><td>${money(p, (p.sale_price ?? p.price) * n)}</td>
        <td><button class="secondary" data-remove="${esc(p.id)}">Remove</button></td></tr>`).join('')}
      </tbody></table>
      <p class="big">Total: ${lines[0] ? money(lines[0].p, total) : ''}</p>
      <button data-testid="checkout">Checkout</button>`
    : '<p class="note">Your cart is empty.</p>';
  return `<h1>Your cart</h1>${body}${recs('Complete your basket', 'cart')}`;
}

function render(): void {
  const path = location.pathname;
  const [, section, arg] = path.split('/');
  let html: string | null;
  if (path === '/') html = home();
  else if (section === 'c' && arg) html = category(decodeURIComponent(arg));
  else if (section === 'p' && arg) html = product(decodeURIComponent(arg));
  else if (section === 'cart') html = cartView();
  else html = null;
  app.innerHTML = html ?? '<h1>Not found</h1><p><a href="/">Back to the shop</a></p>';
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav.cats a')) {
    a.toggleAttribute('aria-current', a.getAttribute('href') === path);
    if (a.getAttribute('href') === path) a.setAttribute('aria-current', 'page');
  }
  writeCart(readCart());
}

function navigate(href: string): void {
  history.pushState(null, '', href);
  render();
  window.scrollTo(0, 0);
  app.focus({ preventScroll: true });
}

function onClick(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  // composedPath() sees into the widget's shadow DOM, where its cards' links live.
  const path = event.composedPath();
  const button = path.find((n): n is HTMLButtonElement => n instanceof HTMLButtonElement);
  if (button?.dataset.testid === 'add-to-cart') {
    const id = button.dataset.edgeRecsItemId!;
    const cart = readCart();
    cart[id] = (cart[id] ?? 0) + 1;
    writeCart(cart);
    track('add_to_cart', { items: [item(products.get(id)!, 1)] });
    button.textContent = 'Added ✓';
    return;
  }
  if (button?.dataset.remove) {
    const cart = readCart();
    const p = products.get(button.dataset.remove)!;
    track('remove_from_cart', { items: [item(p, cart[p.id])] });
    delete cart[p.id];
    writeCart(cart);
    render();
    return;
  }
  if (button?.dataset.testid === 'checkout') {
    const cart = readCart();
    track('purchase', { items: Object.entries(cart).map(([id, n]) => item(products.get(id)!, n)) });
    writeCart({});
    app.innerHTML = '<h1>Thank you!</h1><p class="note">Your order is on its way.</p>' + recs('You might also like', 'for-you');
    return;
  }
  const anchor = path.find((n): n is HTMLAnchorElement => n instanceof HTMLAnchorElement);
  if (!anchor || anchor.target || anchor.origin !== location.origin) return;
  event.preventDefault();
  navigate(anchor.pathname);
}

async function start(): Promise<void> {
  try {
    const res = await fetch('/v1/catalog');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const catalog = parseCatalog(await res.json());
    products = new Map(catalog.products.map((p) => [p.id, p]));
    categories = [...new Set(catalog.products.map(topCategory))];
  } catch (e) {
    app.innerHTML = `<h1>The shop is unavailable</h1><p class="note">${esc(String(e))}</p>`;
    return;
  }
  document.querySelector('nav.cats')!.innerHTML = categories.map((c) => `<a href="/c/${slug(c)}">${esc(c)}</a>`).join('');
  document.addEventListener('click', onClick);
  window.addEventListener('popstate', render);
  render();
}

void start();
