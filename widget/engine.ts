import { parsePopular, type Placement, type Popular } from '../core/analytics.ts';
import type { NextSteps } from '../core/artifact/next-steps.ts';
import { groupEvents, type Product } from '../core/catalog.ts';
import { ContractError } from '../core/errors.ts';
import { parseEvent, type ShopEvent } from '../core/events.ts';
import { normalizeItemId } from '../core/item-id.ts';
import { cardCatalog, cardFor, fetchCatalog, type CardCatalog, type CatalogLoad } from './catalog.ts';
import { Attributions, credit } from './attribution.ts';
import type { WidgetConfig } from './config.ts';
import { forgetBucket, sessionBucket } from './canary.ts';
import { Bandit, type BanditState } from './copy/bandit.ts';
import { candidateLines, TRENDING_MIN_SCORE, why, type CopyContext, type Line } from './copy/copy.ts';
import { Deduper, describeSource, type RawEvent } from './intake.ts';
import { MERCHANT_DEFAULTS, mergeMerchantConfig, rulesFor, type MerchantConfig } from './merchant.ts';
import { FLUSH_MS, AnalyticsCounters, type MetricKey, type Send } from './analytics-counters.ts';
import { deriveProfile, type Profile } from './profile.ts';
import { allowed, rank, type CandidateList, type Ranked, type Tier } from './ranking.ts';
import { popularEvidence, type PopularEvidence } from './popular.ts';
import { modelItems, type ModelItems } from './model-items.ts';
import { choseNext, type ChoseNext } from './next-steps.ts';
import type { Hardware, LoadStats, Runtime } from './runtime/index.ts';
import { fetchModel } from './runtime/model.ts';
import { DB_NAME, appendEvent, createMemoryStore, openProfileStore, type ProfileStore } from './store.ts';

export { PLACEMENTS, type Placement } from '../core/analytics.ts';

export interface RecRequest {
  placement: Placement;
  count: number;
  /** The product on screen; never shown back. */
  itemId?: string;
}

