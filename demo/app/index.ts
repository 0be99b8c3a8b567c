/**
 * The demo shop front-end (bundled to `dist/demo/app.js` by `vite build -c vite.demo.config.ts`): a small
 * single-page app that renders the shop from `GET /v1/catalog`, keeps the cart in `localStorage`, reports
 * GA4 e-commerce events the way a shop with Google Analytics does (`window.dataLayer` pushes, picked up by
 * the widget's dataLayer bridge; `select_item` through the product tiles' `data-edge-recs-*` attributes)
 * and places `<edge-recs>` rows on its pages. Each event is reported through exactly one of those paths.
 * Imports only `demo/` and `core/`: the widget is a separate script, exactly as on a merchant's site.
 */
import { parseCatalog, type Product } from '../../core/catalog.ts';
import type { EventName } from '../../core/events.ts';
import { html } from '../markup.ts';
import { CART_KEY, CartStore } from './cart.ts';
import { categoryUrl, isShopPath, parseRoute, SORTS, type Sort } from './routes.ts';
import {
  availability,
  buildShop,
  cartBody,
  cartTotals,
  cartView,
  categoryView,
  confirmationView,
  errorView,
  eventItem,
  homeView,
  navItems,
  notFoundView,
  noun,
  productView,
  unitPrice,
  type Shop,
  type View,
} from './views.ts';

/**
 * The part of the widget's page API the shop uses. Typed here, structurally, so the shop builds without
 * the widget's sources; `widget/index.ts` declares the full `Window.edgeRecs`. It is absent until the
 * widget's script has run, and stays absent if the script is blocked.
 */
interface EdgeRecsPageApi {
  forget?(): Promise<void>;
  openProfile?(): Promise<void>;
}

/** The events this shop pushes; `select_item` is left to the tiles' attributes (see `productTile`). */
type ShopEventName = Extract<EventName, 'view_item' | 'view_item_list' | 'add_to_cart' | 'remove_from_cart' | 'purchase'>;

const SHOP_NAME = 'EdgeRecs Demo Shop';
const CATALOG_TIMEOUT_MS = 15_000;
/** GA4 caps `items[]`; the widget's event schema takes at most 200. */
const MAX_LIST_ITEMS = 200;

function edgeRecs(): EdgeRecsPageApi | undefined {
  const host: { edgeRecs?: EdgeRecsPageApi } = window;
  return host.edgeRecs;
}

/**
 * Reports one GA4 e-commerce event as Google Tag Manager setups do: clear the previous `ecommerce` object,
 * then push the event. The shop calls no EdgeRecs API for it; the widget's dataLayer bridge picks it up
 * (and would replay it, were the widget's script still loading). Nothing here may break the shop.
 */
function track(name: ShopEventName, params: Record<string, unknown>): void {
  try {
    const host = window as unknown as { dataLayer?: unknown[] };
    const layer = (host.dataLayer ??= []);
    layer.push({ ecommerce: null });
    layer.push({ event: name, ecommerce: params });
  } catch (e) {
    console.warn(`edge-recs demo: could not report ${name}`, e);
  }
}

