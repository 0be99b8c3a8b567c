/**
 * The holdout-experiment contract between the admin API (which starts and ends one), the widget (which
 * draws each device's arm and counts the shop's outcomes per session) and the read-out (which sums them):
 *
 * - `PUT /v1/admin/models/:name/experiment` bodies (`parseExperimentStart`) and the running experiment as
 *   the server keeps it and the widget receives it (`Experiment`, in the `GET /v1/popular` answer).
 * - How a device draws its arm (`drawArm`): from a random number it keeps (with the profile under storage
 *   consent, else for the session) and the experiment's name, never from the canary bucket.
 * - What one session adds to the counters (`advanceSession`): pure, so the widget, the tests and the
 *   experiment bench count with the same code.
 * - The counters a `POST /v1/metrics` batch may carry for it (`ExperimentCounter`, `ExperimentRevenue`):
 *   sums over sessions keyed by experiment name and arm (and currency), nothing per session.
 */
import { isCurrency } from './currency.ts';
import { ContractError, isRecord, show } from './errors.ts';

/** What a control device's rows show: the merchant's non-personalized fallback, or nothing at all. */
export const EXPERIMENT_CONTROLS = ['bestsellers', 'none'] as const;
export type ExperimentControl = (typeof EXPERIMENT_CONTROLS)[number];

export const ARMS = ['treatment', 'control'] as const;
export type Arm = (typeof ARMS)[number];

/** Experiment names share the token syntax of model names and versions. */
export const EXPERIMENT_NAME = /^[A-Za-z0-9][\w.-]{0,63}$/;

/** Smallest and largest holdout: below 1% a control arm takes months to read; above half it is no holdout. */
export const HOLDOUT_RANGE = { min: 0.01, max: 0.5 } as const;

/** A running experiment, as the server stores it and the widget receives it. */
export interface Experiment {
  name: string;
  /** Share of devices in the control arm, in `HOLDOUT_RANGE`. */
  holdout: number;
  control: ExperimentControl;
  /** ISO 8601 time the experiment started (the read-out counts from its UTC day). */
  startedAt: string;
}

/** The body of `PUT /v1/admin/models/:name/experiment`. */
export type ExperimentStart = Omit<Experiment, 'startedAt'>;

function fail(message: string): never {
  throw new ContractError('bad_experiment', message);
}

/**
 * Validates a `PUT /v1/admin/models/:name/experiment` body: `{"name", "holdout", "control"}`.
 * @throws ContractError `bad_experiment` naming the field.
 */
export function parseExperimentStart(raw: unknown): ExperimentStart {
  const shape = `expected {"name": "spring-test", "holdout": 0.1, "control": "bestsellers" | "none"}`;
  if (!isRecord(raw)) fail(`experiment: ${shape} (got ${show(raw)})`);
  const unknown = Object.keys(raw).find((k) => !['name', 'holdout', 'control'].includes(k));
  if (unknown !== undefined) fail(`experiment: unknown field "${unknown}"; ${shape}`);
  if (typeof raw.name !== 'string' || !EXPERIMENT_NAME.test(raw.name)) fail(`experiment: "name" must be 1-64 letters, digits, ".", "_" or "-" (got ${show(raw.name)})`);
  const holdout = raw.holdout;
  if (typeof holdout !== 'number' || !Number.isFinite(holdout) || holdout < HOLDOUT_RANGE.min || holdout > HOLDOUT_RANGE.max) {
    fail(`experiment: "holdout" must be the control arm's share of devices, ${HOLDOUT_RANGE.min}-${HOLDOUT_RANGE.max} (got ${show(holdout)})`);
  }
  if (!(EXPERIMENT_CONTROLS as readonly unknown[]).includes(raw.control)) fail(`experiment: "control" must be one of ${EXPERIMENT_CONTROLS.join(', ')} (got ${show(raw.control)})`);
  return { name: raw.name, holdout, control: raw.control as ExperimentControl };
}

/** Validates an experiment as the server sends it (in `GET /v1/popular`): the widget checks what it is given. */
export function parseExperiment(raw: unknown): Experiment {
  if (!isRecord(raw)) fail(`experiment: expected {"name", "holdout", "control", "startedAt"} (got ${show(raw)})`);
  const { startedAt, ...start } = raw;
  if (typeof startedAt !== 'string' || Number.isNaN(Date.parse(startedAt))) fail(`experiment: "startedAt" must be an ISO 8601 time (got ${show(startedAt)})`);
  return { ...parseExperimentStart(start), startedAt };
}