export interface Card {
  product: Product;
  /** The card's copy line, built only from catalog and profile facts (see `copy/copy.ts`). */
  reason: string;
  /** Copy variant id (`viewed.1`) for analytics. */
  variant: string;
  /** Bandit key of the line. */
  lineKey: string;
  /** The "why this" explanation. */
  why: string;
  /** Which step of the fallback chain produced the card. */
  tier: Tier;
  /** `model`: ranked on this device; `history`: from the shopper's own history; `fallback`: aggregates or catalog order. */
  source: 'model' | 'history' | 'fallback';
  /** Version of the model that ranked the row, or `fallback`. */
  modelVersion: string;
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

/** Consent as the loader reads it from `data-consent`, `edgeRecs.consent()` and Google Consent Mode. */
export interface ConsentState {
  /** Events, bandit counts and the model cache may be written to IndexedDB. */
  storage: boolean;
  /** Aggregate counters may be sent to `POST /v1/metrics`. */
  analytics: boolean;
}

export interface EngineOptions {
  config: WidgetConfig;
  /** Development-build warnings (a no-op in production builds). */
  warn: (message: string) => void;
  consent: ConsentState;
  /** Merchant configuration objects (`<script data-edge-recs-config>` blocks, `configure()` calls), in order. */
  merchant?: unknown[];
  /** Where metrics batches go; replaceable in tests. Default: `fetch(keepalive)`, else `sendBeacon`. */
  send?: Send;
  /** Random source of the copy bandit; replaceable in tests. Default `Math.random`. */
  random?: () => number;
}

/** Aggregates are a fallback: a slow answer must not hold the first cards back for long. */
const POPULAR_TIMEOUT_MS = 3_000;

/**
 * The page-wide recommendation engine, the lazily loaded half of the widget: one per page, shared by every
 * `<edge-recs>` element. Events are validated, de-duplicated and stored on the device; every change
 * (event, model ready, backend switch, route change) tells subscribers to re-rank.
 */
export class Engine extends EventTarget {
  /** The profile derived from the event log since the last change; shared by every element's re-rank. */
  private profile: Promise<Profile> | undefined;
  /**
   * The event log as this page knows it, oldest first: what ranking reads, so a re-rank never waits for
   * IndexedDB. An event is added here as soon as it is validated and written to the store in the
   * background (through `serial`, so the write still happens in order, and a failed one is reported).
   * `undefined` until the log has been read, and again once another tab changed the stored log or a write
   * failed: the next read then comes from the store, after every write queued before it.
   */
  private log: ShopEvent[] | undefined;
  /** Bumped whenever `log` is invalidated, so a read that started before cannot install a stale copy. */
  private logGeneration = 0;
  state: EngineState = { status: 'loading' };
  /** Consent as last set (options, `setConsent`): the on-device training step (`training/`) reads it before every run and upload. */
  consentState: ConsentState;
  /** The on-device federated trainer (lazy chunk `training/`), once the model has loaded, where the server takes updates. */
  trainer: import('./training/index.ts').FederatedTrainer | undefined;
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
  readonly metrics: AnalyticsCounters;
  private catalog = new Map<string, Product>();
  /** One product per variant group, the variant its card shows, by group key (`catalog.ts` `cardCatalog`): what ranking reads. */
  private cards = new Map<string, Product>();
  /** Group keys whose every variant is out of stock. */
  private outOfStock = new Set<string>();
  /** Each variant group's own name (`catalog.ts` `CardCatalog.title`), for copy about other shoppers. */
  private groupTitle: (key: string) => string | undefined = () => undefined;
  private popular: Popular = { updatedAt: '', trending: [], bestsellers: [] };
  /** `popular` indexed by variant group, for copy; rebuilt when the lists or the catalog's groups load. */
  private evidence: PopularEvidence = popularEvidence(this.popular, (id) => id);
  private runtime: Runtime | null = null;
  /** The model's item ids (its manifest's `items`), once its bytes are verified. */
  private modelIds: readonly string[] = [];
  /** The model's ids for variant groups (`model-items.ts`); built on first use after the catalog or the model loads. */
  private items: ModelItems | undefined;
  /** What shoppers chose next, from the model's verified artifact; none: copy claims nothing about shoppers' next steps. */
  private nextSteps: NextSteps | undefined;
  /** `nextSteps` by variant group (`next-steps.ts`); built on first use after the catalog or the model loads. */
  private nextByGroup: ChoseNext | undefined;
  private persistent: boolean;
  private paused = false;
  private store: Promise<ProfileStore>;
  /** Serializes store access, so an event is stored before a later read and a consent switch sees every event. */
  private ops: Promise<unknown> = Promise.resolve();
  private readonly catalogReady: Promise<void>;
  private readonly popularReady: Promise<void>;
  private readonly dedupe = new Deduper();
  private bandit: Bandit;
  /** The line each card shows, kept for the page view so copy does not change under the shopper's eyes. */
  private lines = new Map<string, Line>();
  /** Card clicks awaiting an add-to-cart or purchase (`attribution.ts`): `localStorage` with storage consent. */
  private attributions: Attributions;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly random: () => number;
  /** The GPU probes' result from an earlier visit (`meta.hardware`), read by `restore`. */
  private hardware: Hardware | undefined;
  private readonly restored: Promise<void>;
  /** Another tab changed the log while this one was hidden: re-rank when it is shown. */
  private changedWhileHidden = false;

  constructor(options: EngineOptions) {
    super();
    this.config = options.config;
    this.warn = options.warn;
    this.random = options.random ?? Math.random;
    this.bandit = new Bandit({}, this.random);
    for (const raw of options.merchant ?? []) this.configure(raw);
    this.persistent = options.consent.storage;
    this.attributions = new Attributions(this.persistent);
    this.consentState = { storage: options.consent.storage, analytics: options.consent.analytics };
    this.metrics = new AnalyticsCounters(`${this.config.server}/v1/metrics`, this.config.model, options.send);
    this.metrics.setEnabled(options.consent.analytics);
    // Before consent nothing may touch IndexedDB, not even to create the database.
    this.store = this.persistent ? this.openDurable() : Promise.resolve(createMemoryStore());
    // The generation is taken now: an event taken in before the read runs is queued after it, so the
    // log that read returns would lack it.
    const generation = this.logGeneration;
    const restored = (this.restored = this.serial((store) => this.restore(store, generation)));
    this.catalogReady = this.loadCatalog();
    this.popularReady = this.loadPopular();
    // The model loads beside the catalog, not after it; the fallback chain shows until it is ready.
    void this.loadModel();
    this.ready = Promise.all([this.store, restored, this.catalogReady]).then(() => undefined);
    this.flushOnLeave();
  }

