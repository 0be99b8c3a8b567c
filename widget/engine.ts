import { parseCatalog, type Product } from '../core/catalog.ts';
import { ContractError } from '../core/errors.ts';
import { parseEvent, type ShopEvent } from '../core/events.ts';
import type { WidgetConfig } from './config.ts';
import { Deduper, describeSource, type RawEvent } from './intake.ts';
import { deriveProfile, type Profile } from './profile.ts';
import type { Runtime } from './runtime/index.ts';
import { createMemoryStore, openProfileStore, type ProfileStore } from './store.ts';

/**
 * Where a `<edge-recs>` element sits, which decides what it shows:
 * - `for-you`: the model's ranking after the shopper's whole history;
 * - `similar`: what shoppers pick after `item-id`;
 * - `cart`: what completes the basket;
 * - `recently-viewed`: the shopper's own viewed items, most recent first (from the on-device profile);
 * - `trending`: for now the catalog's own order (merchants list bestsellers first), until the edge server
 *   publishes aggregate trends; it shows no invented popularity.
 */
export const PLACEMENTS = ['for-you', 'similar', 'cart', 'recently-viewed', 'trending'] as const;
export type Placement = (typeof PLACEMENTS)[number];

export interface RecRequest {
  placement: Placement;
  count: number;
  /** The product on screen; never shown back. */
  itemId?: string;
}

export interface Card {
  product: Product;
  /** Short "why this" line, built only from catalog and profile facts. */
  reason: string;
  /** `model`: ranked on this device; `history`: from the shopper's own history; `fallback`: catalog order. */
  source: 'model' | 'history' | 'fallback';
}

export interface EngineState {
  status: 'loading' | 'ready' | 'fallback';
  backend?: string;
  modelVersion?: string;
  error?: string;
}

export interface EngineOptions {
  config: WidgetConfig;
  /** Development-build warnings (a no-op in production builds). */
  warn: (message: string) => void;
  /** `window.edgeRecs.consent()` was called before the engine loaded. */
  consented?: boolean;
}

/** The catalog is small JSON from the shop's own edge server; this bounds a hung request. */
const CATALOG_TIMEOUT_MS = 15_000;

/**
 * The page-wide recommendation engine, the lazily loaded half of the widget: one per page, shared by every
 * `<edge-recs>` element. Events are validated, de-duplicated and stored on the device; every change
 * (event, model ready, route change) tells subscribers to re-rank.
 */
export class Engine extends EventTarget {
  /** The profile derived from the store since the last change; shared by every element's re-rank. */
  private profile: Promise<Profile> | undefined;
  state: EngineState = { status: 'loading' };
  /** Store and catalog loaded (the model may still be loading; cards show the catalog fallback until then). */
  readonly ready: Promise<void>;
  readonly warn: (message: string) => void;
  readonly config: WidgetConfig;
  private catalog = new Map<string, Product>();
  private runtime: Runtime | null = null;
  private persistent: boolean;
  private store: Promise<ProfileStore>;
  /** Serializes store access, so an event is stored before a later read and a consent switch sees every event. */
  private ops: Promise<unknown> = Promise.resolve();
  private readonly catalogReady: Promise<void>;
  private readonly dedupe = new Deduper();

  constructor(options: EngineOptions) {
    super();
    this.config = options.config;
    this.warn = options.warn;
    this.persistent = options.config.consent === 'granted' || options.consented === true;
    // Before consent nothing may touch IndexedDB, not even to create the database.
    this.store = this.persistent ? openProfileStore() : Promise.resolve(createMemoryStore());
    this.catalogReady = this.loadCatalog();
    this.ready = Promise.all([this.store, this.catalogReady]).then(() => undefined);
  }

  /**
   * Validates, de-duplicates (see `Deduper`) and stores one captured event, then asks every placement to
   * re-rank. Resolves to whether it was stored; never rejects. Invalid events are dropped with a dev-mode
   * warning naming the source and the field at fault.
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
    return this.serial((store) => store.add(event)).then(
      () => {
        this.changed();
        return true;
      },
      (e: unknown) => {
        if (__EDGE_RECS_DEV__) this.warn(`could not store ${event.name}: ${String(e)}`);
        return false;
      },
    );
  }

  /** An event from one of the widget's own cards. */
  track(name: string, params: unknown): Promise<boolean> {
    return this.intake({ name, params, source: 'widget', at: Date.now() });
  }

  /** Stored events, oldest first (for the shopper's profile panel and tests). */
  events(): Promise<ShopEvent[]> {
    return this.serial((store) => store.events());
  }

  /** Erases everything this widget stored on the device. */
  async forget(): Promise<void> {
    this.dedupe.clear();
    await this.serial((store) => store.clear());
    this.changed();
  }

