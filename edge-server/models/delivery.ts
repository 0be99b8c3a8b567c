/**
 * Model delivery under `/v1`: the current manifest per model (short-lived, revalidated by ETag) and
 * content-addressed blobs (cached forever). The widget verifies the manifest's signature and every
 * blob's SHA-256 itself, so caches and CDNs in between need no trust.
 */
import { Hono } from 'hono';
import { concatBytes } from '../../core/artifact/bytes.ts';
import type { TrustedKey } from '../../core/artifact/signing.ts';
import { FEDERATED_LEARNING_HEADER } from '../../core/federated/codec.ts';
import { ApiError } from '../middleware/errors.ts';
import { IMMUTABLE, ifRangeHolds, noneMatch, parseRange, quoteEtag } from '../middleware/http.ts';
import { canaryBucket, servedVersion } from './registry-ops.ts';
import { currentManifest } from './registry.ts';
import { apiResponse, securedResponse, withApiSecurity } from '../middleware/security.ts';
import type { Storage } from './storage.ts';

/**
 * A minute of freshness bounds how long a newly published version waits to reach devices, and
 * `must-revalidate` turns each later check into a cheap 304.
 */
const MANIFEST_CACHE = 'public, max-age=60, must-revalidate';
const CANARY_CACHE = 'private, max-age=60, must-revalidate';
const SHA256 = /^[0-9a-f]{64}$/;

/** Throws 400 `bad_sha256` unless `address` is a blob address (64 lowercase hex digits). */
function checkAddress(address: string): void {
  if (!SHA256.test(address)) throw new ApiError(400, 'bad_sha256', `a blob address is 64 lowercase hex digits (got ${JSON.stringify(address.slice(0, 80))})`);
}
/** Answers whose headers are kept (oldest out first): a few models' files and versions. */
const HEADER_CACHE = 1024;
/** Blobs per batch request (`GET /v1/blobs?sha256=…`): a model's files, with room for many shards. */
export const MAX_BATCH = 32;

/**
 * @param federated whether this server takes federated updates, told to devices with every manifest
 * (`FEDERATED_LEARNING_HEADER`).
 */
