/**
 * The device's side of a holdout experiment (`core/experiment.ts`): the number its arm is drawn from, and
 * the shop's outcomes counted per session for the read-out.
 *
 * The draw: one uniform number in [0, 1), drawn on the device the first time an experiment runs and kept
 * with the profile in IndexedDB (meta `experimentDraw`) under storage consent, so the device stays in its
 * arm from visit to visit; without storage consent in `sessionStorage` (memory where that is refused), so
 * it stays in its arm for the session. It is mirrored in `sessionStorage` under consent too, so a page of
 * a `data-consent="required"` shop that has not called `consent()` yet shows the same arm. Never sent
 * anywhere; erased with the profile (`forget()`, consent withdrawn). The arm itself is `drawArm`'s.
 *
 * Outcomes: `advanceSession` counts, per session, the exposure (a page with an `<edge-recs>` element on
 * it), the first add-to-cart, the first purchase, every order and the session's revenue per currency
 * from the shop's own events, whether or not a card was clicked. The session between pages is kept in
 * `localStorage` under storage consent (synchronously: a purchase reported as the thank-you page closes
 * must not count twice because its write never committed, which an IndexedDB write could), else in
 * `sessionStorage`, with the hashes of the last orders counted (an order reported again is counted once).
 * Only the deltas leave the device, summed with the device's other sessions into the metrics batch
 * (`AnalyticsCounters.addExperiment`): no session id, no time, no order.
 */
import { isCurrency, toMinor } from '../../core/currency.ts';
import type { ShopEvent } from '../../core/events.ts';
import { advanceSession, ARMS, SESSION_GAP_MS, type Arm, type Experiment, type SessionInput, type SessionState } from '../../core/experiment.ts';
import type { AnalyticsCounters } from './analytics-counters.ts';
import { hash, lineAmounts } from './attribution.ts';

/** The draw's IndexedDB meta key (with the profile), and its `sessionStorage` key. */
const DRAW_META = 'experimentDraw';
export const DRAW_KEY = 'edge-recs:experiment-draw';
/** The session being counted (`SessionRecord`): `localStorage` under storage consent, else `sessionStorage`. */
const SESSION_KEY = 'edge-recs:experiment-session';
/** Order ids (hashed) remembered, newest last. */
const MAX_ORDERS = 50;
/** Inputs kept while the experiment is not known yet (the `/v1/popular` answer is on its way). */
const MAX_PENDING = 200;

/** The running experiment and this device's arm in it. */
export interface Enrolment {
  experiment: Experiment;
  arm: Arm;
}

/** The draw of this page where it could not be kept (`sessionStorage` refused). */
let memoryDraw: number | undefined;

const isDraw = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x < 1;

function fresh(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32;
}

function session(): Storage | undefined {
  try {
    return sessionStorage;
  } catch {
    return undefined;
  }
}

function local(): Storage | undefined {
  try {
    return localStorage;
  } catch {
    return undefined;
  }
}