  /** Opens the shopper's profile panel; set by the element chunk (`app.ts`), which owns the DOM. */
  openProfile: () => Promise<void> = async () => undefined;

  /** Merges a merchant configuration object (`edgeRecs.configure()`) and re-ranks. */
  configure(raw: unknown): void {
    this.merchant = mergeMerchantConfig(this.merchant, raw, this.warn);
    this.lines.clear();
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
    // Unless the loader credited it already, as the page it was queued on went before the engine loaded.
    if ((event.name === 'add_to_cart' || event.name === 'purchase') && !raw.attributed) this.attribute(event);
    if (this.paused) return Promise.resolve(false);
    // Re-rank from memory now; the write commits in the background. Where the log is not in memory, the
    // re-rank's read is queued behind this write and so sees the event too.
    if (this.log) this.log = appendEvent(this.log, event);
    else this.logGeneration++;
    const stored = this.serial((store) => store.add(event)).then(
      () => true,
      (e: unknown) => {
        if (__EDGE_RECS_DEV__) this.warn(`could not store ${event.name}: ${String(e)}`);
        // Memory must not drift from the store: the next re-rank reads what was really kept.
        this.invalidateLog();
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
    return this.serial((store) => store.events());
  }

  /** Erases everything this widget stored on the device: events, bandit counts, attribution, the model cache, the catalog copy, unsent metrics. */
  async forget(): Promise<void> {
    this.dedupe.clear();
    this.metrics.clear();
    this.bandit.clear();
    this.attributions.clear();
    this.lines.clear();
    clearTimeout(this.saveTimer);
    forgetBucket();
    this.log = [];
    this.logGeneration++;
    this.changed();
    await this.serial((store) => store.clear());
  }

  /**
   * Pauses (or resumes) personalisation: while paused no event is stored and copy learns nothing; the
   * cards keep using what is already stored. The switch itself is stored, so it holds on later pages.
   */
  async pause(on: boolean): Promise<void> {
    this.paused = on;
    this.state = { ...this.state, paused: on };
    await this.serial((store) => store.setMeta('paused', on)).catch(() => undefined);
    this.changed();
  }

  /** The shopper's profile as the panel shows it. */
  async summary(): Promise<ProfileSummary> {
    const store = await this.store;
    // Prices are the catalog's, in its currency: read once it has loaded (or failed to).
    await this.catalogReady;
    const currency = this.catalog.values().next().value?.currency;
    return { profile: await this.currentProfile(), storage: store.kind, paused: this.paused, locale: this.config.locale, ...(currency ? { currency } : {}) };
  }

  /**
   * Applies a consent change (`edgeRecs.consent()`, a Google Consent Mode update). Storage granted: the
   * events kept in memory so far go to IndexedDB and later ones too. Storage withdrawn: everything stored
   * is erased and the page continues in memory.
   */
  setConsent(consent: ConsentState & { withdraw?: boolean }): Promise<void> {
    this.metrics.setEnabled(consent.analytics);
    this.attributions.setPersistent(consent.storage, consent.withdraw === true);
    this.consentState = { storage: consent.storage, analytics: consent.analytics };
    if (consent.storage && !this.persistent) {
      this.persistent = true;
      return this.serial(async (memory) => {
        const durable = await this.openDurable();
        for (const event of await memory.events()) await durable.add(event);
        memory.close();
        this.store = Promise.resolve(durable);
        await this.persist(durable);
        this.state = { ...this.state, storage: durable.kind };
        // The device may hold events from earlier pages where the shopper had consented.
        this.invalidateLog();
        this.changed();
      });
    }
    if (!consent.storage && (this.persistent || consent.withdraw)) {
      const wasPersistent = this.persistent;
      this.persistent = false;
      forgetBucket();
      return this.serial(async (durable) => {
        const memory = createMemoryStore();
        for (const event of await durable.events()) await memory.add(event);
        if (wasPersistent) await durable.clear().catch(() => undefined);
        durable.close();
        // Deleting never creates a database, so this is safe where nothing was ever stored.
        await new Promise<void>((resolve) => {
          try {
            const req = indexedDB.deleteDatabase(DB_NAME);
            req.onsuccess = req.onerror = req.onblocked = () => resolve();
          } catch {
            resolve();
          }
        });
        this.store = Promise.resolve(memory);
        this.state = { ...this.state, storage: 'memory' };
        this.changed();
      });
    }
    return this.serial(async () => undefined);
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
    this.metrics.count(this.key(card, placement), 'impression');
    if (!this.paused) {
      this.bandit.shown(card.lineKey);
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
    this.metrics.count(key, 'click');
    if (!this.paused) {
      this.bandit.clicked(card.lineKey);
      // Only where the counters it feeds may be sent: without analytics consent nothing is remembered.
      // Kept for the card's variant group: the shopper may pick another size before adding to cart. The
      // group's variant ids and currency go with it: a later page may report the purchase before it has
      // the catalog, which is what maps a size to its group.
      if (this.consentState.analytics) {
        const group = this.itemKey(card.product.id);
        const items = [...this.catalog.keys()].filter((id) => this.itemKey(id) === group);
        this.attributions.click(group, key, { items, currency: card.product.currency });
      }
      this.saveSoon(0);
    }
    void this.track('select_item', {
      items: [{ item_id: card.product.id, item_category: card.product.product_type, price: card.product.sale_price ?? card.product.price }],
      placement,
    });
  }

  /** Cards for one placement. Never random; empty only when there is nothing true to show. */
  async recommend(request: RecRequest): Promise<Card[]> {
    await this.catalogReady;
    await this.popularReady;
    const profile = await this.currentProfile();
    const rules = rulesFor(this.merchant, request.placement);
    // The product on screen as its group: the jacket's other sizes are not "similar" to it.
    const onScreen = request.itemId === undefined ? undefined : normalizeItemId(request.itemId);
    const itemId = onScreen === undefined ? undefined : this.itemKey(onScreen);
    const exclude = new Set<string>([...profile.purchased, ...profile.cart, ...this.outOfStock]);
    if (itemId) exclude.add(itemId);
    let rows: Ranked[];
    const runtime = this.runtime;
    if (request.placement === 'recently-viewed') {
      // Only what the shopper really viewed: filling up with other products would make the row lie. Like
      // every row, never what was bought, is in the cart, is out of stock or is on screen (`exclude`).
      rows = [];
      for (const id of profile.viewed) {
        // The size the shopper viewed, where it can be ordered; else the group's card (copy then says no "You viewed this").
        const product = cardFor(this.view(), id, profile.variants.viewed.get(id));
        if (product && !exclude.has(id) && allowed(product, { include: rules.include, exclude: rules.exclude }, new Set())) rows.push({ product, tier: 'history', boosted: false });
        if (rows.length >= request.count) break;
      }
    } else {
      const lists: CandidateList[] = [];
      if (request.placement !== 'trending' && runtime) {
        // More candidates than cards: rules and diversity drop some.
        const k = request.count * 4 + (rules.pin?.length ?? 0);
        // The model's picks leave out what the shopper already looked at (as the published evaluation
        // protocol does); `recently-viewed` is the row for those, and the fallback tiers may still show them.
        const unseen = new Set([...exclude, ...profile.sequence]);
        const model = async (tier: Tier, history: string[]): Promise<void> => {
          // A history of products the model never saw tells it nothing: no list, rather than one that
          // looks personal (or "similar" to the product on screen) and is not.
          // Asked in the model's ids: a model of variant ids reads a group as a variant it knows.
          const items = this.itemsOfModel();
          const input = history.map(items.input);
          const basis = runtime.basis(input).map(this.itemKey);
          if (basis.length === 0) return;
          try {
            lists.push({ tier, items: await runtime.recommend(input, k, new Set([...unseen].flatMap(items.ids))), basis });
          } catch (e) {
            if (__EDGE_RECS_DEV__) this.warn(`ranking failed, using the fallback chain: ${String(e)}`);
          }
        };
        if (request.placement === 'similar') await model(itemId ? 'similar' : 'personal', itemId ? [...profile.sequence, itemId] : profile.sequence);
        else if (request.placement === 'cart') await model('personal', [...profile.sequence.filter((id) => !profile.cart.includes(id)), ...profile.cart]);
        else await model('personal', profile.sequence);
        if (itemId && request.placement !== 'similar') await model('similar', [itemId]);
      }
      // Trending only where the counts are evidence (`TRENDING_MIN_SCORE`); the rest is not ranked as trending.
      const trending = this.popular.trending.filter((t) => t.score >= TRENDING_MIN_SCORE);
      lists.push({ tier: 'trending', items: trending }, { tier: 'bestseller', items: this.popular.bestsellers });
      // Ranked by group; each card then shows the size the shopper last viewed, added or bought, where it can be ordered.
      rows = rank({ count: request.count, catalog: this.cards, exclude, lists, rules, keyOf: this.itemKey }).map((r) => {
        const key = this.itemKey(r.product.id);
        const product = cardFor(this.view(), key, profile.variants.latest.get(key)) ?? r.product;
        return product === r.product ? r : { ...r, product };
      });
    }
    const modelVersion = runtime?.modelVersion ?? 'fallback';
    const ctx: CopyContext = {
      locale: this.config.locale,
      placement: request.placement,
      profile,
      // By own id first: copy names the size the shopper viewed or added, not the one a card would show.
      product: (id) => this.catalog.get(id) ?? this.cards.get(id),
      currentItem: itemId,
      onScreen,
      lowStock: this.merchant.lowStock,
      overrides: this.merchant.copy,
      trendingScore: this.evidence.trendingScore,
      bestseller: this.evidence.bestseller,
      choseNext: (this.nextByGroup ??= choseNext(this.nextSteps, this.itemKey)),
      groupTitle: this.groupTitle,
    };
    return rows.map((r) => {
      const line = this.line(r, ctx);
      const fromModel = r.tier === 'personal' || r.tier === 'similar';
      return {
        product: r.product,
        reason: line.text,
        variant: line.variant,
        lineKey: line.key,
        why: why(r, ctx),
        tier: r.tier,
        source: fromModel ? 'model' : r.tier === 'history' ? 'history' : 'fallback',
        modelVersion: fromModel ? modelVersion : 'fallback',
      };
    });
  }

  /** The line a card shows: the one chosen earlier on this page while it is still true, else a new bandit choice. */
  private line(r: Ranked, ctx: CopyContext): Line {
    const candidates = candidateLines(r, ctx);
    const id = `${ctx.placement}|${r.product.id}`;
    const kept = this.lines.get(id);
    if (kept && candidates.some((c) => c.key === kept.key && c.text === kept.text)) return kept;
    const key = this.bandit.choose(candidates.map((c) => c.key));
    const chosen = candidates.find((c) => c.key === key)!;
    this.lines.set(id, chosen);
    return chosen;
  }

  private key(card: Card, placement: Placement): MetricKey {
    return { placement, modelVersion: card.modelVersion, variant: card.variant };
  }

  /** Credits an add-to-cart or purchase to the cards clicked for its items (rules: `attribution.ts`). */
  private attribute(named: ShopEvent): void {
    // Clicks are kept by variant group (see `click`), so the event's items are read as their groups too.
    const event = groupEvents([named], this.itemKey)[0]!;
    const refused = credit(event, this.attributions, this.metrics, (id) => this.lookup(id)?.currency);
    if (__EDGE_RECS_DEV__) {
      for (const { currency, amount } of refused) this.warn(`purchase revenue of ${amount} minor units of ${currency} not counted: over the per-batch limit or not an ISO 4217 currency`);
    }
  }

  private currentProfile(): Promise<Profile> {
    if (!this.profile) {
      // Every element re-ranks on the same change: derive the profile once for all of them.
      const log = this.log;
      // Events name variants; the profile and the model read their groups (an event on size M counts for the
      // jacket), and the profile keeps which size it was, for copy that names it.
      const derive = (events: readonly ShopEvent[]): Profile => deriveProfile(events, this.lookup, Date.now(), this.itemKey);
      const pending = log ? Promise.resolve(derive(log)) : this.readLog().then(derive);
      // A failed read is not cached: the next re-rank tries the store again.
      pending.catch(() => this.profile === pending && (this.profile = undefined));
      this.profile = pending;
    }
    return this.profile;
  }

  /** A group's card product by group key, else a product by its own id. */
  private readonly lookup = (id: string): Product | undefined => this.cards.get(id) ?? this.catalog.get(id);

  /**
   * The model's item for a product id: its variant group's key (`core/catalog.ts` `groupKey`); the id
   * itself before the catalog has loaded or where the catalog does not hold it.
   */
  itemKey = (id: string): string => id;

  /**
   * The model's item id for an event's item id, as ranking asks the model about it: its variant group
   * (`itemKey`), read as a variant the model knows where the model's items are variant ids
   * (`model-items.ts`). On-device training reads the shopper's events through it, so a model of either
   * shape trains on the items it ranks with.
   */
  modelItem = (id: string): string => this.itemsOfModel().input(this.itemKey(id));

  /** The catalog's products, cards and groups as `catalog.ts` reads them. */
  private view(): Pick<CardCatalog, 'products' | 'cards' | 'key'> {
    return { products: this.catalog, cards: this.cards, key: this.itemKey };
  }

  /** The model's ids for variant groups, built on first use after the catalog or the model loaded. */
  private itemsOfModel(): ModelItems {
    return (this.items ??= modelItems(this.modelIds, this.view()));
  }

  /** Reads the log from the store (after every queued write) and keeps it, unless it changed meanwhile. */
  private readLog(): Promise<ShopEvent[]> {
    const generation = this.logGeneration;
    return this.serial((store) => store.events()).then((events) => {
      if (generation === this.logGeneration) this.log = events;
      return events;
    });
  }

  private invalidateLog(): void {
    this.log = undefined;
    this.logGeneration++;
  }

  /** IndexedDB, telling this engine when another tab changed the log, so it is read again. */
  private openDurable(): Promise<ProfileStore> {
    return openProfileStore({
      onExternalChange: () => {
        this.invalidateLog();
        // Rows follow what the shopper does in another tab of the shop; a hidden tab catches up when shown.
        if (typeof document === 'undefined' || document.visibilityState !== 'hidden') this.changed();
        else this.changedWhileHidden = true;
      },
    });
  }

  /** Reads the event log, the pause switch and bandit counts kept from earlier pages. */
  private async restore(store: ProfileStore, generation: number): Promise<void> {
    try {
      const [paused, bandit, hardware, events] = await Promise.all([
        store.getMeta<boolean>('paused'),
        store.getMeta<BanditState>('bandit'),
        store.getMeta<Hardware>('hardware'),
        // Unreadable: left unknown, so the first re-rank tries again.
        store.events().catch(() => undefined),
      ]);
      if (events && generation === this.logGeneration) this.log = events;
      this.paused = paused === true;
      if (hardware && typeof hardware.webgpu === 'boolean' && typeof hardware.webgl === 'boolean' && Number.isFinite(hardware.at)) this.hardware = hardware;
      this.bandit = new Bandit(bandit ?? {}, this.random);
    } catch {
      // Unreadable meta: start with none.
    }
    this.state = { ...this.state, storage: store.kind, paused: this.paused };
  }

  private saveSoon(ms = 1000): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => void this.serial((store) => this.persist(store)).catch(() => undefined), ms);
  }

  private async persist(store: ProfileStore): Promise<void> {
    await store.setMeta('bandit', this.bandit.snapshot());
    if (this.paused) await store.setMeta('paused', true);
  }

  private flushOnLeave(): void {
    try {
      const flush = (): void => this.metrics.flush();
      // Hidden or left: sent now, and what is counted later goes out at once (`AnalyticsCounters.setLeaving`).
      const hidden = (): boolean => document.visibilityState === 'hidden';
      this.metrics.setLeaving(hidden());
      addEventListener('pagehide', () => this.metrics.setLeaving(true));
      addEventListener('pageshow', () => this.metrics.setLeaving(hidden()));
      document.addEventListener('visibilitychange', () => {
        this.metrics.setLeaving(hidden());
        if (hidden()) return;
        if (this.changedWhileHidden) {
          this.changedWhileHidden = false;
          this.changed();
        }
      });
      setInterval(flush, FLUSH_MS);
    } catch {
      // No window (a worker, a test harness): flushes happen on demand only.
    }
  }

  private serial<T>(fn: (store: ProfileStore) => Promise<T>): Promise<T> {
    const run = this.ops.then(async () => fn(await this.store));
    this.ops = run.catch(() => undefined);
    return run;
  }

  private changed(): void {
    this.profile = undefined;
    this.dispatchEvent(new Event('change'));
  }

  private async loadCatalog(): Promise<void> {
    const { server, trusted, requireSignedCatalog } = this.config;
    try {
      // Kept on the device only with storage consent, like the model cache.
      const cache = this.persistent ? (await this.store).cache : undefined;
      const { catalog, load } = await fetchCatalog({ server, cache, trusted, requireSigned: requireSignedCatalog === true });
      const view = cardCatalog(catalog);
      this.catalog = view.products;
      this.cards = view.cards;
      this.outOfStock = view.outOfStock;
      this.groupTitle = view.title;
      this.itemKey = view.key;
      this.evidence = popularEvidence(this.popular, this.itemKey);
      this.items = undefined;
      this.nextByGroup = undefined;
      // A profile derived before the catalog knew the groups is stale.
      this.profile = undefined;
      this.state = { ...this.state, catalogLoad: load };
    } catch (e) {
      this.fail(`catalog unavailable: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** `GET /v1/popular`: trending and bestsellers from the server's aggregates. Missing or invalid: empty lists. */
  private async loadPopular(): Promise<void> {
    const { server, model } = this.config;
    try {
      // `no-store`: the HTTP cache would revalidate with whatever ETag or date the server gave (a possible per-shopper id).
      const res = await fetch(`${server}/v1/popular?model=${encodeURIComponent(model)}`, { credentials: 'omit', cache: 'no-store', signal: AbortSignal.timeout(POPULAR_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      this.popular = parsePopular(await res.json());
      this.evidence = popularEvidence(this.popular, this.itemKey);
    } catch (e) {
      if (__EDGE_RECS_DEV__) this.warn(`no trending or bestseller lists from ${server}/v1/popular (${String(e)}); using the catalog order`);
    }
  }

  private async loadModel(): Promise<void> {
    try {
      // tfjs and its backend are the longest part of the way: asked for first.
      const runtimeChunk = import('./runtime/index.ts');
      runtimeChunk.catch(() => undefined);
      const store = await this.store;
      const source = { ...this.config, cache: this.persistent ? store.cache : undefined, canaryBucket: sessionBucket(this.persistent) };
      // The model's bytes are fetched (or read from the cache) and verified while tfjs loads and starts.
      const artifact = fetchModel(source);
      // Before the runtime is set (it awaits the same promise): ranking never pairs it with the wrong ids.
      artifact.then(
        (a) => {
          this.modelIds = a.itemIds;
          this.items = undefined;
          this.nextSteps = a.nextSteps;
          this.nextByGroup = undefined;
        },
        () => undefined,
      );
      const [{ startRuntime }] = await Promise.all([runtimeChunk, this.restored.catch(() => undefined)]);
      this.runtime = await startRuntime({
        ...source,
        artifact,
        hardware: this.hardware,
        // Kept with the profile (erased with it); in memory only until the shopper consents to storage.
        onHardware: (hardware) => void this.serial((s) => s.setMeta('hardware', hardware)).catch(() => undefined),
        onBackendChange: (backend, reason) => {
          if (__EDGE_RECS_DEV__) this.warn(`${reason}; continuing on ${backend}`);
          this.state = { ...this.state, backend };
          this.changed();
        },
      });
      this.state = { ...this.state, status: 'ready', backend: this.runtime.backend, modelVersion: this.runtime.modelVersion, modelLoad: this.runtime.loadStats };
      this.changed();
      this.federatedLearning = (await artifact).federatedLearning;
      if (this.federatedLearning) this.startTraining();
    } catch (e) {
      this.fail(`model unavailable, showing bestsellers: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Starts on-device training (a lazy chunk); it only ever trains and uploads with consent, see `training/index.ts`. */
  private startTraining(): void {
    import('./training/index.ts').then(
      (m) => (this.trainer = m.attachTraining(this)),
      (e: unknown) => __EDGE_RECS_DEV__ && this.warn(`on-device training unavailable: ${String(e)}`),
    );
  }

  private fail(message: string): void {
    if (__EDGE_RECS_DEV__) this.warn(message);
    this.state = { ...this.state, status: 'fallback', error: message };
    this.dispatchEvent(new CustomEvent('error', { detail: message }));
    this.changed();
  }
}
