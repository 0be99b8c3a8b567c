/**
 * The catalog: `GET /v1/catalog` (public, what the widget reads) and `PUT /v1/admin/catalog` (admin:
 * a JSON catalog, or a Google Merchant Center feed in TSV or XML, picked by Content-Type). Every format
 * goes through the same checks (`core/catalog.ts`): the id rule, one currency, variant groups.
 */
import { Hono } from 'hono';
import { MAX_CATALOG_ITEMS } from '../../core/catalog.ts';
import { hasMethods, optionError, positiveInt, type Fail } from '../../core/options.ts';
import type { TrustedKey } from '../../core/artifact/signing.ts';
import { verifyCatalogBytes } from '../../core/catalog-signature.ts';
import { limitBody, requireMediaType } from '../middleware/body.ts';
import { ApiError } from '../middleware/errors.ts';
import { feedFormatOf } from './feed-format.ts';
import { noneMatch, quoteEtag } from '../middleware/http.ts';
import { inlineCatalogParser, type CatalogParser } from './parse.ts';
import { createMemoryCatalog, type CatalogStore } from './store.ts';

/** A catalog changes a few times a day: a minute of caching spares the server, and a 304 is cheap after it. */
const CATALOG_CACHE = 'public, max-age=60';

const CATALOG_TYPES = ['application/json', 'text/tab-separated-values', 'text/tsv', 'application/xml', 'text/xml', 'application/rss+xml', 'application/atom+xml'];

function publicRoutes(store: CatalogStore): Hono {
  const routes = new Hono();
  routes.get('/catalog', async (c) => {
    const stored = await store.get();
    if (!stored) throw new ApiError(404, 'no_catalog', 'no catalog is published yet (PUT /v1/admin/catalog)');
    const etag = quoteEtag(stored.sha256);
    // Vary on the 304 too, as on the 200 it stands for (compressed after Accept-Encoding, middleware/compress.ts).
    const headers = { ETag: etag, 'Cache-Control': CATALOG_CACHE, Vary: 'Accept-Encoding' };
    if (noneMatch(c.req.header('If-None-Match'), etag)) return c.body(null, 304, headers);
    return c.body(stored.json, 200, { ...headers, 'Content-Type': 'application/json; charset=utf-8' });
  });
  return routes;
}

interface CatalogUploadOptions {
  /** Largest body, bytes. */
  maxBytes: number;
  /** Most products. */
  maxItems: number;
  /** Where the body is parsed. */
  parse: CatalogParser;
  /** Keys a signed catalog must be signed by; an unsigned one is stored unsigned. */
  trusted: readonly TrustedKey[];
}

/** `PUT /catalog` for the admin sub-app. */
function adminRoutes(store: CatalogStore, { maxBytes, maxItems, parse, trusted }: CatalogUploadOptions): Hono {
  const routes = new Hono();
  routes.put('/catalog', limitBody(maxBytes), async (c) => {
    const format = feedFormatOf(requireMediaType(c, CATALOG_TYPES)) ?? 'json';
    const body = new Uint8Array(await c.req.arrayBuffer());
    const parsed = await parse({ body, format, maxItems });
    // A signed catalog is kept (with its signature, served with it) only if one of the model keys signed it.
    const signedBy = parsed.signature ? (await verifyCatalogBytes(parsed.signature.value, parsed.signature.signed, trusted)).keyId : null;
    const stored = await store.put(parsed.json);
    // `groups`: what shoppers see as one card each (variants of one item_group_id count once).
    return c.json({ products: parsed.products, groups: parsed.groups, updatedAt: parsed.updatedAt, etag: quoteEtag(stored.sha256), signedBy });
  });
  return routes;
}

/** The catalog options of `createApp`. */
export interface CatalogOptions {
  /**
   * Where the catalog served at `/v1/catalog` is kept. Default: in memory (gone on restart); adapters
   * pass a durable one (`openDiskCatalog(dir)` on Node, R2 on Workers).
   * @example await openDiskCatalog('.edge-recs/catalog')
   */
  catalog?: CatalogStore;
  /**
   * Largest catalog upload (`PUT /v1/admin/catalog`), in bytes. Default 64 MiB: a 100k-product XML feed
   * is about 50 MB.
   * @example 16 * 1024 * 1024
   */
  maxCatalogBytes?: number;
  /**
   * Most products a catalog upload may hold (feed items, TSV rows, JSON products). Default 200,000
   * (`MAX_CATALOG_ITEMS`): twice a large shop's range, while bounding what one upload makes the server
   * parse and keep and every widget download. A feed over it is refused with 400 `too_many_items` as
   * soon as its item number `maxCatalogItems + 1` is read.
   * @example 500_000
   */
  maxCatalogItems?: number;
  /**
   * Where a catalog upload is parsed and checked. Default: inline, in the request's own task (right on
   * Workers, where each request has its own CPU budget). The Node adapter passes
   * `workerCatalogParser()` (`adapters/node/catalog-parser.ts`), a worker thread, so a 100k-product feed
   * does not pause `/healthz` and every other request for the seconds it takes.
   * @example parseCatalog: workerCatalogParser()
   */
  parseCatalog?: CatalogParser;
}

const CATALOG_DEFAULTS = {
  /** A 100k-product Merchant Center feed is ~50 MB of XML. */
  maxCatalogBytes: 64 * 1024 * 1024,
  maxCatalogItems: MAX_CATALOG_ITEMS,
} as const;

const fail: Fail = optionError('createApp');

/**
 * The catalog feature: `GET /v1/catalog`, and behind the admin guard `PUT /v1/admin/catalog`. Checks its
 * options once, here. `trustedKeys`: the keys models are signed by, which a signed catalog must be signed by too.
 * @throws TypeError naming the first invalid option.
 */
export function catalogRoutes(options: CatalogOptions & { trustedKeys: readonly TrustedKey[] }): Hono {
  const store = options.catalog ?? createMemoryCatalog();
  if (!hasMethods(store, ['get', 'put'])) fail('catalog must be a CatalogStore ({ get, put })');
  const parse = options.parseCatalog ?? inlineCatalogParser;
  if (typeof parse !== 'function') fail('parseCatalog must be a function ({ body, format, maxItems }) => Promise<ParsedCatalog>');
  const maxBytes = positiveInt(fail, options.maxCatalogBytes, 'maxCatalogBytes', CATALOG_DEFAULTS.maxCatalogBytes);
  const maxItems = positiveInt(fail, options.maxCatalogItems, 'maxCatalogItems', CATALOG_DEFAULTS.maxCatalogItems);
  return new Hono().route('/v1', publicRoutes(store)).route('/v1/admin', adminRoutes(store, { maxBytes, maxItems, parse, trusted: options.trustedKeys }));
}
