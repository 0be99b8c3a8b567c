/**
 * The shop's pages as markup, from the catalog and the cart: pure functions with no DOM access, so the
 * same code is tested in Node and rendered in the browser. All text goes through `html`, which escapes it.
 */
import { topCategory, type Catalog, type Product } from '../../core/catalog.ts';
import type { EventItem } from '../../core/events.ts';
import { categoryInfo, categorySlug, DEMO_CATEGORIES, type CategoryInfo } from '../categories.ts';
import { html, type Markup } from '../markup.ts';
import { MAX_QUANTITY, type CartLine } from './cart.ts';
import { categoryUrl, SORTS, type Route, type Sort } from './routes.ts';

export interface ShopCategory {
  name: string;
  slug: string;
  look: CategoryInfo;
  /** Product types (second level of `product_type`) in catalog order, for the filter chips. */
  types: Array<{ name: string; slug: string }>;
  /** Products in catalog (bestseller) order. */
  products: Product[];
}

/** The catalog indexed the ways the pages need it. */
export interface Shop {
  products: Map<string, Product>;
  /** All products, bestsellers first (catalog order). */
  list: Product[];
  categories: ShopCategory[];
}

/** Orders over this amount ship free; below it shipping is a flat fee (EUR, like the demo's prices). */
export const FREE_SHIPPING_FROM = 50;
export const SHIPPING_FEE = 4.95;

const subType = (p: Product): string => p.product_type.split('>')[1]?.trim() || topCategory(p);

/** Indexes a catalog: categories in the demo's department order, then any others in catalog order. */
export function buildShop(catalog: Catalog): Shop {
  const names = [...new Set(catalog.products.map(topCategory))];
  const rank = (name: string): number => {
    const i = DEMO_CATEGORIES.findIndex((c) => c.name === name);
    return i < 0 ? DEMO_CATEGORIES.length + names.indexOf(name) : i;
  };
  const categories = names
    .sort((a, b) => rank(a) - rank(b))
    .map((name): ShopCategory => {
      const products = catalog.products.filter((p) => topCategory(p) === name);
      const types = [...new Set(products.map(subType))].map((t) => ({ name: t, slug: categorySlug(t) }));
      return { name, slug: categorySlug(name), look: categoryInfo(name), types, products };
    });
  return { products: new Map(catalog.products.map((p) => [p.id, p])), list: catalog.products, categories };
}

const cents = (x: number): number => Math.round(x * 100) / 100;
const formats = new Map<string, Intl.NumberFormat>();

/** A price as the shopper reads it: `€24.99`. */
export function money(value: number, currency = 'EUR'): string {
  let format = formats.get(currency);
  if (!format) formats.set(currency, (format = new Intl.NumberFormat('en-IE', { style: 'currency', currency })));
  return format.format(value);
}

const pluralRules = new Intl.PluralRules('en');

/**
 * `n` and the noun in the form English plural rules give it: "1 product", "2 products", "0 items".
 *
 * @example plural(1, 'item', 'items') // '1 item'
 */
export function plural(n: number, one: string, other: string): string {
  return `${n} ${noun(n, one, other)}`;
}

/** The noun alone, in the form `n` takes: `noun(1, 'item', 'items')` is `item`. */
export const noun = (n: number, one: string, other: string): string => (pluralRules.select(n) === 'one' ? one : other);

/** What the shopper pays for one unit. */
export const unitPrice = (p: Product): number => p.sale_price ?? p.price;

/** A GA4 `items[]` entry for a product (`item_category` is the full `product_type` path). */
export function eventItem(p: Product, quantity?: number): EventItem {
  const item: EventItem = { item_id: p.id, item_category: p.product_type, price: unitPrice(p) };
  if (quantity !== undefined) item.quantity = quantity;
  return item;
}

export interface Availability {
  label: string;
  tone: 'in' | 'low' | 'out' | 'later';
  /** Most units one cart line may hold; 0 when it cannot be bought. */
  limit: number;
}