/** `localStorage`, or null where reading it throws (storage disabled, some private modes). */
function localStore(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

const cents = (x: number): number => Math.round(x * 100) / 100;

class ShopApp {
  private shop: Shop | null = null;
  private readonly cart = new CartStore(localStore());
  private readonly main: HTMLElement;
  private readonly nav: HTMLElement;
  private readonly toastEl: HTMLElement;
  private toastTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly doc: Document) {
    this.main = doc.getElementById('app')!;
    this.nav = doc.querySelector('.cats ul')!;
    this.toastEl = doc.querySelector('.toast')!;
  }

  async start(): Promise<void> {
    this.doc.addEventListener('click', this.onClick);
    this.doc.addEventListener('submit', this.onSubmit);
    this.doc.addEventListener('change', this.onChange);
    window.addEventListener('popstate', () => this.show({ focus: true }));
    // Another tab changed the cart: follow it, without re-reporting anything.
    window.addEventListener('storage', (e) => {
      if (e.key !== CART_KEY) return;
      this.cart.reload();
      this.cartChanged();
    });
    this.updateBadge();
    await this.load();
  }

  // ---- catalog and pages ----

  private async load(): Promise<void> {
    this.main.setAttribute('aria-busy', 'true');
    try {
      // no-store: the HTTP cache would send back whatever ETag the server gave, a value that could tag the shopper.
      const res = await fetch('/v1/catalog', { headers: { accept: 'application/json' }, cache: 'no-store', signal: AbortSignal.timeout(CATALOG_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`The catalog answered HTTP ${res.status}.`);
      this.shop = buildShop(parseCatalog(await res.json()));
    } catch (e) {
      const reason = e instanceof DOMException && e.name === 'TimeoutError' ? 'The catalog did not answer in time.' : e instanceof Error ? e.message : String(e);
      this.present(errorView(reason), false);
      return;
    } finally {
      this.main.removeAttribute('aria-busy');
    }
    const shop = this.shop;
    this.cart.retain((id) => shop.products.has(id));
    this.updateBadge();
    this.show({ focus: false });
  }

  /** Renders the page for the current URL and reports what the shopper is shown. */
  private show({ focus }: { focus: boolean }): void {
    const shop = this.shop;
    if (!shop) return;
    const route = parseRoute(location.href);
    let view: View;
    switch (route.page) {
      case 'home':
        view = homeView(shop);
        break;
      case 'category': {
        const category = categoryView(shop, route);
        view = category ?? notFoundView('category');
        if (category && category.listed.length > 0) {
          track('view_item_list', {
            item_list_id: route.slug,
            item_list_name: category.title,
            items: category.listed.slice(0, MAX_LIST_ITEMS).map((p) => eventItem(p)),
          });
        }
        break;
      }
      case 'product': {
        const product = shop.products.get(route.id);
        view = product ? productView(shop, product, this.cart.quantity(product.id)) : notFoundView('product');
        if (product) track('view_item', { currency: product.currency, value: unitPrice(product), items: [eventItem(product)] });
        break;
      }
      case 'cart':
        view = cartView(cartTotals(shop, this.cart.all()));
        break;
      case 'not-found':
        view = notFoundView();
        break;
    }
    this.nav.innerHTML = navItems(shop, location.pathname).value;
    this.present(view, focus);
  }

  /**
   * Swaps the page in. `<edge-recs>` elements are created afresh with it, so each page's rows ask the
   * widget for that page's placement and item. Focus moves to the new heading so keyboard and screen
   * reader users land on the new page, not on a link that no longer exists.
   */
  private present(view: View, focus: boolean, restore?: string): void {
    this.doc.title = `${view.title} · ${SHOP_NAME}`;
    this.main.innerHTML = view.body.value;
    if (!focus) return;
    const target = (restore && this.main.querySelector<HTMLElement>(restore)) || this.main.querySelector<HTMLElement>('h1') || this.main;
    target.focus({ preventScroll: true });
  }

  private navigate(href: string, { replace = false } = {}): void {
    const samePage = new URL(href, location.href).pathname === location.pathname;
    // Same page, other filter or order: keep the shopper's place and keep focus on the control they used.
    const restore = samePage ? focusKey(this.doc.activeElement) : undefined;
    if (replace) history.replaceState(null, '', href);
    else history.pushState(null, '', href);
    this.show({ focus: true });
    if (restore) this.main.querySelector<HTMLElement>(restore)?.focus({ preventScroll: true });
    if (!samePage) window.scrollTo(0, 0);
  }

  // ---- cart ----

  private updateBadge(): void {
    const count = this.cart.count();
    const badge = this.doc.querySelector<HTMLElement>('[data-testid="cart-count"]');
    if (badge) {
      badge.textContent = String(count);
      badge.toggleAttribute('data-empty', count === 0);
    }
    // The link's name is its visible text plus this word ("Cart 1 item"): a separate aria-label would hide
    // what is on screen from speech-input users (WCAG 2.5.3, label in name).
    const hidden = this.doc.querySelector('[data-cart-noun]');
    if (hidden) hidden.textContent = ` ${noun(count, 'item', 'items')}`;
  }

  /** The cart changed: update the badge and whatever on the page shows the cart, keeping focus in place. */
  private cartChanged(restore?: string): void {
    this.updateBadge();
    const shop = this.shop;
    if (!shop) return;
    const body = this.main.querySelector<HTMLElement>('[data-cart-body]');
    if (body) {
      body.innerHTML = cartBody(cartTotals(shop, this.cart.all())).value;
      const target = (restore && body.querySelector<HTMLElement>(restore)) || this.main.querySelector<HTMLElement>('h1');
      target?.focus({ preventScroll: true });
    }
    const form = this.main.querySelector<HTMLFormElement>('form[data-action="add-to-cart"]');
    const product = form && shop.products.get(form.dataset.itemId ?? '');
    if (form && product) this.updateBuyForm(form, product);
  }

  /** Room left for this product in the cart drives the quantity picker and the button. */
  private updateBuyForm(form: HTMLFormElement, product: Product): void {
    const limit = availability(product).limit;
    const room = Math.max(0, limit - this.cart.quantity(product.id));
    const input = form.querySelector<HTMLInputElement>('input[name="quantity"]')!;
    const button = form.querySelector<HTMLButtonElement>('[data-testid="add-to-cart"]')!;
    input.max = String(Math.max(1, room));
    input.value = String(Math.min(Math.max(1, Number(input.value) || 1), Math.max(1, room)));
    input.disabled = room === 0;
    button.disabled = room === 0;
    if (limit > 0) button.textContent = room === 0 ? 'Maximum in cart' : product.availability === 'preorder' ? 'Pre-order' : 'Add to cart';
    this.stepQuantity(form, 0);
  }

  private stepQuantity(form: HTMLFormElement, step: number): void {
    const input = form.querySelector<HTMLInputElement>('input[name="quantity"]')!;
    const max = Number(input.max) || 1;
    const value = Math.min(max, Math.max(1, (Math.floor(Number(input.value)) || 1) + step));
    input.value = String(value);
    form.querySelector<HTMLButtonElement>('[data-step="-1"]')!.disabled = input.disabled || value <= 1;
    form.querySelector<HTMLButtonElement>('[data-step="1"]')!.disabled = input.disabled || value >= max;
  }

  /** Applies a quantity change and reports exactly the units that changed. */
  private changeLine(product: Product, quantity: number): number {
    const limit = Math.max(availability(product).limit, this.cart.quantity(product.id));
    const change = this.cart.set(product.id, quantity, limit);
    if (change !== 0) {
      const units = Math.abs(change);
      track(change > 0 ? 'add_to_cart' : 'remove_from_cart', {
        currency: product.currency,
        value: cents(unitPrice(product) * units),
        items: [eventItem(product, units)],
      });
    }
    return change;
  }

  private checkout(): void {
    const shop = this.shop;
    if (!shop) return;
    const totals = cartTotals(shop, this.cart.all());
    const first = totals.lines[0];
    if (!first) return;
    const order = { id: `DEMO-${Date.now().toString(36).toUpperCase()}`, total: totals.total, count: totals.count, currency: first.product.currency };
    track('purchase', {
      transaction_id: order.id,
      currency: order.currency,
      value: totals.total,
      shipping: totals.shipping,
      items: totals.lines.slice(0, MAX_LIST_ITEMS).map((l) => eventItem(l.product, l.quantity)),
    });
    this.cart.clear();
    this.updateBadge();
    this.present(confirmationView(order), true);
    window.scrollTo(0, 0);
  }

  // ---- events ----

  private readonly onClick = (event: MouseEvent): void => {
    // composedPath() reaches into open shadow roots: the widget's cards are links inside <edge-recs>.
    const path = event.composedPath();
    const button = path.find((n): n is HTMLButtonElement => n instanceof HTMLButtonElement && n.dataset.action !== undefined);
    if (button) {
      this.onAction(button);
      return;
    }
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = path.find((n): n is HTMLAnchorElement => n instanceof HTMLAnchorElement);
    if (!anchor || (anchor.target && anchor.target !== '_self') || anchor.hasAttribute('download')) return;
    const url = new URL(anchor.href);
    // Other sites, server routes and in-page anchors ("#bestsellers", the skip link) load as usual.
    if (url.origin !== location.origin || !isShopPath(url.pathname)) return;
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
    event.preventDefault();
    this.navigate(url.pathname + url.search);
  };

  private onAction(button: HTMLButtonElement): void {
    const shop = this.shop;
    const product = shop?.products.get(button.dataset.itemId ?? '');
    switch (button.dataset.action) {
      case 'qty': {
        const form = button.closest('form');
        if (form) this.stepQuantity(form, Number(button.dataset.step));
        break;
      }
      case 'line':
        if (product) {
          this.changeLine(product, this.cart.quantity(product.id) + Number(button.dataset.step));
          this.cartChanged(focusKey(button));
        }
        break;
      case 'remove':
        if (product) {
          this.changeLine(product, 0);
          this.toast(`Removed ${product.title} from your cart`);
          this.cartChanged('[data-action="remove"]');
        }
        break;
      case 'checkout':
        this.checkout();
        break;
      case 'forget':
        void this.forget();
        break;
      case 'profile':
        // The widget's own panel: what is stored on this device, pause, erase all.
        void edgeRecs()?.openProfile?.().catch(() => this.toast('Recommendations are not loaded, so nothing is stored on this device.'));
        if (!edgeRecs()?.openProfile) this.toast('Recommendations are not loaded, so nothing is stored on this device.');
        break;
      case 'retry':
        void this.load();
        break;
    }
  }

  private readonly onSubmit = (event: SubmitEvent): void => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.dataset.action !== 'add-to-cart') return;
    event.preventDefault();
    const product = this.shop?.products.get(form.dataset.itemId ?? '');
    if (!product) return;
    const wanted = Math.max(1, Math.floor(Number(form.querySelector<HTMLInputElement>('input[name="quantity"]')?.value)) || 1);
    const added = this.changeLine(product, this.cart.quantity(product.id) + wanted);
    const status = form.parentElement?.querySelector<HTMLElement>('[data-added]');
    if (status) {
      status.innerHTML =
        added > 0
          ? html`✓ Added ${added} to your cart · <a href="/cart">View cart</a>`.value
          : html`You have the most we can sell of this in your cart already.`.value;
    }
    this.cartChanged();
  };

  private readonly onChange = (event: Event): void => {
    const el = event.target;
    if (el instanceof HTMLSelectElement && el.dataset.action === 'sort') {
      const sort = SORTS.includes(el.value as Sort) ? (el.value as Sort) : 'featured';
      this.navigate(categoryUrl(el.dataset.category ?? '', { type: el.dataset.type || null, sort }), { replace: true });
    } else if (el instanceof HTMLInputElement && el.name === 'quantity' && el.form) {
      this.stepQuantity(el.form, 0);
    }
  };

  private async forget(): Promise<void> {
    const api = edgeRecs();
    if (!api?.forget) {
      this.toast('Recommendations are not loaded, so nothing is stored on this device.');
      return;
    }
    try {
      await api.forget();
      this.toast('Your browsing history on this device is erased.');
    } catch {
      this.toast('Could not erase the history; please try again.');
    }
  }

  private toast(message: string): void {
    this.toastEl.textContent = message;
    this.toastEl.setAttribute('data-show', '');
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => this.toastEl.removeAttribute('data-show'), 3500);
  }
}

/** A selector that finds "the same control" after a re-render, for keeping keyboard focus in place. */
function focusKey(el: Element | null): string | undefined {
  if (!(el instanceof HTMLElement) || !el.closest('main')) return undefined;
  const css = (v: string): string => v.replace(/["\\]/g, '\\$&');
  if (el instanceof HTMLAnchorElement) return `a[href="${css(el.getAttribute('href') ?? '')}"]`;
  const action = el.dataset.action;
  if (!action) return undefined;
  const step = el.dataset.step ? `[data-step="${css(el.dataset.step)}"]` : '';
  const item = el.dataset.itemId ? `[data-item-id="${css(el.dataset.itemId)}"]` : '';
  return `[data-action="${css(action)}"]${step}${item}`;
}

void new ShopApp(document).start().catch((e: unknown) => console.error('edge-recs demo: the shop could not start', e));
