import type { Signature } from './artifact/manifest.ts';
import { ContractError, isRecord, show } from './errors.ts';
import type { ShopEvent } from './events.ts';
import { ITEM_ID_RULE, normalizeItemId } from './item-id.ts';

/** Stock states, as in the Google Merchant Center `availability` attribute. */
export const AVAILABILITY = ['in_stock', 'out_of_stock', 'preorder', 'backorder'] as const;
export type Availability = (typeof AVAILABILITY)[number];

/**
 * One product as the widget sees it. Field names follow the Merchant Center feed so a feed maps 1:1.
 * Copy and ranking may only state facts held here.
 */
export interface Product {
  /** Merchant's item id; the same string as GA4 `item_id` (the rule: `core/item-id.ts`). */
  id: string;
  /**
   * Merchant Center `item_group_id`: the variants of one product (its sizes, colours) share it. Shoppers
   * see one card per group and the model learns the group, not each size (see `groupKey`).
   */
  item_group_id?: string;
  title: string;
  /** Absolute or shop-relative product page URL. */
  link: string;
  /** Absolute or shop-relative image URL. */
  image_link: string;
  /** Regular price in `currency`. */
  price: number;
  /** Present only when the product is on sale, lower than `price`. */
  sale_price?: number;
  currency: string;
  availability: Availability;
  /** Category path, most general first, e.g. `Beauty > Skin care`. */
  product_type: string;
  brand?: string;
  /** Units left, when the merchant shares it (drives "only N left" copy). */
  stock?: number;
}

export interface Catalog {
  /** ISO-8601 time the catalog was generated; lets caches tell versions apart. */
  updatedAt: string;
  products: Product[];
  /**
   * Ed25519 signature over the rest of the catalog (`core/catalog-signature.ts`), by a key of `edge-recs
   * keygen`: `edge-recs catalog upload` adds it when it has a signing key. Absent: unsigned.
   */
  signature?: Signature;
}

/** Top-level category of a product (`Beauty > Skin care` -> `Beauty`). */
export function topCategory(product: Pick<Product, 'product_type'>): string {
  return product.product_type.split('>')[0]!.trim();
}

function field<T>(raw: Record<string, unknown>, key: string, where: string, ok: (v: unknown) => v is T): T {
  const value = raw[key];
  if (!ok(value)) throw new ContractError('bad_catalog', `${where}: field "${key}" is invalid (got ${showShallow(value)})`);
  return value;
}
const isPrice = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * `show` for a value of any shape: objects and arrays are named, not printed, so a value nested
 * thousands deep costs nothing to describe (a catalog body is untrusted input).
 */
function showShallow(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return show(value);
}

/** Longest text field (`title`, `brand`, `product_type`, `link`, `image_link`), in UTF-16 code units. */
const MAX_FIELD_CHARS = 2000;

/**
 * Characters removed from catalog text at ingest, since they can make one text look like another on
 * screen or hide text in it (Unicode Technical Report 36, UTS #39 and UAX #9): every default-ignorable
 * code point, i.e. the bidirectional embeddings, overrides, isolates and marks (U+202A-202E,
 * U+2066-2069, U+200E, U+200F, U+061C) that can reverse a title or carry the reversal into the text
 * beside it, zero-width spaces, invisible operators, soft hyphens, Hangul fillers, tag characters
 * (U+E0000-E0FFF) and the byte-order mark; C0 and C1 control characters and DEL; the interlinear
 * annotation controls U+FFF9-FFFB. Kept, since scripts need them: the joiners U+200C and U+200D
 * (Persian, Indic scripts, emoji sequences), the variation selectors U+FE00-FE0F and
 * U+E0100-E01EF (emoji presentation, ideographic variants) and the Mongolian ones (U+180B-180D,
 * U+180F). Tabs and line breaks become spaces first.
 */
const SPOOFING = /[\u0000-\u001F\u007F-\u009F\uFFF9-\uFFFB]|(?![\u200C\u200D\uFE00-\uFE0F\u180B-\u180D\u180F\u{E0100}-\u{E01EF}])\p{Default_Ignorable_Code_Point}/gu;
const BREAKS = /[\t\n\r\v\f\u0085\u2028\u2029]+/gu;