/**
 * 32-bit FNV-1a of a string with MurmurHash3's finalizer (FNV alone leaves its high bits nearly unchanged
 * by a different last character): spreads (device number, experiment name) pairs evenly; not a secret.
 */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The device's arm in `experiment`: control with probability `holdout`. `deviceDraw` is a uniform random
 * number in [0, 1) the device drew once and keeps (with the profile under storage consent, else for the
 * session). Mixed with the experiment's name, so each new experiment draws its arms afresh and
 * independently of the canary bucket (which is a function of another stored number).
 */
export function drawArm(experiment: Pick<Experiment, 'name' | 'holdout'>, deviceDraw: number): Arm {
  const u = hash32(`${Math.floor(deviceDraw * 2 ** 32)}:${experiment.name}`) / 2 ** 32;
  return u < experiment.holdout ? 'control' : 'treatment';
}

/** A session ends after this long without a shop event on the device (GA4's default session timeout). */
export const SESSION_GAP_MS = 30 * 60_000;

/**
 * One device's current session in an experiment, as the widget stores it between page views. Outcomes
 * count from the session's first exposure (a page with an `<edge-recs>` element on it) onward.
 */
export interface SessionState {
  experiment: string;
  arm: Arm;
  /** Time of the last event or exposure, ms since the epoch. */
  lastAt: number;
  /** Whether the session was exposed (and so counted in `sessions`). */
  exposed: boolean;
  cart: boolean;
  purchase: boolean;
  /** Revenue of the session so far per currency, in minor units. */
  revenue: Record<string, number>;
}

/**
 * What happened on the device: a page with the widget on it, an add-to-cart, an order with its value, or
 * any other shop event (`activity`: it keeps the session going, as any event does in GA4, and counts nothing).
 */
export type SessionInput =
  | { kind: 'exposure' }
  | { kind: 'activity' }
  | { kind: 'add_to_cart' }
  /** One order (deduplicated by the caller on its transaction id); `amount` in minor units of `currency`. */
  | { kind: 'purchase'; currency?: string; amount?: number };

/** What one input adds to the experiment's counters (all zero where nothing counts). */
export interface SessionDelta {
  sessions: number;
  cartSessions: number;
  purchaseSessions: number;
  orders: number;
  /** Per currency: revenue added, and what it adds to the sum over sessions of each session's revenue squared. */
  revenue: Array<{ currency: string; amount: number; squares: number }>;
}

const NOTHING = (): SessionDelta => ({ sessions: 0, cartSessions: 0, purchaseSessions: 0, orders: 0, revenue: [] });

/**
 * Advances the device's session by one input at time `at` and says what it adds to the counters. A new
 * session starts where there is none, where the last one belongs to another experiment or arm, or after
 * `SESSION_GAP_MS` of quiet. Nothing counts before the session's first exposure. A session's revenue adds
 * `(total + amount)^2 - total^2` to the sum of squares, so the sum over its inputs is its total squared:
 * the variance of revenue per session is read from sums alone, with no per-session record sent.
 */
export function advanceSession(state: SessionState | undefined, input: SessionInput, at: number, experiment: string, arm: Arm): { state: SessionState; delta: SessionDelta } {
  const fresh = !state || state.experiment !== experiment || state.arm !== arm || at - state.lastAt > SESSION_GAP_MS;
  const next: SessionState = fresh
    ? { experiment, arm, lastAt: at, exposed: false, cart: false, purchase: false, revenue: {} }
    : { ...state!, revenue: { ...state!.revenue }, lastAt: Math.max(state!.lastAt, at) };
  const delta = NOTHING();
  if (input.kind === 'exposure') {
    if (!next.exposed) {
      next.exposed = true;
      delta.sessions = 1;
    }
    return { state: next, delta };
  }
  if (!next.exposed || input.kind === 'activity') return { state: next, delta };
  if (input.kind === 'add_to_cart') {
    if (!next.cart) delta.cartSessions = 1;
    next.cart = true;
    return { state: next, delta };
  }
  delta.orders = 1;
  if (!next.purchase) delta.purchaseSessions = 1;
  next.purchase = true;
  const { currency, amount } = input;
  if (currency !== undefined && isCurrency(currency) && amount !== undefined && Number.isInteger(amount) && amount > 0) {
    const before = next.revenue[currency] ?? 0;
    next.revenue[currency] = before + amount;
    delta.revenue.push({ currency, amount, squares: (before + amount) ** 2 - before ** 2 });
  }
  return { state: next, delta };
}

/**
 * Session counts of one experiment arm in a metrics batch (summed over the sessions the device counted
 * since its last batch). `sessions`: sessions exposed to the widget; `cartSessions`, `purchaseSessions`:
 * those of them with an add-to-cart, a purchase; `orders`: purchases.
 */
export interface ExperimentCounter {
  experiment: string;
  arm: Arm;
  sessions: number;
  cartSessions: number;
  purchaseSessions: number;
  orders: number;
}

