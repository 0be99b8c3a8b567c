/**
 * Translation of what a shop page already emits into `(name, params)` for the widget's tracker: GA4
 * `dataLayer` e-commerce pushes and `data-edge-recs-*` attributes. Pure functions with no validation of
 * their own: `parseEvent` (in the lazily loaded engine) is the one validator, so a malformed event gets the
 * same dev-mode warning whichever way it came in. Part of the loader, so kept small.
 */

/**
 * GA4 e-commerce events the `dataLayer` bridge passes on: the ones that say what the shopper looked at,
 * picked, put in or took out of the cart, or bought. Other pushes (`page_view`, `begin_checkout`, consent,
 * GTM's own) are the merchant's business and are ignored without a warning.
 */
export const BRIDGED_EVENTS: readonly string[] = ['view_item', 'view_item_list', 'select_item', 'add_to_cart', 'remove_from_cart', 'purchase'];

interface Reported {
  name: unknown;
  params: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** `"12.90"` -> `12.9`: GA4 tags often send prices and quantities as strings. Anything else is passed on as is. */
function numeric(v: unknown): unknown {
  return typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
}

/**
 * Copies the GA4 item fields EdgeRecs uses, nothing else (no `item_name`, no `affiliation`): what is not
 * copied is never stored. Copying also detaches the event from the merchant's object, which GTM setups
 * reuse and clear (`{ ecommerce: null }`) right after the push.
 */
function item(raw: unknown): unknown {
  if (!isObject(raw)) return raw;
  const out: Record<string, unknown> = { item_id: raw.item_id };
  if (raw.item_category !== undefined) out.item_category = raw.item_category;
  if (raw.price !== undefined) out.price = numeric(raw.price);
  if (raw.quantity !== undefined) out.quantity = numeric(raw.quantity);
  return out;
}

/**
 * The event's items and, for a purchase, the order fields revenue needs (`value`, `currency`, and
 * `transaction_id`, so an order reported again is counted once; it is never sent anywhere).
 */
function params(name: unknown, raw: unknown): unknown {
  if (!isObject(raw)) return raw;
  const out: Record<string, unknown> = { items: Array.isArray(raw.items) ? raw.items.map(item) : raw.items };
  if (name === 'purchase') {
    if (raw.value !== undefined) out.value = numeric(raw.value);
    if (raw.currency !== undefined) out.currency = raw.currency;
    if (raw.transaction_id !== undefined) out.transaction_id = raw.transaction_id;
  }
  return out;
}

/**
 * One `dataLayer` entry as an EdgeRecs event, or `undefined` when it is not one of `BRIDGED_EVENTS`.
 * Understands both shapes GA4 documents:
 * - Tag Manager: `dataLayer.push({ event: 'add_to_cart', ecommerce: { items: [...] } })`;
 * - gtag.js: `gtag('event', 'add_to_cart', { items: [...] })`, which pushes its `arguments` object.
 */
export function fromDataLayer(entry: unknown): Reported | undefined {
  if (!isObject(entry)) return undefined;
  if (Array.isArray(entry) || Object.prototype.toString.call(entry) === '[object Arguments]') {
    const args = entry as unknown as ArrayLike<unknown>;
    if (args[0] !== 'event' || !BRIDGED_EVENTS.includes(args[1] as string)) return undefined;
    return { name: args[1], params: params(args[1], args[2]) };
  }
  if (!BRIDGED_EVENTS.includes(entry.event as string)) return undefined;
  return { name: entry.event, params: params(entry.event, isObject(entry.ecommerce) ? entry.ecommerce : entry) };
}

/** A Google Consent Mode state value. */
type ConsentValue = 'granted' | 'denied';

/** The consent types EdgeRecs reads from a Consent Mode command (see `consentOf`). */
export interface ConsentSignal {
  command: 'default' | 'update';
  personalization?: ConsentValue;
  analytics?: ConsentValue;
}

/**
 * A Google Consent Mode command, `gtag('consent', 'default' | 'update', { ... })` (pushed to the dataLayer
 * as its `arguments`), reduced to the two types EdgeRecs maps: `personalization_storage` (the on-device
 * profile) and `analytics_storage` (aggregate counters). Anything else is `undefined`.
 */
export function consentOf(entry: unknown): ConsentSignal | undefined {
  if (!isObject(entry) || !(Array.isArray(entry) || Object.prototype.toString.call(entry) === '[object Arguments]')) return undefined;
  const args = entry as unknown as ArrayLike<unknown>;
  const state = args[2];
  if (args[0] !== 'consent' || (args[1] !== 'default' && args[1] !== 'update') || !isObject(state)) return undefined;
  const value = (v: unknown): ConsentValue | undefined => (v === 'granted' || v === 'denied' ? v : undefined);
  return { command: args[1], personalization: value(state.personalization_storage), analytics: value(state.analytics_storage) };
}

/** Attribute names, as documented for merchants: `data-edge-recs-event` plus the item's fields. */
const ATTR = 'data-edge-recs-';

/**
 * The event an element with `data-edge-recs-event` describes:
 * `<a data-edge-recs-event="select_item" data-edge-recs-item-id="sku-1" data-edge-recs-price="9.90"
 * data-edge-recs-category="Beauty > Skin care" data-edge-recs-quantity="1">`.
 */
export function fromAttributes(el: Pick<Element, 'getAttribute'>): Reported {
  // An empty attribute (`data-edge-recs-price=""`, common in templates with a missing value) means absent.
  const get = (name: string): string | undefined => el.getAttribute(ATTR + name) || undefined;
  const raw: Record<string, unknown> = { item_id: get('item-id') };
  if (get('category') !== undefined) raw.item_category = get('category');
  if (get('price') !== undefined) raw.price = get('price');
  if (get('quantity') !== undefined) raw.quantity = get('quantity');
  return { name: get('event'), params: { items: [item(raw)] } };
}