/**
 * Catalog text as the widget may show it: line breaks and tabs become spaces, the characters of
 * `SPOOFING` are removed, the ends are trimmed. One rule for titles, brands and categories, applied by
 * `parseProduct`, so every reader (the edge server's upload, the CLI's `--catalog`, the widget) sees
 * the same text.
 * @example cleanText('Cheap \u202Eevil') // 'Cheap evil'
 */
export function cleanText(text: string): string {
  return text.replace(BREAKS, ' ').replace(SPOOFING, '').trim();
}

function text(raw: Record<string, unknown>, key: string, where: string): string {
  const value = raw[key];
  const clean = typeof value === 'string' ? cleanText(value) : '';
  if (clean.length === 0 || clean.length > MAX_FIELD_CHARS) {
    const why = typeof value !== 'string' ? `must be text (got ${showShallow(value)})` : clean.length === 0 ? `is empty${value.trim().length > 0 ? ' once control and direction characters are removed' : ''}` : `is longer than ${MAX_FIELD_CHARS} characters (${clean.length})`;
    throw new ContractError('bad_catalog', `${where}: field "${key}" ${why}`);
  }
  return clean;
}

/** The schemes a catalog URL may resolve to: a card's link and image are web pages and images, nothing else. */
const URL_SCHEMES = ['http:', 'https:'] as const;
/** Relative URLs are resolved against a shop page; any http(s) page gives the same scheme. */
const SHOP_BASE = 'https://shop.invalid/';

/**
 * The rule for `link` and `image_link`, decided as the browser will decide it when the widget puts the
 * value in a card's `href` or `src`: by the WHATWG URL parser (https://url.spec.whatwg.org/), not a
 * pattern over the raw text, so `JaVaScRiPt:`, a leading tab or newline, `java\tscript:` and any other
 * spelling the parser reads as a scheme are judged by that scheme. The URL must resolve to `http:` or
 * `https:`: absolute (`https://shop.example/p/1`), or relative to the shop page (`/p/1`, `p/1`, and
 * scheme-relative `//cdn.example/1.jpg`, which takes the page's own http(s) scheme, so it can reach no
 * more than an absolute https URL can). Credentials in the URL (`https://shop.example@evil.example/`)
 * are refused: they serve only to make a link look like another host.
 * @returns the URL as stored (what the parser strips: tabs and line breaks anywhere, control characters
 *   and spaces at the ends), or a reason it is refused.
 */
export function catalogUrl(value: string): { url: string } | { refused: string } {
  const url = value.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
  let parsed: URL;
  try {
    parsed = new URL(url, SHOP_BASE);
  } catch {
    return { refused: 'is not a URL' };
  }
  if (!(URL_SCHEMES as readonly string[]).includes(parsed.protocol)) return { refused: `has the scheme "${parsed.protocol}"` };
  if (parsed.username !== '' || parsed.password !== '') return { refused: 'holds credentials (user@host)' };
  return { url };
}

function urlField(raw: Record<string, unknown>, key: 'link' | 'image_link', where: string): string {
  const value = raw[key];
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_FIELD_CHARS) {
    throw new ContractError('bad_catalog', `${where}: field "${key}" must be a URL of 1-${MAX_FIELD_CHARS} characters (got ${showShallow(value)})`);
  }
  const checked = catalogUrl(value);
  if ('refused' in checked) {
    throw new ContractError('bad_catalog', `${where}: field "${key}" ${checked.refused} (got ${show(value)}); it must be an http(s) URL, absolute ("https://shop.example/p/1") or relative to the shop ("/p/1")`);
  }
  return checked.url;
}

function itemId(raw: Record<string, unknown>, key: 'id' | 'item_group_id', where: string): string {
  const id = normalizeItemId(raw[key]);
  if (id === undefined) throw new ContractError('bad_catalog', `${where}: field "${key}" must be ${ITEM_ID_RULE} (got ${showShallow(raw[key])})`);
  return id;
}

