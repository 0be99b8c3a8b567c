/**
 * What ranking and copy know of the shop, as this page loaded it: the catalog (one card per variant
 * group), the server's trending and bestseller lists, and the model (its item ids, its chosen-next table,
 * the runtime that ranks). The loading itself, and everything heavy, goes through `HeavyWork`.
 */
import { yieldToPage } from '../runtime/yield.ts';
import { rememberMoney } from '../copy/money.ts';
import type { Popular } from '../../core/analytics.ts';
import type { NextSteps } from '../../core/artifact/next-steps.ts';
import type { Product } from '../../core/catalog.ts';
import { cardCatalog, type CardCatalog } from './card-catalog.ts';
import type { CatalogLoad, CatalogSource } from './catalog.ts';
import type { WidgetConfig } from '../loader/config.ts';
import type { HeavyWork, ModelFacts, ModelStart, WorkPlace } from './heavy-work.ts';
import { modelItems, type ModelItems } from './model-items.ts';
import { choseNext, type ChoseNext } from './next-steps.ts';
import { fetchPopular, popularEvidence, type PopularEvidence } from './popular.ts';
import type { Runtime } from '../runtime/index.ts';
import type { ModelSource } from '../runtime/model.ts';
import { workerWork } from './worker-work.ts';

/** The catalog before it has loaded (or where it failed): no products, every id its own group. */
const NO_CATALOG: CardCatalog = { products: new Map(), cards: new Map(), outOfStock: new Set(), key: (id) => id, title: () => undefined };

export class ShopData {
  /** The catalog as ranking, profile and copy read it: products, one card per variant group, groups (`catalog.ts`). */
  catalog: CardCatalog = NO_CATALOG;
  popular: Popular = { updatedAt: '', trending: [], bestsellers: [] };
  /** `popular` indexed by variant group, for copy; rebuilt when the lists or the catalog's groups load. */
  evidence: PopularEvidence = popularEvidence(this.popular, (id) => id);
  /** The model, once it runs. */
  runtime: Runtime | null = null;
  /** The model's item ids (its manifest's `items`), once its bytes are verified, then with the catalog products it ranks from their features. */
  private modelIds: readonly string[] = [];
  /** The model's ids for variant groups (`model-items.ts`); built on first use after the catalog or the model loads. */
  private items: ModelItems | undefined;
  /** What shoppers chose next, from the model's verified artifact; none: copy claims nothing about shoppers' next steps. */
  private nextSteps: NextSteps | undefined;
  /** `nextSteps` by variant group (`next-steps.ts`); built on first use after the catalog or the model loads. */
  private nextByGroup: ChoseNext | undefined;
  /** In a worker where one starts, else on the page (`worker-work.ts`). */
  private readonly work: HeavyWork = workerWork();

  /** `signal` cancels every load (`Engine.dispose`). */
  constructor(
    private readonly config: WidgetConfig,
    private readonly signal: AbortSignal,
    private readonly warn: (message: string) => void,
  ) {}

  /**
   * A product's variant group key (`core/catalog.ts` `groupKey`); the id itself before the catalog has
   * loaded or where the catalog does not hold it.
   */
  readonly itemKey = (id: string): string => this.catalog.key(id);

  /** A group's card product by group key, else a product by its own id. */
  readonly lookup = (id: string): Product | undefined => this.catalog.cards.get(id) ?? this.catalog.products.get(id);

  /** The model's ids for variant groups, built on first use after the catalog or the model loaded. */
  modelItems(): ModelItems {
    return (this.items ??= modelItems(this.modelIds, this.catalog));
  }

  /** The model's chosen-next table by variant group, built on first use after the catalog or the model loaded. */
  choseNext(): ChoseNext {
    return (this.nextByGroup ??= choseNext(this.nextSteps, this.itemKey));
  }

  /** Loads the catalog (`HeavyWork.loadCatalog`); rejects where there is none to use. */
  async loadCatalog(cache: CatalogSource['cache']): Promise<CatalogLoad> {
    const { server, trusted, requireSignedCatalog, locale } = this.config;
    const { catalog, load, money } = await this.work.loadCatalog({ server, cache, trusted, requireSigned: requireSignedCatalog === true, locale, signal: this.signal });
    if (money) rememberMoney(locale, money);
    // Receiving the catalog, indexing it, and what the rows do with it next: a task each.
    await yieldToPage();
    this.catalog = cardCatalog(catalog);
    this.evidence = popularEvidence(this.popular, this.itemKey);
    this.items = undefined;
    this.nextByGroup = undefined;
    await yieldToPage();
    return load;
  }

  /** The server's trending and bestseller lists (`fetchPopular`). Missing or invalid: empty lists. */
  async loadPopular(): Promise<void> {
    const { server, model } = this.config;
    try {
      this.popular = await fetchPopular(server, model, this.signal);
      this.evidence = popularEvidence(this.popular, this.itemKey);
    } catch (e) {
      if (__EDGE_RECS_DEV__ && !this.signal.aborted) this.warn(`no trending or bestseller lists from ${server}/v1/popular (${String(e)}); using the catalog order`);
    }
  }

  /** Where the heavy work runs, once known. */
  get place(): Promise<WorkPlace> {
    return this.work.place;
  }

  /** Starts loading the code the model runs on, before the model's source is known. */
  preload(): void {
    this.work.preload();
  }

  /**
   * Loads, verifies and starts the model: `source` says where from, `start` (awaited once the bytes are
   * on their way) how to run it. Resolves once it ranks, with the facts of the model still to come.
   */
  async loadModel(source: Omit<ModelSource, 'signal'>, start: Promise<ModelStart>): Promise<{ runtime: Runtime; facts: Promise<ModelFacts> }> {
    const facts = this.work.loadModel({ ...source, signal: this.signal });
    // Before the runtime is set (it awaits the same model): ranking never pairs it with the wrong ids.
    facts.then(
      (f) => {
        this.modelIds = f.itemIds;
        this.items = undefined;
        this.nextSteps = f.nextSteps;
        this.nextByGroup = undefined;
      },
      () => undefined,
    );
    const runtime = await this.work.startModel({ ...(await start), signal: this.signal });
    // The catalog's products the model ranks from their features are its items too, for variant groups'
    // mapping (`model-items.ts`): set with the runtime, which is what answers with them.
    if (runtime.newItems.length > 0) {
      this.modelIds = [...(await facts).itemIds, ...runtime.newItems];
      this.items = undefined;
    }
    this.runtime = runtime;
    return { runtime, facts };
  }

  /** Frees the model (see `HeavyWork.dispose`); loads are cancelled by the constructor's `signal`. */
  dispose(): void {
    this.work.dispose();
    this.runtime = null;
  }
}
