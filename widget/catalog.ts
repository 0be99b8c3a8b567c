/**
 * The shop's catalog (`GET /v1/catalog`), kept on the device: the last copy that parsed is stored with its
 * ETag (with storage consent), revalidated with `If-None-Match` on each page view, and used as is when the
 * edge server is down or slow, so a returning shopper keeps getting cards long after the catalog's 60 s
 * HTTP cache has expired.
 */
import { groupIndex, parseCatalog, type Catalog, type Product } from '../core/catalog.ts';
import { ContractError } from '../core/errors.ts';
import { REVALIDATE_TIMEOUT_MS, withTimeout } from './runtime/model.ts';
import type { CachedCatalog, ModelCache } from './store.ts';

/** With no copy on the device there is nothing to fall back to: wait longer before giving up. */
export const CATALOG_TIMEOUT_MS = 15_000;

/**
 * `network`: a 200 (the HTTP cache may have answered it); `revalidated`: a 304 and the stored copy;
 * `offline`: the server failed (unreachable, no answer within `REVALIDATE_TIMEOUT_MS`, 5xx) and the stored
 * copy was used.
 */
export type CatalogLoad = 'network' | 'revalidated' | 'offline';

export interface CatalogSource {
  /** Edge server base URL, no trailing slash (`""` = same origin). */
  server: string;
  /** Where the last good catalog is kept (IndexedDB); none: every visit needs the server. */
  cache?: Pick<ModelCache, 'catalog' | 'putCatalog'>;
  signal?: AbortSignal;
}

/** `body` as a catalog, or undefined where `parseCatalog` (or JSON) rejects it. */
function parsed(body: string): Catalog | undefined {
  try {
    return parseCatalog(JSON.parse(body));
  } catch {
    return undefined;
  }
}

/**
 * Fetches the catalog, revalidating the stored copy when there is one. Rejects when there is no usable
 * catalog: the server failed and nothing parseable is stored, a 4xx, or a 200 whose body does not parse
 * (`bad_catalog`: a broken server answer is reported, not hidden behind an old copy).
 */
export async function fetchCatalog(source: CatalogSource): Promise<{ catalog: Catalog; load: CatalogLoad }> {
  const { server, cache, signal } = source;
  const url = `${server}/v1/catalog`;
  const stored = await cache?.catalog(url);
  // A stored copy the parser rejects (another script, a disk error, an older parser's leniency) is never
  // used, and its ETag is not sent: a 304 would point at it.
  const fallback = stored && parsed(stored.body);
  const timed = withTimeout(signal, fallback ? REVALIDATE_TIMEOUT_MS : CATALOG_TIMEOUT_MS);
  let status: number;
  let etag: string | null;
  let body: string | undefined;
  try {
    // If-None-Match makes the request bypass the HTTP cache (Fetch standard), so the server answers it.
    const headers: Record<string, string> = fallback ? { 'If-None-Match': stored.etag } : {};
    const res = await fetch(url, { signal: timed.signal, credentials: 'omit', referrerPolicy: 'no-referrer', headers });
    status = res.status;
    etag = res.headers.get('ETag');
    if (res.ok) body = await res.text();
    // Read to its (empty) end: an unread 304 is cancelled, which DevTools lists as a failed request.
    else await res.arrayBuffer();
  } catch (e) {
    if (!fallback || signal?.aborted) throw e;
    return { catalog: fallback, load: 'offline' };
  } finally {
    timed.done();
  }
  if (fallback && status >= 500) return { catalog: fallback, load: 'offline' };
  if (fallback && status === 304) return { catalog: fallback, load: 'revalidated' };
  if (body === undefined) throw new ContractError('fetch_failed', `GET ${url}: HTTP ${status}`);
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new ContractError('bad_catalog', `GET ${url}: not JSON`);
  }
  const catalog = parseCatalog(raw);
  // Written in the background; storage errors are the cache's own business. An unchanged ETag (the HTTP
  // cache answered) needs no write.
  if (cache && etag && (etag !== stored?.etag || !fallback)) void cache.putCatalog(url, { etag, body } satisfies CachedCatalog);
  return { catalog, load: 'network' };
}

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