/** Validates one product, throwing a `ContractError` that names the product and field. Ids are normalized (`normalizeItemId`). */
export function parseProduct(raw: unknown, where = 'product'): Product {
  if (!isRecord(raw)) throw new ContractError('bad_catalog', `${where}: expected an object (got ${showShallow(raw)})`);
  const id = itemId(raw, 'id', where);
  const at = `${where} ${show(id)}`;
  if (!AVAILABILITY.includes(raw.availability as Availability)) {
    throw new ContractError('bad_catalog', `${at}: field "availability" must be one of ${AVAILABILITY.join(', ')} (got ${showShallow(raw.availability)})`);
  }
  const availability = raw.availability as Availability;
  const product: Product = {
    id,
    ...(raw.item_group_id !== undefined && { item_group_id: itemId(raw, 'item_group_id', at) }),
    title: text(raw, 'title', at),
    link: urlField(raw, 'link', at),
    image_link: urlField(raw, 'image_link', at),
    price: field(raw, 'price', at, isPrice),
    currency: field(raw, 'currency', at, (v): v is string => typeof v === 'string' && /^[A-Z]{3}$/.test(v)),
    availability,
    product_type: text(raw, 'product_type', at),
  };
  if (raw.sale_price !== undefined) product.sale_price = field(raw, 'sale_price', at, isPrice);
  if (raw.brand !== undefined) product.brand = text(raw, 'brand', at);
  if (raw.stock !== undefined) {
    product.stock = field(raw, 'stock', at, (v): v is number => Number.isInteger(v) && (v as number) >= 0);
  }
  return product;
}

/** Largest number of products a catalog may hold by default (`CatalogLimits.maxItems`). */
export const MAX_CATALOG_ITEMS = 200_000;

export interface CatalogLimits {
  /**
   * Most products (feed items, TSV rows) a catalog may hold. Default `MAX_CATALOG_ITEMS` (200,000):
   * twice a large shop's range, while bounding what one upload makes the server hold and every widget
   * download. A feed over it is refused as soon as its item number `maxItems + 1` is read.
   * @example { maxItems: 500_000 }
   */
  maxItems?: number;
}

/** The message of a catalog over `maxItems`. */
export function tooManyItems(maxItems: number): ContractError {
  return new ContractError('too_many_items', `catalog: more than ${maxItems.toLocaleString('en')} products, the limit (maxCatalogItems); split the catalog or raise the limit`);
}

/** Validates a catalog document; duplicate ids are an error, since events could not be attributed. */
export function parseCatalog(raw: unknown, limits: CatalogLimits = {}): Catalog {
  if (!isRecord(raw) || !Array.isArray(raw.products)) {
    throw new ContractError('bad_catalog', 'catalog: expected {"updatedAt", "products": [...]}');
  }
  const maxItems = limits.maxItems ?? MAX_CATALOG_ITEMS;
  if (raw.products.length > maxItems) throw tooManyItems(maxItems);
  const seen = new Set<string>();
  const products = raw.products.map((p, i) => {
    const product = parseProduct(p, `catalog.products[${i}]`);
    if (seen.has(product.id)) throw new ContractError('bad_catalog', `catalog.products[${i}]: duplicate id ${show(product.id)}`);
    seen.add(product.id);
    return product;
  });
  checkProducts(products, (i) => `catalog.products[${i}] ${show(products[i]!.id)}`);
  if (raw.updatedAt !== undefined && typeof raw.updatedAt !== 'string') {
    throw new ContractError('bad_catalog', `catalog.updatedAt: expected an ISO 8601 time string (got ${show(raw.updatedAt)})`);
  }
  const updatedAt = typeof raw.updatedAt === 'string' ? raw.updatedAt : new Date(0).toISOString();
  const signature = catalogSignature(raw);
  return { updatedAt, products, ...(signature && { signature }) };
}

/**
 * The `signature` field of a catalog document (parsed JSON), undefined when it has none (`parseCatalog`
 * keeps it).
 * @throws ContractError `bad_catalog` when the field is there but not `{"alg": "Ed25519", "keyId", "value"}`.
 */
