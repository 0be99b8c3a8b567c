import { parseCatalog, type Product } from '../core/catalog.ts';
import { ContractError } from '../core/errors.ts';
import { parseEvent, type ShopEvent } from '../core/events.ts';
import type { WidgetConfig } from './config.ts';
import type { Runtime } from './runtime/index.ts';
import { deriveProfile, type Profile } from './profile.ts';
import { openProfileStore, type ProfileStore } from './store.ts';

/** Where a `<edge-recs>` element sits, which decides what it recommends. */
export const PLACEMENTS = ['for-you', 'similar', 'cart'] as const;
export type Placement = (typeof PLACEMENTS)[number];

export interface RecRequest {
  placement: Placement;
  count: number;
  /** The product on screen (`similar`); excluded from the results. */
  itemId?: string;
}

export interface Card {
  product: Product;
  /** Short "why this" line, built only from catalog and profile facts. */
  reason: string;
  source: 'model' | 'fallback';
}

export interface EngineState {
  status: 'loading' | 'ready' | 'fallback';
  backend?: string;
  modelVersion?: string;
  error?: string;
}


/**
 * The page-wide recommendation engine: one per page, shared by every `<edge-recs>` element. Events go to
 * the on-device store, and every change (event, model ready) tells subscribers to re-rank.
 */
export class Engine extends EventTarget {
  state: EngineState = { status: 'loading' };
  private catalog = new Map<string, Product>();
  private runtime: Runtime | null = null;
  private readonly ready: Promise<void>;
  private store!: ProfileStore;

  constructor(
    readonly config: WidgetConfig,
    private readonly warn: (message: string) => void,
  ) {
    super();
    this.ready = this.start();
  }

  /** Validates and stores one event, then asks every placement to re-rank. Invalid events are dropped with a warning. */
  async track(name: unknown, params: unknown): Promise<boolean> {
    let event: ShopEvent;
    try {
      event = parseEvent(name, params);
    } catch (e) {
      this.warn(e instanceof ContractError ? e.message : String(e));
      return false;
    }
    await this.ready;
    await this.store.add(event).catch((e: unknown) => this.warn(`could not store event: ${String(e)}`));
    this.changed();
    return true;
  }

  /** Stored events, oldest first (for the shopper's profile panel and tests). */
  async events(): Promise<ShopEvent[]> {
    await this.ready;
    return this.store.events();
  }

  /** Erases everything this widget stored on the device. */
  async forget(): Promise<void> {
    await this.ready;
    await this.store.clear();
    this.changed();
  }

  /** Cards for one placement: the model's ranking when it is loaded, the catalog's bestsellers otherwise. */
  async recommend(request: RecRequest): Promise<Card[]> {
    await this.ready;
    const profile = deriveProfile(await this.store.events());
    const exclude = new Set([...profile.purchased, ...profile.cart]);
    if (request.itemId) exclude.add(request.itemId);
    for (const p of this.catalog.values()) if (p.availability === 'out_of_stock') exclude.add(p.id);
    let history = profile.sequence;
    if (request.placement === 'similar' && request.itemId) history = [...history, request.itemId];
    if (request.placement === 'cart') history = [...history.filter((id) => !profile.cart.includes(id)), ...profile.cart];
    const cards: Card[] = [];
    if (this.runtime && history.length > 0) {
      try {
        const ranked = await this.runtime.recommend(history, request.count, exclude);
        for (const { id } of ranked) {
          const product = this.catalog.get(id);
          if (product) cards.push({ product, reason: this.reason(request, profile, history), source: 'model' });
        }
      } catch (e) {
        this.warn(`ranking failed, showing bestsellers: ${String(e)}`);
      }
    }
    // Never empty, never random: fill with the catalog's own order (merchants list bestsellers first).
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

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  private async start(): Promise<void> {
    const { server } = this.config;
    this.store = await openProfileStore();
    try {
      const res = await fetch(`${server}/v1/catalog`, { credentials: 'omit' });
      if (!res.ok) throw new Error(`GET ${server}/v1/catalog: HTTP ${res.status}`);
      for (const p of parseCatalog(await res.json()).products) this.catalog.set(p.id, p);
    } catch (e) {
      this.fail(`catalog unavailable: ${String(e)}`);
    }
    // The model loads after first paint, in the background; the catalog fallback shows until then.
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
    this.warn(message);
    this.state = { ...this.state, status: 'fallback', error: message };
    this.dispatchEvent(new CustomEvent('error', { detail: message }));
    this.changed();
  }
}
