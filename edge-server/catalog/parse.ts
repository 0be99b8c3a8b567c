/**
 * Turning an uploaded catalog body into the JSON the store keeps: the work `PUT /v1/admin/catalog` does
 * between reading the body and storing it. A `CatalogParser` may run it anywhere; the Node adapter runs
 * it in a worker thread (`adapters/node/catalog-parser.ts`) so a 65 MB feed does not hold the event loop
 * that answers every other request, and the result comes back as bytes, not as 100,000 objects to copy.
 */
import { utf8, type Bytes } from '../../core/artifact/bytes.ts';
import type { Signature } from '../../core/artifact/manifest.ts';
import { groupIndex } from '../../core/catalog.ts';
import { catalogSignedBytes } from '../../core/catalog-signature.ts';
import { parseCatalogText, type CatalogFormat } from '../../core/catalog-text.ts';
import { ContractError } from '../../core/errors.ts';
import { catalogJson } from './store.ts';

/** What an upload made: the catalog as stored and served, and the figures the upload answers with. */
export interface ParsedCatalog {
  /** The normalized catalog as UTF-8 JSON (`catalogJson`), ready for `CatalogStore.put`. */
  json: Bytes;
  products: number;
  /** Variant groups: one card each. */
  groups: number;
  updatedAt: string;
  /**
   * A signed catalog's signature and the bytes it covers (`catalogSignedBytes`), for the upload to check
   * against its trusted keys without parsing again; absent for an unsigned one.
   */
  signature?: { value: Signature; signed: Bytes };
}

export interface CatalogParseInput {
  /** The request body as sent: UTF-8 text of a JSON catalog or a Merchant Center TSV or XML feed. */
  body: Bytes;
  format: CatalogFormat;
  /** Most products (`AppOptions.maxCatalogItems`). */
  maxItems: number;
}

/**
 * Parses and checks an uploaded catalog. Rejects with a `ContractError` for a body at fault (the server
 * answers 400 with its code and message, naming the line, item and field); any other rejection is the
 * parser's own failure (500).
 */
export type CatalogParser = (input: CatalogParseInput) => Promise<ParsedCatalog>;

/** The work of a `CatalogParser`, synchronous: what runs inline, or inside a worker thread. */
export function parseCatalogBody({ body, format, maxItems }: CatalogParseInput): ParsedCatalog {
  let text: string;
  try {
    text = utf8.decode(body).replace(/^\uFEFF/, '');
  } catch {
    throw new ContractError('bad_encoding', 'the request body is not valid UTF-8');
  }
  const catalog = parseCatalogText(text, format, { maxItems });
  return {
    json: catalogJson(catalog),
    products: catalog.products.length,
    groups: groupIndex(catalog).groups.size,
    updatedAt: catalog.updatedAt,
    ...(catalog.signature && { signature: { value: catalog.signature, signed: catalogSignedBytes(catalog) } }),
  };
}

/**
 * The default parser: in the request's own task. Right for Workers, where each request has its own CPU
 * budget and isolate, and for tests; on Node a large upload would pause every other request while it
 * runs, which is why the Node adapter passes `workerCatalogParser()`.
 */
export const inlineCatalogParser: CatalogParser = async (input) => parseCatalogBody(input);
