/**
 * The loader's logic (entry: `index.ts`): `window.edgeRecs`, event capture from the first moment, the
 * lazy start of the engine after first paint, and the credit of add-to-carts and purchases still queued
 * when the page goes before the engine loaded. Kept free of Lit, idb, `core/` and tfjs, which all live in
 * the lazily loaded chunks, so `dist/edge-recs.js` stays small (budget: `budget.ts`).
 */
import type { ShopEvent } from '../../core/events.ts';
import type { ConsentState, Engine, EngineState } from '../engine/engine.ts';
import { afterFirstPaint, bridgeDataLayer, captureClicks, type Report } from './capture.ts';
import { modelOf, readConfig, type WidgetConfig } from './config.ts';
import type { ConsentSignal } from './translate.ts';
import type { EventOrigin, RawEvent } from './event-sources.ts';
import type { CreditQueued } from './queued-credit.ts';
import { readHoldoutHint } from './holdout-hint.ts';
import { reserveSpace } from './reserve.ts';

/** The page API: `window.edgeRecs`. Every method is safe to call at any time, before or after the engine has loaded. */
export interface EdgeRecsApi {
  /**
   * Records a GA4 e-commerce event (`view_item`, `view_item_list`, `select_item`, `add_to_cart`,
   * `remove_from_cart`, `begin_checkout`, `purchase`) with GA4 item fields on this device and re-ranks.
   * Calls made before the engine has loaded are queued, never lost; invalid events are dropped (with a
   * warning in development builds); it never throws.
   * @example edgeRecs.track('add_to_cart', { items: [{ item_id: 'sku-0042', price: 24.9, quantity: 1 }] })
   */
  track(name: string, params: unknown): void;
  /**
   * The shopper consented (`data-consent="required"`): events from now on, and the ones kept in memory so
   * far on this page, are stored in IndexedDB. Resolves once they are. Call it on every page view where
   * your consent tool reports consent. A no-op with `data-consent="granted"`.
   */
  consent(): Promise<void>;
  /**
   * Merchant rules and copy (see `merchant.ts` and docs/merchant-guide.md): merged over the page's
   * `<script type="application/json" data-edge-recs-config>` block and earlier calls, then every element
   * re-ranks. Invalid entries are dropped with a development-build warning.
   * @example edgeRecs.configure({ rules: { exclude: ['Gift cards'], maxPerCategory: 2 }, lowStock: 3 })
   */
  configure(config: unknown): void;
  /**
   * Opens the shopper's profile panel in a modal dialog: what is stored on this device, pause, erase all.
   * Link it from your privacy page or footer. Loads the engine now if needed.
   * @example <button onclick="edgeRecs.openProfile()">Your recommendations</button>
   */
  openProfile(): Promise<void>;
  /** Events stored on this device, oldest first. Loads the engine now if it has not loaded yet. */
  events(): Promise<ShopEvent[]>;
  /**
   * Erases everything EdgeRecs stored on this device: events (also those still queued), copy-bandit
   * counts, card attributions, the model cache and metrics not yet sent. Loads the engine now if needed.
   */
  forget(): Promise<void>;
  /**
   * Re-ranks every `<edge-recs>` element. Route changes (`popstate`, and `history.pushState` where the
   * browser has the Navigation API) already do this; call it when your single-page app changes what the
   * shopper sees in some other way.
   */
  refresh(): void;
  /** Resolves when the engine has loaded with its catalog and store (not waiting for the model). Does not load it any earlier. */
  ready(): Promise<void>;
  /** `loading` until the model runs, then `ready` with its backend and version, or `fallback` with the error. */
  readonly state: EngineState;
  /** The settings read from the script tag, after validation. */
  readonly config: Readonly<WidgetConfig>;
}

/** Most events kept while the engine loads; a page that emits more before first paint is not shopping. */
const MAX_QUEUED = 200;
/**
 * Where events still queued when the page goes away (a product link clicked before the engine loaded)
 * wait for the next page of the same tab. Only when storage is allowed.
 */
const HANDOFF_KEY = 'edge-recs:queued';

function takeHandoff(win: Window): RawEvent[] {
  try {
    const raw = win.sessionStorage.getItem(HANDOFF_KEY);
    if (raw === null) return [];
    win.sessionStorage.removeItem(HANDOFF_KEY);
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? (parsed as RawEvent[]).filter((e) => typeof e === 'object' && e !== null && typeof e.at === 'number') : [];
  } catch {
    return [];
  }
}