export function deliveryRoutes(storage: Storage, trustedKeys: readonly TrustedKey[], federated = false): Hono {
  const keysBody = { keys: trustedKeys.map(({ keyId, publicKey }) => ({ keyId, publicKey })) };
  const routes = new Hono();
  // Answer headers depend only on what is answered (a blob's address; a manifest version and whether a
  // canary runs): built once per hot blob or version, not per request, so that the CORS grant is also
  // merged into them once (`corsHeaders`).
  const headerCache = new Map<string, Readonly<Record<string, string>>>();
  const cachedHeaders = (key: string, make: () => Record<string, string>): Readonly<Record<string, string>> => {
    let headers = headerCache.get(key);
    if (!headers) {
      headers = withApiSecurity(make());
      if (headerCache.size >= HEADER_CACHE) headerCache.delete(headerCache.keys().next().value!);
      headerCache.set(key, headers);
    }
    return headers;
  };
  const blobHeaders = (sha256: string, etag: string): Readonly<Record<string, string>> =>
    cachedHeaders(`blob:${sha256}`, () => ({ ETag: etag, 'Cache-Control': IMMUTABLE, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' }));

  routes.get('/models/:name/manifest', async (c) => {
    const name = c.req.param('name');
    // `?bucket=` from widgets (a query, not a header, so a first visit needs no CORS preflight), the header from older ones.
    const bucket = canaryBucket(c.req.query('bucket') ?? c.req.header('X-Canary-Bucket'));
    if (bucket === null) throw new ApiError(400, 'bad_canary_bucket', 'the canary bucket (?bucket= or X-Canary-Bucket) must be an integer 0-99 (drawn once per session)');
    let canary = false;
    const current = await currentManifest(storage, name, (record) => {
      canary = record.canary !== undefined;
      return servedVersion(record, bucket);
    });
    if (!current) throw new ApiError(404, 'unknown_model', `no model named ${JSON.stringify(name)} is published`);
    const etag = quoteEtag(current.sha256);
    // While a canary runs the answer depends on the bucket: shared caches must not hand one to everyone.
    const base = (): Record<string, string> => ({
      ETag: etag,
      'X-Model-Version': current.manifest.version,
      [FEDERATED_LEARNING_HEADER]: federated ? 'on' : 'off',
      // Accept-Encoding: the manifest is compressed after it (middleware/compress.ts), 304s say so too.
      ...(canary ? { 'Cache-Control': CANARY_CACHE, Vary: 'X-Canary-Bucket, Accept-Encoding' } : { 'Cache-Control': MANIFEST_CACHE, Vary: 'Accept-Encoding' }),
    });
    const key = `manifest:${current.sha256}:${canary}`;
    if (noneMatch(c.req.header('If-None-Match'), etag)) return securedResponse(null, 304, cachedHeaders(`${key}:304`, base));
    return securedResponse(current.bytes, 200, cachedHeaders(key, () => ({ ...base(), 'Content-Type': 'application/json' })));
  });

  // Several blobs in one answer: their bytes one after another, in the order asked. A first visit needs
  // a model's every file (weights, items, next steps, features); the widget asks for the ones it lacks in
  // one request and cuts the answer by the signed manifest's byte counts, verifying each piece's SHA-256
  // as it does a single blob's. Content-addressed, so cached forever like a single blob.
  routes.get('/blobs', async (c) => {
    const list = c.req.query('sha256');
    if (list === undefined) throw new ApiError(400, 'bad_sha256', 'ask for blobs as /v1/blobs/<sha256>, or several as /v1/blobs?sha256=<sha256>,<sha256>,…');
    const addresses = list.split(',');
    if (addresses.length > MAX_BATCH) throw new ApiError(400, 'too_many_blobs', `at most ${MAX_BATCH} blobs per request (got ${addresses.length})`);
    addresses.forEach(checkAddress);
    if (new Set(addresses).size !== addresses.length) throw new ApiError(400, 'bad_sha256', 'a blob is asked for twice');
    const blobs = await Promise.all(addresses.map((a) => storage.blobs.get(a)));
    const missing = addresses.filter((_, i) => !blobs[i]);
    if (missing.length > 0) throw new ApiError(404, 'unknown_blob', `no blob ${missing.join(', ')}`);
    return apiResponse(concatBytes(blobs as Uint8Array[]), 200, { 'Cache-Control': IMMUTABLE, 'Content-Type': 'application/octet-stream' });
  });

  routes.get('/blobs/:sha256', async (c) => {
    const sha256 = c.req.param('sha256');
    checkAddress(sha256);
    const bytes = await storage.blobs.get(sha256);
    if (!bytes) throw new ApiError(404, 'unknown_blob', `no blob ${sha256}`);
    // The address is the ETag; the bytes go out as stored (no copy: `Response` takes the view as is).
    const etag = quoteEtag(sha256);
    if (noneMatch(c.req.header('If-None-Match'), etag)) {
      return securedResponse(null, 304, cachedHeaders(`blob:${sha256}:304`, () => ({ ETag: etag, 'Cache-Control': IMMUTABLE, 'Accept-Ranges': 'bytes' })));
    }

    const rangeHeader = c.req.header('Range');
    const range = rangeHeader !== undefined && ifRangeHolds(c.req.header('If-Range'), etag) ? parseRange(rangeHeader, bytes.byteLength) : null;
    if (range === 'unsatisfiable') {
      throw new ApiError(416, 'range_not_satisfiable', `the blob has ${bytes.byteLength} bytes`, {
        'Content-Range': `bytes */${bytes.byteLength}`,
      });
    }
    if (!range) return securedResponse(bytes, 200, blobHeaders(sha256, etag));
    const headers = { ETag: etag, 'Cache-Control': IMMUTABLE, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
    return apiResponse(bytes.subarray(range.start, range.end + 1), 206, {
      ...headers,
      'Content-Range': `bytes ${range.start}-${range.end}/${bytes.byteLength}`,
    });
  });

  routes.get('/keys', (c) => {
    c.header('Cache-Control', MANIFEST_CACHE);
    return c.json(keysBody);
  });

  return routes;
}