/** How a product's stock reads on a tile and its page, and how many a shopper may buy. */
export function availability(p: Product): Availability {
  switch (p.availability) {
    case 'out_of_stock':
      return { label: 'Out of stock', tone: 'out', limit: 0 };
    case 'preorder':
      return { label: 'Pre-order: ships on release', tone: 'later', limit: MAX_QUANTITY };
    case 'backorder':
      return { label: 'Back-order: ships in 2–3 weeks', tone: 'later', limit: MAX_QUANTITY };
    case 'in_stock':
      if (p.stock === 0) return { label: 'Out of stock', tone: 'out', limit: 0 };
      if (p.stock !== undefined && p.stock <= 5) return { label: `Only ${p.stock} left`, tone: 'low', limit: p.stock };
      return { label: 'In stock', tone: 'in', limit: Math.min(p.stock ?? MAX_QUANTITY, MAX_QUANTITY) };
  }
}

export interface CartTotals {
  lines: Array<{ product: Product; quantity: number; total: number; limit: number }>;
  count: number;
  subtotal: number;
  shipping: number;
  total: number;
}

/** Cart lines priced; lines whose product left the catalog are skipped. */
export function cartTotals(shop: Shop, cart: readonly CartLine[]): CartTotals {
  const lines = cart.flatMap(({ id, quantity }) => {
    const product = shop.products.get(id);
    return product ? [{ product, quantity, total: cents(unitPrice(product) * quantity), limit: Math.max(availability(product).limit, quantity) }] : [];
  });
  const subtotal = cents(lines.reduce((s, l) => s + l.total, 0));
  const shipping = lines.length === 0 || subtotal >= FREE_SHIPPING_FROM ? 0 : SHIPPING_FEE;
  return { lines, count: lines.reduce((n, l) => n + l.quantity, 0), subtotal, shipping, total: cents(subtotal + shipping) };
}

// ---- pieces ----

function icon(look: CategoryInfo, size: number): Markup {
  return html`<svg viewBox="0 0 100 100" width="${size}" height="${size}" aria-hidden="true" focusable="false">${look.icon}</svg>`;
}

const tint = (look: CategoryInfo): string => `--light:${look.light};--mid:${look.mid};--tile-ink:${look.ink}`;

function priceTag(p: Product): Markup {
  return p.sale_price !== undefined
    ? html`<span class="price sale">${money(p.sale_price, p.currency)}<span class="was"><span class="visually-hidden">was </span>${money(p.price, p.currency)}</span></span>`
    : html`<span class="price">${money(p.price, p.currency)}</span>`;
}

const discount = (p: Product): number => (p.sale_price === undefined ? 0 : Math.round((1 - p.sale_price / p.price) * 100));

/**
 * A product tile. The `data-edge-recs-*` attributes describe the click for the widget's declarative
 * tracking; the shop does not report `select_item` itself, so the two can never double-count.
 */
export function productTile(p: Product): Markup {
  const stock = availability(p);
  return html`<li><a class="card" href="${p.link}" data-testid="product-tile" data-item-id="${p.id}"
      data-edge-recs-event="select_item" data-edge-recs-item-id="${p.id}">
    <img src="${p.image_link}" alt="" width="240" height="240" loading="lazy" decoding="async">
    ${discount(p) > 0 && html`<span class="flag">−${discount(p)}%</span>`}
    ${p.brand && html`<span class="brand">${p.brand}</span>`}
    <span class="title">${p.title}</span>
    <span class="meta">${priceTag(p)}${stock.tone !== 'in' && html`<span class="stock ${stock.tone}">${stock.label}</span>`}</span>
  </a></li>`;
}

