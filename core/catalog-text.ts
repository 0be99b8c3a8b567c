/**
 * A catalog as uploaded, in any of its three formats (a JSON catalog, a Merchant Center TSV or XML feed),
 * to a validated `Catalog`: the one entry the edge server's upload (inline or in a worker thread) and the
 * CLI's `--catalog` readers share, so a catalog one accepts the others accept. Every format ends in
 * `parseProduct` (`core/catalog.ts`): the id rule, the URL rule for `link` and `image_link`, text cleaned
 * of direction and control characters, one currency, variant groups.
 *
 * Bounded work for any input within the byte limit: the item cap is checked as items are read (see
 * `parseXmlFeed`, `parseTsvFeed`), and a JSON body is scanned for its nesting depth and value counts
 * before `JSON.parse` builds anything.
 */
import { MAX_CATALOG_ITEMS, parseCatalog, tooManyItems, type Catalog } from './catalog.ts';
import { parseMerchantFeed, type FeedFormat, type FeedOptions } from './catalog-feed.ts';
import { ContractError } from './errors.ts';
import { jsonLimitPassed, MAX_JSON_DEPTH } from './json.ts';

export const CATALOG_FORMATS = ['json', 'tsv', 'xml'] as const;
export type CatalogFormat = (typeof CATALOG_FORMATS)[number];

/**
 * Values (array elements and object members) a JSON catalog may hold per product allowed: a product has
 * about a dozen fields. With the array and object caps below, what `JSON.parse` may build from a body is
 * bounded by the item cap, not only by the bytes.
 */
const VALUES_PER_ITEM = 32;
/** Objects and arrays per product allowed. */
const CONTAINERS_PER_ITEM = 4;

/**
 * Refuses JSON text whose parse would nest deeper than `MAX_JSON_DEPTH` or build more values than
 * `maxItems` products can hold, in one pass that allocates nothing; syntax is left to `JSON.parse`.
 */
function checkJsonBounds(text: string, maxItems: number): void {
  const passed = jsonLimitPassed(text, { depth: MAX_JSON_DEPTH, containers: maxItems * CONTAINERS_PER_ITEM, separators: maxItems * VALUES_PER_ITEM });
  if (passed === 'depth') {
    throw new ContractError('too_deep', `catalog: JSON nested more than ${MAX_JSON_DEPTH} levels deep; a catalog is {"updatedAt", "products": [{...}, ...]}`);
  }
  if (passed !== null) throw tooManyItems(maxItems);
}

/** A JSON catalog document to a `Catalog`, bounded as `checkJsonBounds` says. */
function parseJsonCatalog(text: string, options: FeedOptions = {}): Catalog {
  const maxItems = options.maxItems ?? MAX_CATALOG_ITEMS;
  checkJsonBounds(text, maxItems);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ContractError('bad_json', `catalog: not JSON (${(e as Error).message})`);
  }
  return parseCatalog(raw, { maxItems });
}

/**
 * Parses a catalog in the given format.
 * @throws ContractError (`bad_catalog`, `bad_json`, `too_many_items`) naming the line or item and the field at fault.
 */
export function parseCatalogText(text: string, format: CatalogFormat, options: FeedOptions = {}): Catalog {
  return format === 'json' ? parseJsonCatalog(text.replace(/^\uFEFF/, ''), options) : parseMerchantFeed(text, format satisfies FeedFormat, options);
}