/**
 * Installs the loader on `win` from the script tag's `data-*` attributes (`data`, read when needed) and
 * returns the page API (the caller puts it on `window.edgeRecs`). The script runs just before the page's
 * first paint, so it does only what that paint needs at once: the rows' reserved space (none where this
 * device's rows are held out of an experiment with nothing shown: `holdout-hint.ts`), for which the model's
 * name is all of the configuration it reads, and the click listener. The rest (configuration, consent, the
 * `dataLayer` bridge, the engine's lazy start: `install`) runs in the next task, or at the page API's first
 * call or a captured click where that comes sooner, so no task of the loader's is long on a slow phone.
 * Events pushed to the `dataLayer` in between are replayed from it.
 */
export function startLoader(win: Window, data: Readonly<Record<string, string | undefined>>, loaderUrl: string): EdgeRecsApi {
  reserveSpace(win.document, readHoldoutHint(win, modelOf(data.model)));
  let installed: Installed | undefined;
  const loader = (): Installed => (installed ??= install(win, data, loaderUrl));
  const api = (): EdgeRecsApi => loader().api;
  // Clicks are seen from the first moment (a click's task may come before the next one): one installs the rest at once.
  captureClicks(win.document, (name, params, source) => loader().report(name, params, source), warn);
  win.setTimeout(loader, 0);
  return {
    track: (name, params) => api().track(name, params),
    consent: () => api().consent(),
    configure: (config) => api().configure(config),
    openProfile: () => api().openProfile(),
    events: () => api().events(),
    forget: () => api().forget(),
    refresh: () => api().refresh(),
    ready: () => api().ready(),
    get state(): EngineState {
      return api().state;
    },
    get config(): Readonly<WidgetConfig> {
      return api().config;
    },
  };
}

const warn = (message: string): void => {
  if (__EDGE_RECS_DEV__) console.warn(`edge-recs: ${message}`);
};

/** The installed loader: the page API, and where captured clicks go. */
interface Installed {
  api: EdgeRecsApi;
  report: Report;
}