  /**
   * The shopper consented (`data-consent="required"`): from now on events go to IndexedDB, starting with
   * the ones kept in memory so far on this page. A no-op when storage is already allowed.
   */
  consent(): Promise<void> {
    if (this.persistent) return this.serial(async () => undefined);
    this.persistent = true;
    return this.serial(async (memory) => {
      const durable = await openProfileStore();
      for (const event of await memory.events()) await durable.add(event);
      memory.close();
      this.store = Promise.resolve(durable);
    });
  }

  /** Asks every `<edge-recs>` element to re-rank (`window.edgeRecs.refresh()`). */
  refresh(): void {
    this.changed();
  }

  /** Cards for one placement. Never random; empty only when there is nothing true to show. */
  async recommend(request: RecRequest): Promise<Card[]> {
    await this.catalogReady;
    // Every element re-ranks on the same change: read and derive the profile once for all of them.
    if (!this.profile) {
      const pending = this.events().then(deriveProfile);
      // A failed read is not cached: the next re-rank tries the store again.
      pending.catch(() => this.profile === pending && (this.profile = undefined));
      this.profile = pending;
    }
    const profile = await this.profile;
    const available = (id: string): Product | undefined => {
      const product = this.catalog.get(id);
      return product && product.availability !== 'out_of_stock' && id !== request.itemId ? product : undefined;
    };
    if (request.placement === 'recently-viewed') {
      // Only what the shopper really viewed: filling up with other products would make the row lie.
      const cards: Card[] = [];
      for (const id of profile.viewed) {
        const product = available(id);
        if (product) cards.push({ product, reason: 'You viewed this', source: 'history' });
        if (cards.length >= request.count) break;
      }
      return cards;
    }
    const exclude = new Set([...profile.purchased, ...profile.cart]);
    if (request.itemId) exclude.add(request.itemId);
    for (const p of this.catalog.values()) if (p.availability === 'out_of_stock') exclude.add(p.id);
    const cards: Card[] = [];
    if (request.placement !== 'trending') {
      let history = profile.sequence;
      if (request.placement === 'similar' && request.itemId) history = [...history, request.itemId];
      if (request.placement === 'cart') history = [...history.filter((id) => !profile.cart.includes(id)), ...profile.cart];
      if (this.runtime && history.length > 0) {
        try {
          const ranked = await this.runtime.recommend(history, request.count, exclude);
          for (const { id } of ranked) {
            const product = this.catalog.get(id);
            if (product) cards.push({ product, reason: this.reason(request, profile, history), source: 'model' });
          }
        } catch (e) {
          if (__EDGE_RECS_DEV__) this.warn(`ranking failed, showing bestsellers: ${String(e)}`);
        }
      }
    }
    // Never empty, never random: fill with the catalog's own order (merchants list bestsellers first). This
    // is also all `trending` is until the edge server publishes aggregate trends.
    for (const product of this.catalog.values()) {
      if (cards.length >= request.count) break;
      if (!exclude.has(product.id) && !cards.some((c) => c.product.id === product.id)) {
        cards.push({ product, reason: 'Popular in our shop', source: 'fallback' });
      }
    }
    return cards;
  }

  private reason(request: RecRequest, profile: Profile, history: string[]): string {
    const title = (id: string | undefined) => (id ? this.catalog.get(id)?.title : undefined);
    if (request.placement === 'cart' && profile.cart.length > 0) return `Goes with ${title(profile.cart.at(-1)) ?? 'your cart'}`;
    if (request.placement === 'similar' && request.itemId && title(request.itemId)) {
      return `Shoppers who viewed ${title(request.itemId)} chose this next`;
    }
    const last = title(history.at(-1));
    return last ? `Because you viewed ${last}` : 'Picked for you';
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
    const { server } = this.config;
    try {
      const res = await fetch(`${server}/v1/catalog`, { credentials: 'omit', signal: AbortSignal.timeout(CATALOG_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`GET ${server}/v1/catalog: HTTP ${res.status}`);
      for (const p of parseCatalog(await res.json()).products) this.catalog.set(p.id, p);
    } catch (e) {
      this.fail(`catalog unavailable: ${e instanceof Error ? e.message : String(e)}`);
    }
    // The model loads in the background; the catalog fallback shows until it is ready.
    void this.loadModel();
  }

  private async loadModel(): Promise<void> {
    try {
      const { startRuntime } = await import('./runtime/index.ts');
      this.runtime = await startRuntime({ ...this.config, trusted: this.config.trusted });
      this.state = { status: 'ready', backend: this.runtime.backend, modelVersion: this.runtime.modelVersion };
      this.changed();
    } catch (e) {
      this.fail(`model unavailable, showing bestsellers: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private fail(message: string): void {
    if (__EDGE_RECS_DEV__) this.warn(message);
    this.state = { ...this.state, status: 'fallback', error: message };
    this.dispatchEvent(new CustomEvent('error', { detail: message }));
    this.changed();
  }
}
