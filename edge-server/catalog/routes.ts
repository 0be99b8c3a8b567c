/**
 * The catalog: `GET /v1/catalog` (public, what the widget reads) and `PUT /v1/admin/catalog` (admin:
 * a JSON catalog, or a Google Merchant Center feed in TSV or XML, picked by Content-Type). Every format
 * goes through the same checks (`core/catalog.ts`): the id rule, one currency, variant groups.
 */
import { Hono } from 'hono';
import type { TrustedKey } from '../../core/artifact/signing.ts';
import { verifyCatalogBytes } from '../../core/catalog-signature.ts';
import { limitBody, requireMediaType } from '../middleware/body.ts';
import { ApiError } from '../middleware/errors.ts';
import { feedFormatOf } from './feed-format.ts';
import { noneMatch, quoteEtag } from '../middleware/http.ts';
import type { CatalogParser } from './parse.ts';
import type { CatalogStore } from './store.ts';

/** A catalog changes a few times a day: a minute of caching spares the server, and a 304 is cheap after it. */
const CATALOG_CACHE = 'public, max-age=60';

export const CATALOG_TYPES = ['application/json', 'text/tab-separated-values', 'text/tsv', 'application/xml', 'text/xml', 'application/rss+xml', 'application/atom+xml'];

export function catalogRoutes(store: CatalogStore): Hono {
  const routes = new Hono();
  routes.get('/catalog', async (c) => {
    const stored = await store.get();
    if (!stored) throw new ApiError(404, 'no_catalog', 'no catalog is published yet (PUT /v1/admin/catalog)');
    const etag = quoteEtag(stored.sha256);
    const headers = { ETag: etag, 'Cache-Control': CATALOG_CACHE };
    if (noneMatch(c.req.header('If-None-Match'), etag)) return c.body(null, 304, headers);
    return c.body(stored.json, 200, { ...headers, 'Content-Type': 'application/json; charset=utf-8' });
  });
  return routes;
}

export interface CatalogUploadOptions {
  /** Largest body, bytes (`AppOptions.maxCatalogBytes`). */
  maxBytes: number;
  /** Most products (`AppOptions.maxCatalogItems`). */
  maxItems: number;
  /** Where the body is parsed (`AppOptions.parseCatalog`). */
  parse: CatalogParser;
  /** Keys a signed catalog must be signed by (`AppOptions.trustedKeys`); an unsigned one is stored unsigned. */
  trusted: readonly TrustedKey[];
}

/** `PUT /catalog` for the admin sub-app. */
export function catalogAdminRoutes(store: CatalogStore, { maxBytes, maxItems, parse, trusted }: CatalogUploadOptions): Hono {
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