/** Validated configuration, consent, the `dataLayer` bridge, the page API and the engine's lazy start (see `startLoader`). */
function install(win: Window, data: Readonly<Record<string, string | undefined>>, loaderUrl: string): Installed {
  const config = readConfig(data, loaderUrl, warn, win.navigator.language);
  // Consent, in the order the page gave it: `data-consent`, then `consent()` calls and Google Consent
  // Mode commands (docs/merchant-guide.md, "Consent"). `personalization_storage` governs the on-device profile; a page that
  // never sets it is read by its `analytics_storage`, as Consent Mode v2 banners set only the ads and
  // analytics types.
  let storage = config.consent === 'granted';
  let analytics = true;
  let sawPersonalization = false;
  const storageAllowed = (): boolean => storage;
  const consentState = (): ConsentState => ({ storage, analytics: storage && analytics });
  const merchant: unknown[] = [];
  const queue: RawEvent[] = storageAllowed() ? takeHandoff(win) : [];
  let engine: Engine | undefined;
  let loading: Promise<Engine> | undefined;
  let failure: string | undefined;

  // Add-to-carts and purchases still queued when the page is hidden or left before the engine loaded (a
  // thank-you tab closed at once, which hands nothing on) are credited by the engine's rules against the
  // clicks in `localStorage` and sent at once (`queued-credit.ts`), then marked, so the engine that takes
  // them later (this page's, or the next page's through the handoff) stores them without crediting them
  // again. The code is imported as soon as such an event is queued, to be at hand by `pagehide`. As in the
  // engine: only with analytics consent.
  let creditQueued: CreditQueued | undefined;
  let creditLoading = false;
  const credit = (): void => {
    if (!engine && creditQueued && consentState().analytics) creditQueued(queue, storage);
  };
  const hidden = (): boolean => win.document.visibilityState === 'hidden';
  const prepareCredit = (): void => {
    if (creditLoading) return;
    creditLoading = true;
    import('./queued-credit.ts').then(
      ({ queuedCredit }) => {
        creditQueued = queuedCredit(config.server, config.model);
        // Queued while the page was already hidden: no `visibilitychange` may come before it is discarded.
        if (hidden()) credit();
      },
      () => {
        // Not reachable now (offline): the next such event tries again; until then the handoff carries them.
        creditLoading = false;
      },
    );
  };

  const enqueue = (event: RawEvent): void => {
    if (engine) {
      void engine.intake(event);
      return;
    }
    if (queue.length >= MAX_QUEUED) {
      queue.shift();
      if (__EDGE_RECS_DEV__) warn(`more than ${MAX_QUEUED} events before the engine loaded; dropping the oldest`);
    }
    queue.push(event);
    if (event.name === 'add_to_cart' || event.name === 'purchase') {
      prepareCredit();
      if (creditQueued && hidden()) credit();
    }
    // A purchase (a thank-you page) starts the engine now rather than after first paint: the sooner it is
    // in the on-device log, the less the shopper's closing the tab can take from the profile.
    if (event.name === 'purchase') load().catch(() => undefined);
  };
  const report = (name: unknown, params: unknown, source: EventOrigin): void => enqueue({ name, params, source, at: Date.now() });
  // Handed on by the previous page before it could credit them (it was left at once).
  if (queue.some((e) => !e.attributed && (e.name === 'add_to_cart' || e.name === 'purchase'))) prepareCredit();

  const load = (): Promise<Engine> =>
    // The chunk's evaluation and the engine's start each in a task of their own: neither task is long.
    // A plain timer, not `runtime/yield.ts`: the loader imports nothing the engine chunk holds.
    (loading ??= import('../app.ts').then(
      async ({ start }) => {
        await new Promise((resolve) => setTimeout(resolve, 0));
        const started = start({ config, warn, consent: consentState(), merchant });
        engine = started;
        failure = undefined;
        for (const event of queue.splice(0)) void started.intake(event);
        return started;
      },
      (e: unknown) => {
        // The chunk could not load (offline, blocked): keep the queue, and let the next call try again.
        loading = undefined;
        failure = `could not load the widget: ${String(e)}`;
        if (__EDGE_RECS_DEV__) warn(failure);
        // No cards will come on this try: the rows give back the space they reserved (a later try that
        // loads sets their state again).
        for (const el of Array.from(win.document.querySelectorAll('edge-recs:not([state])'))) el.setAttribute('state', 'error');
        win.document.dispatchEvent(new CustomEvent('edge-recs:error', { detail: { message: failure } }));
        throw e;
      },
    ));

  const painted = new Promise<void>((resolve) => afterFirstPaint(win, resolve));
  painted.then(load).catch(() => undefined);

  const onConsent = (signal: ConsentSignal): void => {
    if (signal.personalization) sawPersonalization = true;
    const granted = signal.personalization ?? (sawPersonalization ? undefined : signal.analytics);
    if (signal.analytics) analytics = signal.analytics === 'granted';
    const withdraw = signal.command === 'update' && granted === 'denied';
    if (granted) storage = granted === 'granted';
    void engine?.setConsent({ ...consentState(), withdraw }).catch(() => undefined);
  };

  bridgeDataLayer(win, report, warn, onConsent);
  win.document.addEventListener('visibilitychange', () => {
    if (hidden()) credit();
  });
  win.addEventListener('pagehide', () => {
    credit();
    if (queue.length === 0 || !storageAllowed()) return;
    try {
      win.sessionStorage.setItem(HANDOFF_KEY, JSON.stringify(queue.splice(0)));
    } catch {
      // Storage full or disabled, or params that do not serialize: those events are lost, the page is not.
    }
  });

  const api: EdgeRecsApi = {
    track: (name, params) => report(name, params, 'api'),
    consent() {
      if (!storage) for (const event of takeHandoff(win)) enqueue(event);
      storage = true;
      return painted.then(load).then((e) => e.setConsent(consentState()));
    },
    configure(raw) {
      if (engine) engine.configure(raw);
      else merchant.push(raw);
    },
    openProfile: () => load().then((e) => e.openProfile()),
    events: () => load().then((e) => e.events()),
    forget() {
      queue.length = 0;
      try {
        win.sessionStorage.removeItem(HANDOFF_KEY);
      } catch {
        // Nothing can have been handed off where storage is unavailable.
      }
      return load().then((e) => e.forget());
    },
    refresh: () => engine?.refresh(),
    ready: () => painted.then(load).then((e) => e.ready),
    get state(): EngineState {
      if (engine) return engine.state;
      return failure ? { status: 'fallback', error: failure } : { status: 'loading' };
    },
    config: Object.freeze(config),
  };
  return { api, report };
}
