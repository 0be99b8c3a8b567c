import { MIN_TRAINING_EVENTS } from '../training/protocol.ts';
import { yieldToPage } from '../runtime/yield.ts';
import type { Placement } from '../../core/analytics.ts';
import type { Product } from '../../core/catalog.ts';
import { ContractError } from '../../core/errors.ts';
import { interestSequence, parseEvent, type ShopEvent } from '../../core/events.ts';
import { drawArm, type Arm } from '../../core/experiment.ts';
import { normalizeItemId } from '../../core/item-id.ts';
import { AnalyticsCounters, FLUSH_MS, type MetricKey, type Send } from './analytics-counters.ts';
import { forgetBucket, sessionBucket } from './canary.ts';
import { CardAttribution } from './card-attribution.ts';
import { CardCopy, type Card } from '../copy/card-copy.ts';
import type { CatalogLoad } from '../ranking/catalog.ts';
import type { WidgetConfig } from '../loader/config.ts';
import { moveToDevice, moveToMemory, storeMove, type ConsentState } from './consent.ts';
import type { BanditState } from '../copy/bandit.ts';
import type { CopyContext } from '../copy/copy.ts';
import { EventLog } from './event-log.ts';
import { deviceDraw, ExperimentOutcomes, forgetDraw, writeHoldoutHint, type Enrolment } from './experiment-outcomes.ts';
import { Deduper, describeSource, type RawEvent } from '../loader/event-sources.ts';
import { MERCHANT_DEFAULTS, mergeMerchantConfig, rulesFor, type MerchantConfig } from '../ranking/merchant.ts';
import { placementRows } from '../ranking/placements.ts';
import { deriveProfile, type Profile } from '../ranking/profile.ts';
import type { Hardware, LoadStats } from '../runtime/index.ts';
import { ShopData } from '../ranking/shop-data.ts';
import type { ProfileStore } from '../storage/store.ts';

export { PLACEMENTS, type Placement } from '../../core/analytics.ts';
export type { ConsentState } from './consent.ts';
export type { Card } from '../copy/card-copy.ts';

/**
 * How long a page's first cards wait for a model that is cached on this device (from the engine's start):
 * on a repeat visit the model usually runs within it, and the first cards are then the model's, so the row
 * never changes under the shopper. A model that is not cached (a first visit) is not waited for: its
 * download takes longer than a shopper should look at an empty row, and the fallback row stays until the
 * shopper's next action or page view (`recs-controller.ts`). The space is reserved meanwhile, so waiting
 * shifts nothing.
 */
export const CACHED_MODEL_WAIT_MS = 1000;

/**
 * The longest an event's IndexedDB write waits for the re-rank it started (`Engine.ranked`): the model's
 * forward pass and the row's render come first on a device with few cores, and a slow backend (a software
 * GPU) does not hold the write back for long.
 */
const RANKED_WAIT_MS = 250;

/** Why the engine asks its rows to re-rank: `model` when the model became ready or moved to another backend. */
export type ChangeReason = 'model' | 'other';

interface RecRequest {
  placement: Placement;
  count: number;
  /** The product on screen; never shown back. */
  itemId?: string;
}

export interface EngineState {
  status: 'loading' | 'ready' | 'fallback';
  backend?: string;
  modelVersion?: string;
  /** Where the model's bytes came from: `revalidated` with `filesFetched: 0` is a fully cached load. */
  modelLoad?: LoadStats;
  /** Where the catalog came from: `offline` is the copy kept on the device, used while the server failed. */
  catalogLoad?: CatalogLoad;
  /** `indexeddb`, or `memory` (no consent yet, private mode, storage failed). */
  storage?: 'indexeddb' | 'memory';
  paused?: boolean;
  /**
   * Where catalog parsing, model verification and decoding, and inference run: `worker`, a dedicated Web
   * Worker; `main`, the page's thread in short tasks (no worker could start, e.g. a CSP without `blob:` in
   * `worker-src`). Absent until known.
   */
  thread?: 'worker' | 'main';
  /**
   * This device's arm in the model's running holdout experiment (`GET /v1/popular` names it): `treatment`
   * (the widget as usual), `control` (the merchant's non-personalized fallback, or nothing), or `null`
   * where none runs or none could be learnt. Absent until known.
   */
  arm?: Arm | null;
  error?: string;
}