function recsSection(title: string, note: string, placement: 'for-you' | 'similar' | 'cart', itemId?: string): Markup {
  const id = `recs-${placement}`;
  return html`<section class="recs" aria-labelledby="${id}">
    <div class="section-head"><div><h2 id="${id}">${title}</h2><p>${note}</p></div>
      <span class="tag"><svg width="12" height="12" viewBox="0 0 16 16" aria-hidden="true"><path d="M4 7V5a4 4 0 0 1 8 0v2h1v8H3V7zm2 0h4V5a2 2 0 0 0-4 0z" fill="currentColor"/></svg>Ranked on this device</span></div>
    <edge-recs placement="${placement}" count="8"${itemId === undefined ? '' : html` item-id="${itemId}"`}${placement === 'similar' ? html` layout="carousel"` : ''}></edge-recs>
  </section>`;
}

function crumbs(items: Array<[string, string | null]>): Markup {
  return html`<nav aria-label="Breadcrumb"><ol class="crumbs">${items.map(([label, href]) =>
    href ? html`<li><a href="${href}">${label}</a></li>` : html`<li aria-current="page">${label}</li>`,
  )}</ol></nav>`;
}

/** The header's category links, the current one marked. */
export function navItems(shop: Shop, pathname: string): Markup {
  return html`${shop.categories.map((c) => {
    const href = categoryUrl(c.slug);
    return html`<li><a href="${href}"${pathname === href ? html` aria-current="page"` : ''}>${c.name}</a></li>`;
  })}`;
}

// ---- pages ----

export interface View {
  /** Document title, before " · EdgeRecs Demo Shop". */
  title: string;
  body: Markup;
}

export function homeView(shop: Shop): View {
  const bestsellers = shop.list.filter((p) => availability(p).limit > 0).slice(0, 8);
  const first = shop.categories[0];
  return {
    title: 'Home',
    body: html`<section class="hero">
      <div>
        <h1 tabindex="-1">Recommendations that stay on your device</h1>
        <p>Browse a few products: the rows marked “Ranked on this device” re-rank in your browser after every click. Your history never leaves this browser, and there is no account to create.</p>
        <div class="actions">
          ${first && html`<a class="button" href="${categoryUrl(first.slug)}">Start with ${first.name.toLowerCase()}</a>`}
          <a class="button secondary" href="#bestsellers">See bestsellers</a>
        </div>
      </div>
      <div class="hero-art" aria-hidden="true">${bestsellers.slice(0, 3).map((p) => html`<img src="${p.image_link}" alt="" width="240" height="240">`)}</div>
    </section>
    ${recsSection('Picked for you', 'Products from our shop, ranked in this browser.', 'for-you')}
    <section aria-labelledby="shop-by-category">
      <div class="section-head"><h2 id="shop-by-category">Shop by category</h2></div>
      <div class="tiles">${shop.categories.map(
        (c) => html`<a class="tile" href="${categoryUrl(c.slug)}" style="${tint(c.look)}">${icon(c.look, 48)}<span><strong>${c.name}</strong><span>${plural(c.products.length, 'product', 'products')}</span></span></a>`,
      )}</div>
    </section>
    <section aria-labelledby="bestsellers">
      <div class="section-head"><div><h2 id="bestsellers">Bestsellers</h2><p>What shoppers buy most, across the shop.</p></div></div>
      <ul class="grid" role="list">${bestsellers.map(productTile)}</ul>
    </section>`,
  };
}

const SORT_LABELS: Record<Sort, string> = { featured: 'Bestsellers', 'price-asc': 'Price: low to high', 'price-desc': 'Price: high to low' };