function get(storage: Storage | undefined, key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function set(storage: Storage | undefined, key: string, value: string | undefined): void {
  try {
    if (value === undefined) storage?.removeItem(key);
    else storage?.setItem(key, value);
  } catch {
    // Full or denied: kept in memory for this page.
  }
}

/** The session's draw (`sessionStorage`, else this page's memory), drawn now where there is none. */
function sessionDraw(): number {
  const kept = Number(get(session(), DRAW_KEY) ?? NaN);
  const draw = isDraw(kept) ? kept : (memoryDraw ?? fresh());
  memoryDraw = draw;
  set(session(), DRAW_KEY, String(draw));
  return draw;
}

/** What the draw needs of the profile store (`ProfileStore`). */
interface DrawStore {
  getMeta<T>(key: string): Promise<T | undefined>;
  setMeta(key: string, value: unknown): Promise<void>;
}

/**
 * The device's draw: under storage consent (`store` given), the one kept with the profile, else the
 * session's, written to the profile; without, the session's. Never rejects: a store that fails gives the
 * session's draw.
 */
export async function deviceDraw(store: DrawStore | undefined): Promise<number> {
  if (!store) return sessionDraw();
  try {
    const kept = await store.getMeta<number>(DRAW_META);
    if (isDraw(kept)) {
      memoryDraw = kept;
      set(session(), DRAW_KEY, String(kept));
      return kept;
    }
    const draw = sessionDraw();
    await store.setMeta(DRAW_META, draw);
    return draw;
  } catch {
    return sessionDraw();
  }
}

/** `loader/holdout-hint.ts`'s key (the loader reads the note; this chunk may not import the loader's modules). */
const HOLDOUT_HINT_KEY = 'edge-recs:holdout';

/**
 * Leaves (`on`) or removes the note the next page's loader reads (`loader/holdout-hint.ts`): this device's
 * rows of `model` show nothing. In `localStorage` where `persistent` (storage consent), else in
 * `sessionStorage`; the other one's copy is removed. Never throws.
 */
export function writeHoldoutHint(model: string, on: boolean, persistent: boolean): void {
  set(persistent ? session() : local(), HOLDOUT_HINT_KEY, undefined);
  set(persistent ? local() : session(), HOLDOUT_HINT_KEY, on ? model : undefined);
}

/** Erases the draw kept for the session (the profile's goes with the profile store); the page keeps its arm. */
export function forgetDraw(): void {
  set(session(), DRAW_KEY, undefined);
}

/** What is kept between pages: the session being counted, and the orders counted lately (hashed). */
interface SessionRecord {
  session?: SessionState;
  orders: string[];
}

function validSession(s: unknown): SessionState | undefined {
  if (typeof s !== 'object' || s === null) return undefined;
  const r = s as Record<string, unknown>;
  const revenue = r.revenue;
  if (typeof r.experiment !== 'string' || !(ARMS as readonly unknown[]).includes(r.arm) || !Number.isFinite(r.lastAt)) return undefined;
  if (typeof revenue !== 'object' || revenue === null || Array.isArray(revenue)) return undefined;
  const amounts: Record<string, number> = {};
  for (const [currency, amount] of Object.entries(revenue)) if (isCurrency(currency) && Number.isSafeInteger(amount) && (amount as number) > 0) amounts[currency] = amount as number;
  return { experiment: r.experiment, arm: r.arm as Arm, lastAt: r.lastAt as number, exposed: r.exposed === true, cart: r.cart === true, purchase: r.purchase === true, revenue: amounts };
}

function parseRecord(text: string | null): SessionRecord {
  try {
    const raw = JSON.parse(text ?? 'null') as { session?: unknown; orders?: unknown } | null;
    const orders = Array.isArray(raw?.orders) ? raw.orders.filter((o): o is string => typeof o === 'string').slice(-MAX_ORDERS) : [];
    const kept = validSession(raw?.session);
    return kept ? { session: kept, orders } : { orders };
  } catch {
    return { orders: [] };
  }
}

/**
 * An order's revenue in minor units: its GA4 `value`, else the sum of its lines' price × quantity where
 * every line has a price; in its `currency`, else its items' catalog currency. None where neither is known
 * (the order still counts, without revenue).
 */
function orderValue(event: ShopEvent, currencyOf: (id: string) => string | undefined): { currency?: string; amount?: number } {
  const currency = event.currency ?? event.items.map((i) => currencyOf(i.item_id)).find((c) => c !== undefined && isCurrency(c));
  if (currency === undefined) return {};
  if (event.value !== undefined) return { currency, amount: toMinor(event.value, currency) };
  const lines = lineAmounts(event, currency);
  if (lines.length === 0 || lines.some((l) => l === undefined)) return { currency };
  return { currency, amount: (lines as number[]).reduce((a, b) => a + b, 0) };
}

/**
 * Counts one device's outcomes in the experiment it is enrolled in (`start`). Inputs that arrive before
 * this page knows the experiment count for the session an earlier page left going (its experiment and
 * arm), else wait (at most `MAX_PENDING`), in order; where no experiment runs they are dropped. Nothing is counted or kept while analytics is off (the counters' `counting`).
 */
export class ExperimentOutcomes {
  /** `undefined` until known; `null`: no experiment (or none could be learnt). */
  private enrolment: Enrolment | null | undefined;
  private pending: Array<{ input: SessionInput; at: number; order?: string }> = [];
  /** The record where storage refused it. */
  private memory: SessionRecord | undefined;

  constructor(
    private readonly metrics: AnalyticsCounters,
    private persistent: boolean,
  ) {}

  /** The device's experiment and arm (`null`: none); counts what waited. */
  start(enrolment: Enrolment | null): void {
    this.enrolment = enrolment;
    const pending = this.pending.splice(0);
    if (enrolment) for (const { input, at, order } of pending) this.apply(enrolment.experiment.name, enrolment.arm, input, at, order);
  }

  /** A page with an `<edge-recs>` element on it, at `at` (ms since the epoch). */
  exposure(at: number): void {
    this.input({ kind: 'exposure' }, at);
  }

  /** A shop event the engine took in (validated and de-duplicated across sources). */
  event(event: ShopEvent, currencyOf: (id: string) => string | undefined): void {
    if (event.name === 'add_to_cart') this.input({ kind: 'add_to_cart' }, event.ts);
    else if (event.name === 'purchase') this.input({ kind: 'purchase', ...orderValue(event, currencyOf) }, event.ts, event.transaction_id === undefined ? undefined : hash(event.transaction_id));
    else this.input({ kind: 'activity' }, event.ts);
  }

  /** Storage consent changed: the record moves to `localStorage` (granted) or `sessionStorage` (withdrawn: the device's copy is erased). */
  setPersistent(on: boolean): void {
    if (on === this.persistent) return;
    const record = this.read();
    this.persistent = on;
    set(on ? session() : local(), SESSION_KEY, undefined);
    this.write(record);
  }

  /** Erases the session record (`forget()`); inputs waiting are dropped. */
  forget(): void {
    this.pending = [];
    this.memory = undefined;
    set(local(), SESSION_KEY, undefined);
    set(session(), SESSION_KEY, undefined);
  }

  private input(input: SessionInput, at: number, order?: string): void {
    if (!this.metrics.counting || this.enrolment === null) return;
    if (this.enrolment === undefined) {
      // A session of an earlier page goes on in its experiment and arm: counted now, not after this page's
      // `/v1/popular` answer, which a thank-you page closed at once never gets.
      const going = this.pending.length === 0 ? this.read().session : undefined;
      if (going && at - going.lastAt <= SESSION_GAP_MS) this.apply(going.experiment, going.arm, input, at, order);
      else if (this.pending.length < MAX_PENDING) this.pending.push({ input, at, ...(order === undefined ? {} : { order }) });
      return;
    }
    this.apply(this.enrolment.experiment.name, this.enrolment.arm, input, at, order);
  }

  private apply(experiment: string, arm: Arm, input: SessionInput, at: number, order: string | undefined): void {
    if (!this.metrics.counting) return;
    const record = this.read();
    // An order reported again (a reloaded thank-you page) keeps the session going and counts nothing.
    const counted = order !== undefined && record.orders.includes(order);
    const { state, delta } = advanceSession(record.session, counted ? { kind: 'activity' } : input, at, experiment, arm);
    const orders = order !== undefined && !counted ? [...record.orders, order].slice(-MAX_ORDERS) : record.orders;
    this.write({ session: state, orders });
    this.metrics.addExperiment(experiment, arm, delta);
  }

  private storage(): Storage | undefined {
    return this.persistent ? local() : session();
  }

  private read(): SessionRecord {
    const text = get(this.storage(), SESSION_KEY);
    return text === null && this.memory ? this.memory : parseRecord(text);
  }

  private write(record: SessionRecord): void {
    this.memory = record;
    set(this.storage(), SESSION_KEY, JSON.stringify(record));
  }
}
