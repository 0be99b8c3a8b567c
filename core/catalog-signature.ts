/**
 * A signed catalog, like a signed model: an Ed25519 signature (`core/artifact/signing.ts`, the key files
 * of `edge-recs keygen`) in the catalog document's own `signature` field, over `canonicalJson` of the
 * catalog as `parseCatalog` returns it, without `signature`. Signing what the parser returns, not the text
 * a merchant uploaded, is what makes a Merchant Center feed signable: the CLI parses the TSV or XML with the
 * same `core/` parsers as the server, signs the normalized catalog and uploads it as JSON, and the server
 * and the widget parse what they get into the same catalog and check the signature over it.
 *
 * Served as `{"updatedAt", "products": [...], "signature": {"alg": "Ed25519", "keyId", "value"}}`.
 */
import { canonicalJson, utf8, type Bytes } from './artifact/bytes.ts';
import type { Signature } from './artifact/manifest.ts';
import { signBytes, verifySignature, type KeyFile, type TrustedKey } from './artifact/signing.ts';
import type { Catalog } from './catalog.ts';

export type SignedCatalog = Catalog & { signature: Signature };

/**
 * What a catalog's signature covers: the parsed catalog without `signature`, as `canonicalJson` (keys
 * sorted at every depth), UTF-8. The server's upload parses in a worker thread and hands these bytes back
 * with the signature, so the check itself needs no second parse.
 */
export function catalogSignedBytes(catalog: Catalog): Bytes {
  const { signature: _ignored, ...body } = catalog;
  return utf8.encode(canonicalJson(body));
}

/** `catalog` (as `parseCatalog` or `parseMerchantFeed` returned it) with a signature by `key` (replacing any). */
export async function signCatalog(catalog: Catalog, key: KeyFile): Promise<SignedCatalog> {
  const { signature: _old, ...body } = catalog;
  return { ...body, signature: await signBytes(catalogSignedBytes(body), key) };
}

/**
 * Checks a catalog's signature against `trusted`.
 * @returns the key that signed it.
 * @throws ContractError `unsigned`, `untrusted_key` or `bad_signature`.
 */
export function verifyCatalog(catalog: Catalog, trusted: readonly TrustedKey[]): Promise<TrustedKey> {
  return verifySignature(catalog.signature, catalogSignedBytes(catalog), trusted, 'the catalog');
}

/** `verifyCatalog` for a parser that handed back `catalogSignedBytes` and the signature instead of the catalog. */
export function verifyCatalogBytes(signature: Signature | undefined, signed: Bytes, trusted: readonly TrustedKey[]): Promise<TrustedKey> {
  return verifySignature(signature, signed, trusted, 'the catalog');
}