/** A category page, and the products it lists (for `view_item_list`); null for an unknown category. */
export function categoryView(shop: Shop, route: Extract<Route, { page: 'category' }>): (View & { listed: Product[] }) | null {
  const category = shop.categories.find((c) => c.slug === route.slug);
  if (!category) return null;
  const type = category.types.find((t) => t.slug === route.type) ?? null;
  let listed = type ? category.products.filter((p) => categorySlug(subType(p)) === type.slug) : category.products;
  if (route.sort !== 'featured') {
    const sign = route.sort === 'price-asc' ? 1 : -1;
    listed = [...listed].sort((a, b) => sign * (unitPrice(a) - unitPrice(b)));
  }
  const chip = (label: string, slug: string | null): Markup =>
    html`<li><a href="${categoryUrl(category.slug, { type: slug, sort: route.sort })}" aria-current="${String((type?.slug ?? null) === slug)}">${label}</a></li>`;
  return {
    title: type ? `${type.name} · ${category.name}` : category.name,
    listed,
    body: html`${crumbs([['Home', '/'], [category.name, type ? categoryUrl(category.slug) : null], ...(type ? [[type.name, null] as [string, null]] : [])])}
    <header class="page-head" style="${tint(category.look)}">${icon(category.look, 64)}
      <div><h1 tabindex="-1">${type ? type.name : category.name}</h1><p>${category.look.tagline || plural(category.products.length, 'product', 'products')}</p></div>
    </header>
    <div class="list-tools">
      <ul class="chips" aria-label="Filter by type">${chip('All', null)}${category.types.map((t) => chip(t.name, t.slug))}</ul>
      <label class="sort">Sort by
        <select data-action="sort" data-category="${category.slug}" data-type="${type?.slug ?? ''}">${SORTS.map(
          (s) => html`<option value="${s}"${s === route.sort ? html` selected` : ''}>${SORT_LABELS[s]}</option>`,
        )}</select>
      </label>
    </div>
    <p class="muted" aria-live="polite">${plural(listed.length, 'product', 'products')}</p>
    <ul class="grid" role="list">${listed.map(productTile)}</ul>`,
  };
}

/** A product page; `inCart` is how many are in the cart already (limits the quantity picker). */
export function productView(shop: Shop, p: Product, inCart: number): View {
  const category = shop.categories.find((c) => c.name === topCategory(p));
  const stock = availability(p);
  const room = Math.max(0, stock.limit - inCart);
  const off = discount(p);
  const action = p.availability === 'preorder' ? 'Pre-order' : 'Add to cart';
  return {
    title: p.title,
    body: html`${crumbs([['Home', '/'], ...(category ? [[category.name, categoryUrl(category.slug)] as [string, string]] : []), [p.title, null]])}
    <article class="product">
      <div class="media"><img src="${p.image_link}" alt="${p.title}" width="560" height="560"></div>
      <div>
        ${p.brand && html`<p class="brand">${p.brand}</p>`}
        <h1 data-testid="product-title" tabindex="-1">${p.title}</h1>
        <p class="price-row">${priceTag(p)}${off > 0 && html`<span class="save">Save ${off}%</span>`}</p>
        <p class="availability ${stock.tone}">${stock.label}</p>
        <form class="buy" data-action="add-to-cart" data-item-id="${p.id}">
          <div class="qty" role="group" aria-label="Quantity">
            <button type="button" data-action="qty" data-step="-1" aria-label="One fewer" disabled>−</button>
            <input name="quantity" type="number" inputmode="numeric" min="1" max="${Math.max(1, room)}" value="1" aria-label="Quantity"${room === 0 ? html` disabled` : ''}>
            <button type="button" data-action="qty" data-step="1" aria-label="One more"${room <= 1 ? html` disabled` : ''}>+</button>
          </div>
          <button class="button" type="submit" data-testid="add-to-cart"${room === 0 ? html` disabled` : ''}>${
            stock.limit === 0 ? 'Out of stock' : room === 0 ? 'Maximum in cart' : action
          }</button>
        </form>
        <p class="added" role="status" data-added></p>
        <ul class="perks">
          <li>Free delivery on orders over ${money(FREE_SHIPPING_FROM, p.currency)}</li>
          <li>30-day returns, no questions asked</li>
          <li>${p.product_type.replaceAll('>', '›')}</li>
        </ul>
      </div>
    </article>
    ${recsSection('You may also like', 'More from our shop, ranked in this browser.', 'similar', p.id)}`,
  };
}