/** What the shopper's profile panel shows. */
export interface ProfileSummary {
  profile: Profile;
  storage: 'indexeddb' | 'memory';
  paused: boolean;
  /** The widget's locale (`data-locale`), for the panel's texts. */
  locale: string;
  /** The catalog's currency (ISO 4217; a catalog holds one), for the panel's prices; none when the catalog did not load. */
  currency?: string;
}

export interface EngineOptions {
  config: WidgetConfig;
  /** Development-build warnings (a no-op in production builds). */
  warn: (message: string) => void;
  consent: ConsentState;
  /** Merchant configuration objects (`<script data-edge-recs-config>` blocks, `configure()` calls), in order. */
  merchant?: unknown[];
  /** Where analytics batches go; replaceable in tests. Default: `fetch(keepalive)`, else `sendBeacon`. */
  send?: Send;
  /** Random source of the copy bandit; replaceable in tests. Default `Math.random`. */
  random?: () => number;
}

/**
 * The page-wide recommendation engine, the lazily loaded half of the widget: one per page, shared by every
 * `<edge-recs>` element. It coordinates the units that do the work: the event log (`event-log.ts`),
 * consent (`consent.ts`), attribution (`card-attribution.ts`), what each placement asks for
 * (`placements.ts`, ranked by `ranking.ts`), copy (`copy/`), and the heavy work of loading the catalog and
 * the model and running it (`heavy-work.ts`). Events are validated, de-duplicated and stored on the
 * device; every change (event, model ready, backend switch, route change) tells subscribers to re-rank.
 * `dispose` cancels what it started and frees what it holds.
 */
export class Engine extends EventTarget {
  /** The profile derived from the event log since the last change; shared by every element's re-rank. */
  private profile: Promise<Profile> | undefined;
  private readonly log: EventLog;
  state: EngineState = { status: 'loading' };
  /** Consent as last set (options, `setConsent`): the on-device training step (`training/`) reads it before every run and upload. */
  consentState: ConsentState;
  /** The on-device federated trainer (lazy chunk `training/`), once the model has loaded, where the server takes updates. */
  trainer: import('../training/index.ts').FederatedTrainer | undefined;
  /**
   * Whether the edge server takes federated updates, as it said with the model's manifest: the trainer is
   * started only then, so a server without federated learning is never sent an update (no failed request).
   */
  federatedLearning = false;
  /** Store and catalog loaded (the model may still be loading; cards show the fallback chain until then). */
  readonly ready: Promise<void>;
  readonly warn: (message: string) => void;
  readonly config: WidgetConfig;
  merchant: MerchantConfig = MERCHANT_DEFAULTS;
  /** Aggregate analytics counters (`POST /v1/metrics`). */
  readonly metrics: AnalyticsCounters;
  /** The catalog, the server's lists and the model, as loaded for this page. */
  private readonly shop: ShopData;
  private persistent: boolean;
  private paused = false;
  private readonly catalogReady: Promise<void>;
  private readonly popularReady: Promise<void>;
  private readonly dedupe = new Deduper();
  /** `recommend` calls in flight: an event's write waits for them (`ranked`). */
  private readonly ranking = new Set<Promise<Card[]>>();
  /** A row has had its cards: later re-ranks read the profile from memory. */
  private rankedOnce = false;
  /** Writes waiting for a re-rank (`ranked`), woken when the page is hidden or left. */
  private readonly leftPage = new Set<() => void>();
  private readonly copy: CardCopy;
  private readonly attribution: CardAttribution;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  /** The GPU probes' result from an earlier visit (`meta.hardware`), read by `restore`. */
  private hardware: Hardware | undefined;
  private readonly restored: Promise<void>;
  /** Another tab changed the log while this one was hidden: re-rank when it is shown. */
  private changedWhileHidden = false;
  /** Settles when the first cards may be ranked: the cached model runs, `CACHED_MODEL_WAIT_MS` passed, or none is cached. */
  private readonly firstRanking: Promise<void>;
  /** Aborts every fetch and model load this engine started (`dispose`). */
  private readonly abort = new AbortController();
  /** Removes the page listeners and the flush timer (`dispose`). */
  private unlisten: () => void = () => undefined;
  /** The running experiment and this device's arm; null where none runs (or until known). */
  private enrolment: Enrolment | null = null;
  /** Settles once the experiment (if any) and this device's arm are known (`enrol`). */
  private readonly enrolled: Promise<void>;
  /** The shop's outcomes per session, counted for the experiment (`experiment-outcomes.ts`). */
  private readonly outcomes: ExperimentOutcomes;