function catalogSignature(raw: unknown): Signature | undefined {
  if (!isRecord(raw) || raw.signature === undefined) return undefined;
  const s = raw.signature;
  if (!isRecord(s) || s.alg !== 'Ed25519' || typeof s.keyId !== 'string' || typeof s.value !== 'string') {
    throw new ContractError('bad_catalog', `catalog: field "signature" must be {"alg": "Ed25519", "keyId", "value"} (got ${show(s)})`);
  }
  return { alg: 'Ed25519', keyId: s.keyId, value: s.value };
}

/**
 * Checks that hold across products, naming the first product at fault:
 * - one currency: copy compares prices ("under your usual price") and purchase values are summed per
 *   currency, so a catalog holds one currency (a shop selling in several runs one catalog per currency);
 * - a product whose id is some variant group's `item_group_id` has no other group, so an id names one
 *   group (`GroupIndex.keyOf`).
 * @param where names product `i` in the error, e.g. `line 7 (item "sku-3")`.
 */
export function checkProducts(products: readonly Product[], where: (index: number) => string): void {
  const first = products[0];
  const i = products.findIndex((p) => p.currency !== first?.currency);
  if (first && i >= 0) {
    throw new ContractError('bad_catalog', `${where(i)}: price is in ${products[i]!.currency} but the catalog's first product (${where(0)}) is in ${first.currency}; a catalog holds one currency`);
  }
  const groupIds = new Set<string>();
  for (const p of products) if (p.item_group_id !== undefined) groupIds.add(p.item_group_id);
  const j = products.findIndex((p) => groupIds.has(p.id) && p.item_group_id !== undefined && p.item_group_id !== p.id);
  if (j >= 0) {
    throw new ContractError('bad_catalog', `${where(j)}: its id is the item_group_id of other products, but its own item_group_id is ${show(products[j]!.item_group_id)}`);
  }
}

/**
 * The key a product is ranked, learned and counted under: its `item_group_id`, else its own id. Events on
 * any size of a jacket count for the jacket, and the model's item ids are these keys. A product whose id
 * is another group's `item_group_id` belongs to that group.
 */
export function groupKey(product: Pick<Product, 'id' | 'item_group_id'>): string {
  return product.item_group_id ?? product.id;
}

/** A catalog's variant groups (`groupIndex`). */
export interface GroupIndex {
  /**
   * The group key (`groupKey`) of a product id, or of a group key itself; undefined for an id the catalog
   * does not hold. Ids are compared as `normalizeItemId` returns them.
   */
  keyOf(id: string): string | undefined;
  /** Each group's variants in catalog order, groups in the order of their first variant. */
  readonly groups: ReadonlyMap<string, readonly Product[]>;
  /** The variant a group's card shows: the first in stock, else the first orderable (preorder, backorder), else the first. */
  shown(key: string): Product | undefined;
  /**
   * The group's own name, from its variants' titles (`groupTitle`): what a line about the group, not one
   * size of it, may call it ("Pro Bib Shorts" for "Pro Bib Shorts, size S" and "…, size M"). Undefined
   * where the titles give no usable name, and for an id that is not a group key.
   */
  title(key: string): string | undefined;
}

/**
 * Groups a catalog's variants by `item_group_id` (a product without one is a group of its own).
 * `edge-recs train --catalog` maps training events through `keyOf`, and the widget maps shopper events
 * the same way, so training and ranking agree on what an item is.
 */
export function groupIndex(catalog: Pick<Catalog, 'products'>): GroupIndex {
  const groups = new Map<string, Product[]>();
  const keys = new Map<string, string>();
  for (const p of catalog.products) {
    const key = groupKey(p);
    const variants = groups.get(key);
    if (variants) variants.push(p);
    else groups.set(key, [p]);
    keys.set(p.id, key);
  }
  for (const key of groups.keys()) if (!keys.has(key)) keys.set(key, key);
  const shown = new Map<string, Product>();
  const titles = new Map<string, string>();
  for (const [key, variants] of groups) {
    shown.set(key, variants.find((p) => p.availability === 'in_stock') ?? variants.find((p) => p.availability !== 'out_of_stock') ?? variants[0]!);
    const title = groupTitle(variants.map((p) => p.title));
    if (title !== undefined) titles.set(key, title);
  }
  return { keyOf: (id) => keys.get(id), groups, shown: (key) => shown.get(key), title: (key) => titles.get(key) };
}