/** The cart's lines and summary; re-rendered alone when a quantity changes, so the recommendations stay put. */
export function cartBody(totals: CartTotals): Markup {
  if (totals.lines.length === 0) {
    return html`<div class="empty"><h2>Your cart is empty</h2><p>Find something you like, or let the row below suggest a start.</p>
      <a class="button" href="/">Continue shopping</a></div>`;
  }
  const currency = totals.lines[0]!.product.currency;
  return html`<div class="cart">
    <ul class="lines" role="list" aria-label="Products in your cart">${totals.lines.map(
      ({ product: p, quantity, total, limit }) => html`<li class="line" data-item-id="${p.id}">
        <img src="${p.image_link}" alt="" width="88" height="88">
        <div>
          <a class="title" href="${p.link}">${p.title}</a>
          <div class="muted">${money(unitPrice(p), p.currency)} each</div>
          <div class="controls">
            <span class="qty small" role="group" aria-label="${`Quantity of ${p.title}`}">
              <button type="button" data-action="line" data-step="-1" data-item-id="${p.id}" aria-label="${`One fewer ${p.title}`}">−</button>
              <input type="number" value="${quantity}" readonly aria-label="Quantity" tabindex="-1">
              <button type="button" data-action="line" data-step="1" data-item-id="${p.id}" aria-label="${`One more ${p.title}`}"${quantity >= limit ? html` disabled` : ''}>+</button>
            </span>
            <button type="button" class="link-button" data-action="remove" data-item-id="${p.id}" aria-label="${`Remove ${p.title}`}">Remove</button>
          </div>
        </div>
        <div class="total">${money(total, p.currency)}</div>
      </li>`,
    )}</ul>
    <aside class="summary" aria-labelledby="summary-title">
      <h2 id="summary-title">Order summary</h2>
      <dl>
        <dt>Items (${totals.count})</dt><dd>${money(totals.subtotal, currency)}</dd>
        <dt>Delivery</dt><dd>${totals.shipping === 0 ? 'Free' : money(totals.shipping, currency)}</dd>
        <dt class="grand">Total</dt><dd class="grand" data-testid="cart-total">${money(totals.total, currency)}</dd>
      </dl>
      <button type="button" class="button block" data-action="checkout" data-testid="checkout">Checkout</button>
      <p class="note">${totals.shipping > 0 ? `Add ${money(cents(FREE_SHIPPING_FROM - totals.subtotal), currency)} more for free delivery. ` : ''}Demo shop: no payment is taken.</p>
    </aside>
  </div>`;
}

export function cartView(totals: CartTotals): View {
  return {
    title: 'Cart',
    body: html`<h1 tabindex="-1">Your cart</h1>
    <div data-cart-body>${cartBody(totals)}</div>
    ${recsSection('Complete your basket', 'More to add to your basket, ranked in this browser.', 'cart')}`,
  };
}

export function confirmationView(order: { id: string; total: number; count: number; currency: string }): View {
  return {
    title: 'Thank you',
    body: html`<div class="notice">
      <h1 tabindex="-1">Thank you for your order</h1>
      <p>Order ${order.id}: ${plural(order.count, 'item', 'items')}, ${money(order.total, order.currency)}. This is a demo, so nothing will ship.</p>
      <a class="button" href="/">Back to the shop</a>
    </div>
    ${recsSection('You might also like', 'Your purchase is part of your on-device history now.', 'for-you')}`,
  };
}

export function notFoundView(what = 'page'): View {
  return {
    title: 'Not found',
    body: html`<div class="notice"><h1 tabindex="-1">We could not find that ${what}</h1>
      <p>It may have been removed from the catalog, or the link is mistyped.</p>
      <a class="button" href="/">Back to the shop</a></div>`,
  };
}

export function errorView(message: string): View {
  return {
    title: 'Unavailable',
    body: html`<div class="notice" role="alert"><h1 tabindex="-1">The shop is unavailable right now</h1>
      <p>${message}</p>
      <button type="button" class="button" data-action="retry">Try again</button></div>`,
  };
}