  constructor(options: EngineOptions) {
    super();
    this.config = options.config;
    this.warn = options.warn;
    this.copy = new CardCopy(options.random ?? Math.random);
    this.shop = new ShopData(this.config, this.abort.signal, this.warn);
    for (const raw of options.merchant ?? []) this.configure(raw);
    this.persistent = options.consent.storage;
    this.consentState = { storage: options.consent.storage, analytics: options.consent.analytics };
    this.metrics = new AnalyticsCounters(`${this.config.server}/v1/metrics`, this.config.model, options.send);
    this.metrics.setEnabled(options.consent.analytics);
    this.outcomes = new ExperimentOutcomes(this.metrics, this.persistent);
    // The page has a row: exposed before the events the loader queued are taken in (they follow this constructor).
    if (typeof document !== 'undefined' && document.querySelector('edge-recs')) this.outcomes.exposure(Date.now());
    this.attribution = new CardAttribution(this.persistent, this.metrics, this.warn);
    this.log = new EventLog(
      this.persistent,
      () => {
        // Rows follow what the shopper does in another tab of the shop; a hidden tab catches up when shown.
        if (typeof document === 'undefined' || document.visibilityState !== 'hidden') this.changed();
        else this.changedWhileHidden = true;
      },
      () => this.ranked(),
    );
    const restored = (this.restored = this.log.serial((store) => this.restore(store)));
    void this.shop.place.then((thread) => (this.state = { ...this.state, thread }));
    this.catalogReady = this.loadCatalog();
    this.popularReady = this.shop.loadPopular();
    this.enrolled = this.popularReady
      .then(() => this.enrol())
      .catch(() => {
        // The store failed under the draw: as without an experiment, for this page.
        this.enrolment = null;
        this.state = { ...this.state, arm: null };
        this.outcomes.start(null);
      });
    // The model loads beside the catalog, not after it; the fallback chain shows until it is ready.
    const modelLoaded = this.loadModel();
    this.firstRanking = this.modelCached().then((cached) => {
      if (!cached) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, CACHED_MODEL_WAIT_MS)));
      return Promise.race([modelLoaded, bound]).finally(() => clearTimeout(timer));
    });
    this.ready = Promise.all([this.log.current(), this.log.restored, restored, this.catalogReady]).then(() => undefined);
    this.flushOnLeave();
  }

  /** Opens the shopper's profile panel; set by the element chunk (`app.ts`), which owns the DOM. */
  openProfile: () => Promise<void> = async () => undefined;

  /** Merges a merchant configuration object (`edgeRecs.configure()`) and re-ranks. */
  configure(raw: unknown): void {
    this.merchant = mergeMerchantConfig(this.merchant, raw, this.warn);
    this.copy.renew();
    this.changed();
  }

  /**
   * Validates, de-duplicates (see `Deduper`) and stores one captured event, then asks every placement to
   * re-rank. Resolves to whether it was stored; never rejects. Invalid events are dropped with a dev-mode
   * warning naming the source and the field at fault. Add-to-carts and purchases of items clicked on a
   * card are counted for that card's placement, model version and copy variant.
   */
  intake(raw: RawEvent): Promise<boolean> {
    let event: ShopEvent;
    try {
      event = parseEvent(raw.name, raw.params, raw.at);
    } catch (e) {
      if (__EDGE_RECS_DEV__) this.warn(`${describeSource(raw.source, raw.name)} dropped: ${e instanceof ContractError ? e.message : String(e)}`);
      return Promise.resolve(false);
    }
    if (!this.dedupe.accept(event, raw.source)) return Promise.resolve(false);
    // Every shop event, clicked card or not, paused or not: aggregates only, like the card counters.
    this.outcomes.event(event, (id) => this.shop.lookup(id)?.currency);
    // Unless the loader credited it already, as the page it was queued on went before the engine loaded.
    if ((event.name === 'add_to_cart' || event.name === 'purchase') && !raw.attributed) {
      this.attribution.credit(event, this.itemKey, (id) => this.shop.lookup(id)?.currency);
    }
    if (this.paused) return Promise.resolve(false);
    // Re-rank from memory now; the write commits in the background.
    const stored = this.log.add(event).then(
      () => true,
      (e: unknown) => {
        if (__EDGE_RECS_DEV__) this.warn(`could not store ${event.name}: ${String(e)}`);
        return false;
      },
    );
    this.changed();
    return stored;
  }

  /** An event from one of the widget's own cards. */
  track(name: string, params: unknown): Promise<boolean> {
    return this.intake({ name, params, source: 'widget', at: Date.now() });
  }

  /** Stored events, oldest first (for the shopper's profile panel and tests). */
  events(): Promise<ShopEvent[]> {
    return this.log.stored();
  }

  /** Erases everything this widget stored on the device: events, bandit counts, attribution, the model cache, the catalog copy, unsent metrics. */
  async forget(): Promise<void> {
    this.dedupe.clear();
    this.metrics.clear();
    this.copy.clear();
    this.attribution.clear();
    clearTimeout(this.saveTimer);
    forgetBucket();
    forgetDraw();
    this.outcomes.forget();
    this.hint(false);
    this.log.empty();
    this.changed();
    await this.log.serial((store) => store.clear());
  }

  /**
   * Pauses (or resumes) personalisation: while paused no event is stored and copy learns nothing; the
   * cards keep using what is already stored. The switch itself is stored, so it holds on later pages.
   */
  async pause(on: boolean): Promise<void> {
    this.paused = on;
    this.state = { ...this.state, paused: on };
    await this.log.serial((store) => store.setMeta('paused', on)).catch(() => undefined);
    this.changed();
  }

  /** The shopper's profile as the panel shows it. */
  async summary(): Promise<ProfileSummary> {
    const store = await this.log.current();
    // Prices are the catalog's, in its currency: read once it has loaded (or failed to).
    await this.catalogReady;
    const currency = this.shop.catalog.products.values().next().value?.currency;
    return { profile: await this.currentProfile(), storage: store.kind, paused: this.paused, locale: this.config.locale, ...(currency ? { currency } : {}) };
  }

  /**
   * Applies a consent change (`edgeRecs.consent()`, a Google Consent Mode update). Storage granted: the
   * events kept in memory so far go to IndexedDB and later ones too. Storage withdrawn: everything stored
   * is erased and the page continues in memory.
   */
  setConsent(consent: ConsentState & { withdraw?: boolean }): Promise<void> {
    this.metrics.setEnabled(consent.analytics);
    this.attribution.setPersistent(consent.storage, consent.withdraw === true);
    this.consentState = { storage: consent.storage, analytics: consent.analytics };
    const move = storeMove(this.persistent, consent);
    if (move === 'device') {
      this.persistent = true;
      return this.log.serial(async (memory) => {
        const durable = await this.log.openDurable();
        await moveToDevice(memory, durable);
        this.log.use(durable);
        await this.persist(durable);
        this.outcomes.setPersistent(true);
        // The device's draw is kept with the profile from now on; a device that had one keeps its arm.
        if (this.enrolment) this.enter(this.enrolment.experiment, await deviceDraw(durable));
        this.state = { ...this.state, storage: durable.kind };
        // The device may hold events from earlier pages where the shopper had consented.
        this.log.invalidate();
        this.changed();
      });
    }
    if (move === 'memory') {
      const wasPersistent = this.persistent;
      this.persistent = false;
      forgetBucket();
      this.outcomes.setPersistent(false);
      this.hint(this.collapsed);
      return this.log.serial(async (durable) => {
        this.log.use(await moveToMemory(durable, wasPersistent));
        this.state = { ...this.state, storage: 'memory' };
        this.changed();
      });
    }
    return this.log.serial(async () => undefined);
  }

  /** `window.edgeRecs.consent()`: storage granted, analytics as before. */
  consent(): Promise<void> {
    return this.setConsent({ storage: true, analytics: true });
  }

  /** Asks every `<edge-recs>` element to re-rank (`window.edgeRecs.refresh()`). */
  refresh(): void {
    this.changed();
  }

  /**
   * A card was viewable (`viewability.ts`: at least half in view for one continuous second in a visible
   * tab; or clicked before that): one impression for analytics and for the copy bandit.
   */
  impression(card: Card, placement: Placement): void {
    // A control row is no recommendation: its cards count for no model, copy variant or bandit.
    if (this.holdout) return;
    this.metrics.count(this.key(card, placement), 'impression');
    if (!this.paused) {
      this.copy.shown(card.lineKey);
      this.saveSoon();
    }
  }

  /**
   * A card was clicked: counted, credited to its copy line, remembered for attributing a later add-to-cart
   * and purchase, and tracked as `select_item`. The attribution is written synchronously (see
   * `attribution.ts`): the navigation this click starts may unload the page before anything async runs.
   */
  click(card: Card, placement: Placement): void {
    const key = this.key(card, placement);
    if (!this.holdout) this.metrics.count(key, 'click');
    if (!this.paused && !this.holdout) {
      this.copy.clicked(card.lineKey);
      // Only where the counters it feeds may be sent: without analytics consent nothing is remembered.
      // Kept for the card's variant group: the shopper may pick another size before adding to cart.
      if (this.consentState.analytics) {
        const group = this.itemKey(card.product.id);
        const items = [...this.shop.catalog.products.keys()].filter((id) => this.itemKey(id) === group);
        this.attribution.click(group, key, items, card.product.currency);
      }
      this.saveSoon(0);
    }
    void this.track('select_item', {
      items: [{ item_id: card.product.id, item_category: card.product.product_type, price: card.product.sale_price ?? card.product.price }],
      placement,
    });
  }

  /** Cards for one placement. Never random; empty only when there is nothing true to show. */
  recommend(request: RecRequest): Promise<Card[]> {
    const cards = this.cardsFor(request);
    this.ranking.add(cards);
    const done = (): void => void this.ranking.delete(cards);
    cards.then(() => {
      this.rankedOnce = true;
      done();
    }, done);
    return cards;
  }

  /**
   * Resolves once the rows have re-ranked and rendered for what happened so far (at most
   * `RANKED_WAIT_MS`): rows ask for their cards in microtasks of the change's task, so a task later every
   * ask has started; each row renders in the task after its cards come.
   */
  private async ranked(): Promise<void> {
    // A page being left writes at once: its rows will not be seen again.
    const leaving = (): boolean => typeof document !== 'undefined' && document.visibilityState === 'hidden';
    // Until the page's rows have ranked once, a ranking may itself wait for the store (the experiment's
    // arm, the log's first read), which is queued behind this write: no waiting then.
    if (!this.rankedOnce || leaving()) return;
    await yieldToPage();
    if (this.ranking.size === 0 || leaving()) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wake: (() => void) | undefined;
    await Promise.race([
      Promise.allSettled([...this.ranking]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, RANKED_WAIT_MS);
        this.leftPage.add((wake = resolve));
      }),
    ]);
    clearTimeout(timer);
    this.leftPage.delete(wake!);
    if (!leaving()) await yieldToPage();
  }

  private async cardsFor(request: RecRequest): Promise<Card[]> {
    // A row asks for cards on every page view and change: the session had the widget on it now.
    this.outcomes.exposure(Date.now());
    await this.catalogReady;
    await this.popularReady;
    await this.enrolled;
    // The control arm of an experiment: the merchant's non-personalized fallback, or nothing.
    const control = this.enrolment?.arm === 'control' ? this.enrolment.experiment.control : undefined;
    // Nothing, or a row whose promise (the shopper's own history) a control row cannot keep.
    if (control === 'none' || (control && request.placement === 'recently-viewed')) return [];
    // Only placements the model ranks wait for it.
    if (!control && request.placement !== 'trending' && request.placement !== 'recently-viewed') await this.firstRanking;
    // A control row reads nothing of the shopper: the same row for everyone on this page.
    const profile = control ? deriveProfile([], this.shop.lookup, Date.now(), this.itemKey) : await this.currentProfile();
    // Ranking, and then the copy, each in a task of their own: a row never adds to another step's long task.
    // With the model in its worker, the model's answer comes in a task of its own anyway: asked at once.
    if (this.state.thread !== 'worker') await yieldToPage();
    const shop = this.shop;
    const rules = rulesFor(this.merchant, request.placement);
    // The product on screen as its group: the jacket's other sizes are not "similar" to it.
    const onScreen = request.itemId === undefined ? undefined : normalizeItemId(request.itemId);
    const itemId = onScreen === undefined ? undefined : this.itemKey(onScreen);
    const exclude = new Set<string>([...profile.purchased, ...profile.cart, ...shop.catalog.outOfStock]);
    if (itemId) exclude.add(itemId);
    // Control: no model and no trending list, only the bestsellers and then the catalog's order.
    const runtime = control ? null : shop.runtime;
    const rows = await placementRows({
      placement: request.placement,
      count: request.count,
      profile,
      rules,
      itemId,
      exclude,
      catalog: shop.catalog,
      popular: control ? { ...shop.popular, trending: [] } : shop.popular,
      model: request.placement === 'trending' ? undefined : (runtime ?? undefined),
      modelItems: () => shop.modelItems(),
      byCategory: !control,
      warn: this.warn,
    });
    await yieldToPage();
    const ctx: CopyContext = {
      locale: this.config.locale,
      placement: request.placement,
      profile,
      // By own id first: copy names the size the shopper viewed or added, not the one a card would show.
      product: (id) => shop.catalog.products.get(id) ?? shop.catalog.cards.get(id),
      currentItem: itemId,
      onScreen,
      lowStock: this.merchant.lowStock,
      overrides: this.merchant.copy,
      trendingScore: shop.evidence.trendingScore,
      bestseller: shop.evidence.bestseller,
      choseNext: shop.choseNext(),
      groupTitle: shop.catalog.title,
    };
    return this.copy.cards(rows, ctx, runtime?.modelVersion ?? 'fallback');
  }

  /**
   * Cancels what this engine started and frees what it holds: pending catalog, aggregate and model
   * fetches are aborted, a model still loading is freed when it is ready, the model's tensors are freed,
   * the trainer stops, page listeners and timers are removed, and the store's IndexedDB connection
   * closes once queued writes are done. Counters not yet sent go now. The page's teardown (`pagehide` of
   * a page that the browser does not keep for back/forward) calls it; an embedding that removes the
   * widget, and tests, may call it too.
   */
  async dispose(): Promise<void> {
    this.release();
    this.trainer?.dispose();
    await this.log.close();
  }

  /**
   * Everything `dispose` frees, except that an update upload in flight is left to finish (it is sent with
   * `keepalive` to outlive the page) and the store stays usable: what the page still reports as it goes
   * is stored and counted as before.
   */
  private release(): void {
    if (this.abort.signal.aborted) return;
    this.metrics.flush();
    this.abort.abort(new DOMException('engine disposed', 'AbortError'));
    this.unlisten();
    clearTimeout(this.saveTimer);
    this.shop.dispose();
  }

  /** This device is in an experiment's control arm: its rows are no recommendations, and it neither trains nor uploads. */
  get holdout(): boolean {
    return this.enrolment?.arm === 'control';
  }

  /** This device's rows show nothing (the control arm of a `"control": "none"` experiment): they take no space. */
  get collapsed(): boolean {
    return this.holdout && this.enrolment?.experiment.control === 'none';
  }

  /**
   * Learns the running experiment from the `/v1/popular` answer and draws this device's arm from its kept
   * number (`experiment-outcomes.ts`); the number is drawn and kept only once an experiment runs.
   */
  private async enrol(): Promise<void> {
    const experiment = this.shop.popular.experiment;
    if (experiment) {
      const draw = await (this.persistent ? this.log.serial((store) => deviceDraw(store)) : deviceDraw(undefined));
      this.enter(experiment, draw);
      return;
    }
    this.enrolment = null;
    this.state = { ...this.state, arm: null };
    this.outcomes.start(null);
    // `null`: the server says none runs. Absent (an older server, or no answer): the note stays as it was.
    if (experiment === null) this.hint(false);
  }

  /** Puts the device in its arm of `experiment` (again, where consent brought the profile's draw). */
  private enter(experiment: NonNullable<Enrolment['experiment']>, draw: number): void {
    const arm = drawArm(experiment, draw);
    const changed = this.enrolment !== null && this.enrolment.arm !== arm;
    this.enrolment = { experiment, arm };
    this.state = { ...this.state, arm };
    this.outcomes.start(this.enrolment);
    this.hint(this.collapsed);
    if (changed) this.changed();
  }

  /** The note the next page's loader reads (`holdout-hint.ts`). */
  private hint(collapsed: boolean): void {
    writeHoldoutHint(this.config.model, collapsed, this.persistent);
  }

  private key(card: Card, placement: Placement): MetricKey {
    return { placement, modelVersion: card.modelVersion, variant: card.variant };
  }

  private currentProfile(): Promise<Profile> {
    if (!this.profile) {
      // Every element re-ranks on the same change: derive the profile once for all of them.
      // Events name variants; the profile and the model read their groups (an event on size M counts for the
      // jacket), and the profile keeps which size it was, for copy that names it.
      const pending = this.log.read().then((events) => deriveProfile(events, this.shop.lookup, Date.now(), this.itemKey));
      // A failed read is not cached: the next re-rank tries the store again.
      pending.catch(() => this.profile === pending && (this.profile = undefined));
      this.profile = pending;
    }
    return this.profile;
  }

  /**
   * The model's item for a product id: its variant group's key (`core/catalog.ts` `groupKey`); the id
   * itself before the catalog has loaded or where the catalog does not hold it.
   */
  itemKey = (id: string): string => this.shop.itemKey(id);

  /**
   * The model's item id for an event's item id, as ranking asks the model about it: its variant group
   * (`itemKey`), read as a variant the model knows where the model's items are variant ids
   * (`model-items.ts`). On-device training reads the shopper's events through it, so a model of either
   * shape trains on the items it ranks with.
   */
  modelItem = (id: string): string => this.shop.modelItems().input(this.itemKey(id));

  /** The catalog's products as this page loaded them (none before): on-device training reads the features of those new to the model. */
  catalogProducts = (): Product[] => [...this.shop.catalog.products.values()];

  /** Reads the pause switch, bandit counts and GPU probes kept from earlier pages. */
  private async restore(store: ProfileStore): Promise<void> {
    try {
      const [paused, bandit, hardware] = await Promise.all([store.getMeta<boolean>('paused'), store.getMeta<BanditState>('bandit'), store.getMeta<Hardware>('hardware')]);
      this.paused = paused === true;
      if (hardware && typeof hardware.webgpu === 'boolean' && typeof hardware.webgl === 'boolean' && Number.isFinite(hardware.at)) this.hardware = hardware;
      this.copy.restore(bandit);
    } catch {
      // Unreadable meta: start with none.
    }
    this.state = { ...this.state, storage: store.kind, paused: this.paused };
  }

  private saveSoon(ms = 1000): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => void this.log.serial((store) => this.persist(store)).catch(() => undefined), ms);
  }

  private async persist(store: ProfileStore): Promise<void> {
    await store.setMeta('bandit', this.copy.snapshot());
    if (this.paused) await store.setMeta('paused', true);
  }

  private flushOnLeave(): void {
    try {
      const flush = (): void => this.metrics.flush();
      // Hidden or left: sent now, and what is counted later goes out at once (`AnalyticsCounters.setLeaving`).
      const hidden = (): boolean => document.visibilityState === 'hidden';
      this.metrics.setLeaving(hidden());
      const wakeWrites = (): void => {
        for (const wake of this.leftPage) wake();
      };
      const onPageHide = (e: PageTransitionEvent): void => {
        this.metrics.setLeaving(true);
        wakeWrites();
        // Torn down, not kept for back/forward: nothing more will be ranked on this page.
        if (!e.persisted) {
          this.release();
          this.trainer?.stop();
        }
      };
      const onPageShow = (): void => this.metrics.setLeaving(hidden());
      const onVisibility = (): void => {
        this.metrics.setLeaving(hidden());
        if (hidden()) return wakeWrites();
        if (this.changedWhileHidden) {
          this.changedWhileHidden = false;
          this.changed();
        }
      };
      addEventListener('pagehide', onPageHide);
      addEventListener('pageshow', onPageShow);
      document.addEventListener('visibilitychange', onVisibility);
      const timer = setInterval(flush, FLUSH_MS);
      this.unlisten = () => {
        removeEventListener('pagehide', onPageHide);
        removeEventListener('pageshow', onPageShow);
        document.removeEventListener('visibilitychange', onVisibility);
        clearInterval(timer);
      };
    } catch {
      // No window (a worker, a test harness): flushes happen on demand only.
    }
  }

  /** Tells every row to re-rank; `reason` in the event's `detail` (see `ChangeReason`). */
  private changed(reason: ChangeReason = 'other'): void {
    this.profile = undefined;
    this.dispatchEvent(new CustomEvent<ChangeReason>('change', { detail: reason }));
  }

  /** Whether this device holds a verified copy of the model's manifest (and so, as a rule, its files). */
  private async modelCached(): Promise<boolean> {
    try {
      const cache = this.persistent ? (await this.log.current()).cache : undefined;
      // Not in the task that reads the event log back: each read is a task of its own.
      await yieldToPage();
      return (await cache?.manifest(this.config.model)) !== undefined;
    } catch {
      return false;
    }
  }

  private async loadCatalog(): Promise<void> {
    try {
      // Kept on the device only with storage consent, like the model cache.
      const cache = this.persistent ? (await this.log.current()).cache : undefined;
      const load: CatalogLoad = await this.shop.loadCatalog(cache);
      // A profile derived before the catalog knew the groups is stale.
      this.profile = undefined;
      this.state = { ...this.state, catalogLoad: load };
    } catch (e) {
      this.fail(`catalog unavailable: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async loadModel(): Promise<void> {
    try {
      // tfjs and its backend are the longest part of the way: asked for first.
      this.shop.preload();
      const store = await this.log.current();
      const source = { ...this.config, cache: this.persistent ? store.cache : undefined, canaryBucket: sessionBucket(this.persistent) };
      // How it runs is known once the GPU probes of an earlier visit are read (`restore`).
      const start = this.restored.catch(() => undefined).then(() => ({
        backend: this.config.backend,
        assetBase: this.config.assetBase,
        hardware: this.hardware,
        // Kept with the profile (erased with it); in memory only until the shopper consents to storage.
        onHardware: (hardware: Hardware) => void this.log.serial((s) => s.setMeta('hardware', hardware)).catch(() => undefined),
        onBackendChange: (backend: string, reason: string) => {
          if (__EDGE_RECS_DEV__) this.warn(`${reason}; continuing on ${backend}`);
          this.state = { ...this.state, backend };
          this.changed('model');
        },
      }));
      const { runtime, facts } = await this.shop.loadModel(source, start);
      this.state = { ...this.state, status: 'ready', backend: runtime.backend, modelVersion: runtime.modelVersion, modelLoad: runtime.loadStats };
      this.changed('model');
      this.federatedLearning = (await facts).federatedLearning;
      // Once the arm is known: a control device never trains.
      if (this.federatedLearning) await this.enrolled.then(() => this.startTraining());
    } catch (e) {
      this.fail(`model unavailable, showing bestsellers: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * Starts on-device training (a lazy chunk); it only ever trains and uploads with consent, see
   * `training/index.ts`. The chunk loads once the device holds enough interest events to train on
   * (`MIN_TRAINING_EVENTS`): a first visit with fewer fetches none of it.
   */
  private startTraining(): void {
    let attached = false;
    const attach = (): void => {
      // A trainer already attached (`attachTraining` called by the embedding, as tests do) stays the one.
      if (attached || this.trainer || this.abort.signal.aborted) return;
      attached = true;
      this.removeEventListener('change', onChange);
      import('../training/index.ts').then(
        (m) => {
          if (!this.abort.signal.aborted) this.trainer = m.attachTraining(this);
        },
        (e: unknown) => __EDGE_RECS_DEV__ && this.warn(`on-device training unavailable: ${String(e)}`),
      );
    };
    const check = (): void =>
      void this.events().then(
        (events) => interestSequence(events).length >= MIN_TRAINING_EVENTS && attach(),
        () => undefined,
      );
    const onChange = (): void => check();
    this.addEventListener('change', onChange, { signal: this.abort.signal });
    check();
  }

  private fail(message: string): void {
    // What `dispose` cancelled is not a failure to show.
    if (this.abort.signal.aborted) return;
    if (__EDGE_RECS_DEV__) this.warn(message);
    this.state = { ...this.state, status: 'fallback', error: message };
    this.dispatchEvent(new CustomEvent('error', { detail: message }));
    this.changed();
  }
}
