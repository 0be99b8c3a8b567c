import { isCurrency } from './currency.ts';
import { ContractError, isRecord, show } from './errors.ts';
import { ITEM_ID_RULE, normalizeItemId } from './item-id.ts';

/**
 * The event vocabulary: GA4 recommended e-commerce event names. The same schema feeds the widget's
 * tracker, its dataLayer bridge and `edge-recs train --format events`.
 * https://developers.google.com/analytics/devguides/collection/ga4/reference/events
 */
export const EVENT_NAMES = [
  'view_item',
  'view_item_list',
  'select_item',
  'add_to_cart',
  'remove_from_cart',
  'begin_checkout',
  'purchase',
] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** A GA4 `items[]` entry, reduced to the fields EdgeRecs uses. */
export interface EventItem {
  item_id: string;
  item_category?: string;
  price?: number;
  quantity?: number;
}

/** One shopper event as stored on the device. `ts` is milliseconds since the epoch. */
export interface ShopEvent {
  name: EventName;
  ts: number;
  items: EventItem[];
  /** Placement that produced the click, when the event came from an `<edge-recs>` card. */
  placement?: string;
  /** `purchase` only: the order's GA4 `value`, in `currency`'s major units (`24.9`). */
  value?: number;
  /** `purchase` only: ISO 4217 code of `value` and the items' prices (`EUR`). */
  currency?: string;
  /** `purchase` only: the shop's order id, so a re-reported order is counted once; never leaves the device. */
  transaction_id?: string;
}

/** Events whose item is a positive signal of interest, in the order the model reads a history. */
export const INTEREST_EVENTS: readonly EventName[] = ['view_item', 'select_item', 'add_to_cart', 'purchase'];

const MAX_ITEMS = 200;

function parseItem(raw: unknown, where: string): EventItem {
  if (!isRecord(raw)) throw new ContractError('bad_event', `${where}: expected an object (got ${show(raw)})`);
  // The catalog's rule: an id a feed may hold is an id an event may carry (`core/item-id.ts`).
  const id = normalizeItemId(raw.item_id);
  if (id === undefined) throw new ContractError('bad_event', `${where}.item_id must be ${ITEM_ID_RULE} (got ${show(raw.item_id)})`);
  const item: EventItem = { item_id: id };
  if (raw.item_category !== undefined) {
    if (typeof raw.item_category !== 'string' || raw.item_category.length > 500) {
      throw new ContractError('bad_event', `${where}.item_category must be a string (got ${show(raw.item_category)})`);
    }
    item.item_category = raw.item_category;
  }
  for (const key of ['price', 'quantity'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new ContractError('bad_event', `${where}.${key} must be a non-negative number (got ${show(v)})`);
    }
    item[key] = v;
  }
  return item;
}

/**
 * Validates GA4-style event parameters (`{ items: [...] }`, or a bare `item_id` for convenience) and
 * returns a normalized event. Throws a `ContractError` naming the field at fault.
 */
export function parseEvent(name: unknown, params: unknown, now = Date.now()): ShopEvent {
  if (!EVENT_NAMES.includes(name as EventName)) {
    throw new ContractError('bad_event', `event name must be one of ${EVENT_NAMES.join(', ')} (got ${show(name)})`);
  }
  if (!isRecord(params)) throw new ContractError('bad_event', `${String(name)}: params must be an object (got ${show(params)})`);
  const rawItems = params.items ?? (params.item_id !== undefined ? [params] : undefined);
  if (!Array.isArray(rawItems) || rawItems.length === 0 || rawItems.length > MAX_ITEMS) {
    throw new ContractError('bad_event', `${String(name)}: params.items must hold 1-${MAX_ITEMS} items`);
  }
  const event: ShopEvent = {
    name: name as EventName,
    ts: typeof params.ts === 'number' && Number.isFinite(params.ts) ? params.ts : now,
    items: rawItems.map((item, i) => parseItem(item, `${String(name)}.items[${i}]`)),
  };
  if (typeof params.placement === 'string' && params.placement.length <= 64) event.placement = params.placement;
  if (event.name === 'purchase') parseOrder(params, event);
  return event;
}

/** A purchase's GA4 order fields: `value`, `currency` (upper-cased, as GA4 accepts `eur`), `transaction_id`. */
function parseOrder(params: Record<string, unknown>, event: ShopEvent): void {
  const { value, currency, transaction_id: id } = params;
  if (value !== undefined) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ContractError('bad_event', `purchase.value must be a non-negative number (got ${show(value)})`);
    event.value = value;
  }
  if (currency !== undefined) {
    const code = typeof currency === 'string' ? currency.trim().toUpperCase() : currency;
    if (!isCurrency(code)) throw new ContractError('bad_event', `purchase.currency must be an ISO 4217 code such as "EUR" or "USD" (got ${show(currency)})`);
    event.currency = code;
  }
  if (id !== undefined) {
    const text = typeof id === 'number' && Number.isSafeInteger(id) ? String(id) : typeof id === 'string' ? id.trim() : undefined;
    if (!text || text.length > 100) throw new ContractError('bad_event', `purchase.transaction_id must be a string of 1-100 characters (got ${show(id)})`);
    event.transaction_id = text;
  }
}

/**
 * The item sequence the model reads: interest events in time order, consecutive repeats of the same
 * item collapsed (a reload is not new interest).
 */
export function interestSequence(events: readonly ShopEvent[], counted: readonly EventName[] = INTEREST_EVENTS): string[] {
  return interestRuns(events, counted).map((run) => run.item);
}

/**
 * `interestSequence` with each item read as `keyOf(item_id)` (a size as its variant group), and for each
 * the newest `item_id` of its run as the events named it: `[{ item: 'jacket', named: 'jacket L' }]` after
 * views of size M and then L.
 */
export function interestRuns(
  events: readonly ShopEvent[],
  counted: readonly EventName[] = INTEREST_EVENTS,
  keyOf: (id: string) => string = (id) => id,
): Array<{ item: string; named: string }> {
  const runs: Array<{ item: string; named: string }> = [];
  for (const e of [...events].sort((a, b) => a.ts - b.ts)) {
    if (!counted.includes(e.name)) continue;
    for (const { item_id } of e.items) {
      const item = keyOf(item_id);
      const last = runs[runs.length - 1];
      if (last?.item === item) last.named = item_id;
      else runs.push({ item, named: item_id });
    }
  }
  return runs;
}
