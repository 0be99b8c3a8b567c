import { groupIndex, type Catalog, type Product } from '../../core/catalog.ts';

/**
 * The catalog as ranking, profile and copy read it: one card per variant group (`core/catalog.ts`
 * `groupIndex`). The model's item ids are group keys, so an event on any size counts for the jacket.
 */
export interface CardCatalog {
  /** Every product by its own id (all variants): what an event or a click names. */
  products: Map<string, Product>;
  /** The variant each group's card shows (in stock, else orderable, else the first), by group key, in catalog order. */
  cards: Map<string, Product>;
  /** Group keys whose card is out of stock, i.e. every variant is. */
  outOfStock: Set<string>;
  /** The group key of a product id or a group key; the id itself where the catalog does not hold it. */
  key(id: string): string;
  /**
   * A group's own name by group key (`core/catalog.ts` `groupTitle`, computed once per catalog load):
   * what copy about other shoppers names, as what they did is counted per group, not per size.
   */
  title(key: string): string | undefined;
}

export function cardCatalog(catalog: Catalog): CardCatalog {
  const index = groupIndex(catalog);
  const cards = new Map<string, Product>();
  const outOfStock = new Set<string>();
  for (const key of index.groups.keys()) {
    const shown = index.shown(key)!;
    cards.set(key, shown);
    if (shown.availability === 'out_of_stock') outOfStock.add(key);
  }
  return { products: new Map(catalog.products.map((p) => [p.id, p])), cards, outOfStock, key: (id) => index.keyOf(id) ?? id, title: index.title };
}

/**
 * The variant a group's card shows one shopper: `variant`, the size they last had of it (`Profile.variants`),
 * where the catalog still holds it in that group and it can be ordered (in stock, preorder, backorder);
 * else the group's own card (`cards`). Ranking is by group either way: this only picks what the card shows,
 * so its title, price, stock, image and link are those of the size the shopper chose.
 */
export function cardFor(view: Pick<CardCatalog, 'products' | 'cards' | 'key'>, key: string, variant: string | undefined): Product | undefined {
  const own = variant === undefined ? undefined : view.products.get(variant);
  return own && own.availability !== 'out_of_stock' && view.key(own.id) === key ? own : view.cards.get(key);
}