/** Revenue of one arm's sessions in one currency, in minor units: the sum, and the sum of each session's total squared (a float). */
export interface ExperimentRevenue {
  experiment: string;
  arm: Arm;
  currency: string;
  amount: number;
  squares: number;
}

/** Limits of the experiment parts of a batch. */
export const EXPERIMENT_LIMITS = {
  /** Entries per batch (counters and revenue each): one device is in one arm of at most a few experiments. */
  entries: 8,
  /** Largest count of one entry. */
  count: 10_000,
  /** Largest `amount` of one entry, in minor units (as `METRICS_LIMITS.amount`). */
  amount: 1e10,
} as const;

function integer(raw: Record<string, unknown>, key: string, where: string, max: number): number {
  const value = raw[key];
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > max) {
    throw new ContractError('bad_metrics', `${where}: "${key}" must be an integer 0-${max} (got ${show(value)})`);
  }
  return value as number;
}

function keyed(raw: unknown, where: string, fields: readonly string[]): Record<string, unknown> & { experiment: string; arm: Arm } {
  if (!isRecord(raw)) throw new ContractError('bad_metrics', `${where}: expected an object (got ${show(raw)})`);
  const unknown = Object.keys(raw).find((k) => !fields.includes(k));
  if (unknown !== undefined) throw new ContractError('bad_metrics', `${where}: unknown field "${unknown}"`);
  if (typeof raw.experiment !== 'string' || !EXPERIMENT_NAME.test(raw.experiment)) {
    throw new ContractError('bad_metrics', `${where}: "experiment" must be 1-64 letters, digits, ".", "_" or "-" (got ${show(raw.experiment)})`);
  }
  if (!(ARMS as readonly unknown[]).includes(raw.arm)) throw new ContractError('bad_metrics', `${where}: "arm" must be one of ${ARMS.join(', ')} (got ${show(raw.arm)})`);
  return raw as Record<string, unknown> & { experiment: string; arm: Arm };
}

function entries(raw: unknown, key: string): unknown[] {
  const value = raw ?? [];
  if (!Array.isArray(value) || value.length > EXPERIMENT_LIMITS.entries) throw new ContractError('bad_metrics', `metrics: "${key}" must be an array of 0-${EXPERIMENT_LIMITS.entries} entries`);
  return value;
}

/** Validates a batch's `experiments` list (absent: empty). @throws ContractError `bad_metrics`. */
export function parseExperimentCounters(raw: unknown): ExperimentCounter[] {
  return entries(raw, 'experiments').map((e, i) => {
    const where = `metrics.experiments[${i}]`;
    const r = keyed(e, where, ['experiment', 'arm', 'sessions', 'cartSessions', 'purchaseSessions', 'orders']);
    const counter: ExperimentCounter = {
      experiment: r.experiment,
      arm: r.arm,
      sessions: integer(r, 'sessions', where, EXPERIMENT_LIMITS.count),
      cartSessions: integer(r, 'cartSessions', where, EXPERIMENT_LIMITS.count),
      purchaseSessions: integer(r, 'purchaseSessions', where, EXPERIMENT_LIMITS.count),
      orders: integer(r, 'orders', where, EXPERIMENT_LIMITS.count),
    };
    if (counter.sessions + counter.cartSessions + counter.purchaseSessions + counter.orders === 0) throw new ContractError('bad_metrics', `${where}: every count is 0`);
    return counter;
  });
}

/** Validates a batch's `experimentRevenue` list (absent: empty). @throws ContractError `bad_metrics`. */
export function parseExperimentRevenue(raw: unknown): ExperimentRevenue[] {
  return entries(raw, 'experimentRevenue').map((e, i) => {
    const where = `metrics.experimentRevenue[${i}]`;
    const r = keyed(e, where, ['experiment', 'arm', 'currency', 'amount', 'squares']);
    if (!isCurrency(r.currency)) throw new ContractError('bad_metrics', `${where}: "currency" must be an ISO 4217 code such as "EUR" or "USD" (got ${show(r.currency)})`);
    const amount = integer(r, 'amount', where, EXPERIMENT_LIMITS.amount);
    const squares = r.squares;
    // What `amount` adds to the sum of squares: at least `amount` (whole minor units), at most what it adds
    // on top of a session that already had the largest amount.
    const most = amount * (amount + 2 * EXPERIMENT_LIMITS.amount);
    if (typeof squares !== 'number' || !Number.isFinite(squares) || squares < amount || squares > most) {
      throw new ContractError('bad_metrics', `${where}: "squares" must be what "amount" adds to the sum of each session's revenue squared, at least "amount" (got ${show(squares)})`);
    }
    if (amount === 0) throw new ContractError('bad_metrics', `${where}: "amount" is 0`);
    return { experiment: r.experiment, arm: r.arm, currency: r.currency, amount, squares };
  });
}