/** Characters that may separate a product's name from a variant's description ("Shorts, size S", "Tee | red"). */
const SEPARATORS = new Set([',', ';', ':', '|', '/', '–', '—']);
const SPACE = /\s/u;
const WORD = /[\p{L}\p{N}]/u;
/** Scripts written without spaces between words, where two characters make a name ("外套"). */
const DENSE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** Whether `title` may be cut before index `i`: at its end, beside whitespace or a CJK character, or between a word and punctuation (not a decimal point: "41.5"). */
function boundary(title: string, i: number): boolean {
  const next = title[i];
  if (next === undefined || i === 0 || SPACE.test(next) || SPACE.test(title[i - 1]!)) return true;
  // Chinese, Japanese and Korean titles need no space between words ("骑行服S").
  if (DENSE.test(next) || DENSE.test(title[i - 1]!)) return true;
  if (!WORD.test(title[i - 1]!) || WORD.test(next)) return !WORD.test(next) && !WORD.test(title[i - 1]!);
  return !((next === '.' || next === ',') && /\p{N}/u.test(title[i + 1] ?? ''));
}

/** `text` without the variant description after its last separator outside brackets (an unclosed `(` or `[` counts as one). */
function cutAtSeparator(text: string): string {
  let cut = -1;
  const open: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '(' || c === '[') open.push(i);
    else if ((c === ')' || c === ']') && open.length > 0) open.pop();
    else if (open.length === 0 && (SEPARATORS.has(c) || (c === '-' && SPACE.test(text[i - 1] ?? '') && SPACE.test(text[i + 1] ?? '')))) cut = i;
  }
  if (open.length > 0) cut = open[0]!;
  return cut < 0 ? text : text.slice(0, cut);
}

/**
 * The name of a variant group from its variants' titles: a single title (or identical ones) as it is;
 * else their longest common prefix that ends on a word boundary, cut at its last separator (`,` `;` `:`
 * `|` `/` ` - ` `–` `—`, or an unclosed `(` / `[`), so "Pro Bib Shorts, size S" and "Pro Bib Shorts, size
 * M" give "Pro Bib Shorts", and "Road Shoe RC3 41" and "Road Shoe RC3 43" give "Road Shoe RC3".
 * Undefined where that leaves no usable name (titles that differ): no letter, or under 3 characters (2
 * in Chinese, Japanese or Korean script), as when the variants' titles have nothing in common.
 */
export function groupTitle(titles: readonly string[]): string | undefined {
  const [first, ...rest] = titles.map((t) => t.trim());
  if (first === undefined || rest.every((t) => t === first)) return first || undefined;
  let end = 0;
  while (end < first.length && rest.every((t) => t[end] === first[end])) end++;
  while (end > 0 && !titles.every((t) => boundary(t.trim(), end))) end--;
  const name = cutAtSeparator(first.slice(0, end)).replace(/[\s,;:|/\-–—([]+$/u, '');
  const letters = [...name];
  return /\p{L}/u.test(name) && letters.length >= (DENSE.test(name) ? 2 : 3) ? name : undefined;
}

/**
 * `events` with each item id replaced by its group key (`GroupIndex.keyOf`); ids the catalog does not
 * hold are kept as they are. What the model and the shopper's profile read: a view of size S and a
 * view of size M are two views of the jacket.
 */
export function groupEvents(events: readonly ShopEvent[], keyOf: (id: string) => string | undefined): ShopEvent[] {
  return events.map((e) => {
    if (e.items.every((item) => (keyOf(item.item_id) ?? item.item_id) === item.item_id)) return e;
    return { ...e, items: e.items.map((item) => ({ ...item, item_id: keyOf(item.item_id) ?? item.item_id })) };
  });
}
