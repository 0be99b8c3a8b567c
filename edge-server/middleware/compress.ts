/**
 * Response compression (RFC 9110 §8.4 content codings, §12.5.3 Accept-Encoding), on Web-standard APIs
 * only: the runtime brings the compressor (`Compressor`: node:zlib in `adapters/node`, workerd's own
 * encoder in `adapters/workers`, `CompressionStream` gzip by default).
 *
 * - Negotiated per request from `Accept-Encoding` (q-values, `identity`, `*`); among codings the client
 *   rates equally the server prefers br, then gzip.
 * - Every compressible answer carries `Vary: Accept-Encoding`, compressed or not, so no cache hands one
 *   client's encoding to another.
 * - A compressed answer's ETag is the identity answer's, made weak (`W/"…"`, as nginx and Cloudflare
 *   do): the bytes differ, the content does not. A strong validator therefore always names identity
 *   bytes, a weak one the content, and a revalidation with either answers 304 (the routes compare
 *   weakly, `noneMatch`). The widget keeps either form as the content ETag (`core/content-etag.ts`).
 * - Answers with a strong ETag (catalog, manifests, widget files, all content-addressed) are compressed
 *   once per content and encoding at the best setting, and the result kept (`memo`); others (metrics,
 *   keys, pages) at a fast setting per request.
 * - Not compressed: HEAD, anything but 200 (304s, ranges, errors), bodies under `minBytes`, types that
 *   are already compressed (images, octet-stream blobs: the weight shards, see docs/deployment.md), an
 *   answer that already has a Content-Encoding (precompressed widget files) or says `no-transform`.
 */
import type { MiddlewareHandler } from 'hono';
import { etagList } from './http.ts';
import { securedParts, securedResponse } from './security.ts';

/** Content codings this server produces, in its order of preference. */
export type Encoding = 'br' | 'gzip';
export const ENCODINGS: readonly Encoding[] = ['br', 'gzip'];

/** `fast` per request; `best` once per content (kept): brotli quality 11 where the runtime can. */
export type Effort = 'fast' | 'best';

/**
 * What a runtime offers to compress with. `compress` returns the encoded bytes, or `null` where the
 * runtime encodes the body itself as it sends it (workerd: a `Response` with `Content-Encoding` and the
 * default `encodeBody: 'automatic'`).
 */
export interface Compressor {
  /** Codings it can produce, e.g. `['br', 'gzip']`. */
  readonly encodings: readonly Encoding[];
  compress(bytes: Uint8Array, encoding: Encoding, effort: Effort): Promise<Uint8Array | null>;
}

/** gzip through the Compression Streams API: everywhere (Node 18+, workerd, browsers), no brotli. */
export const webCompressor: Compressor = {
  encodings: ['gzip'],
  async compress(bytes, encoding) {
    if (encoding !== 'gzip') throw new TypeError(`webCompressor cannot produce ${encoding}`);
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  },
};

/** Media types worth compressing: text, JSON, JavaScript, WASM, SVG, XML. */
const COMPRESSIBLE = /^\s*(?:text\/|application\/(?:json|javascript|wasm|xml|manifest\+json|[\w.-]+\+(?:json|xml))\b|image\/svg\+xml\b)/i;
export const isCompressible = (contentType: string | null | undefined): boolean => !!contentType && COMPRESSIBLE.test(contentType);

/**
 * The coding to answer with, given the request's `Accept-Encoding` and what the server can produce:
 * the highest q among `offered` (ties go to `offered`'s order), `identity` where the client lists it
 * with a higher q, where nothing offered is acceptable, or where there is no header (RFC 9110 allows any
 * coding then, but a client that sent none is best served plainly). `*` rates every coding not named.
 */
export function negotiateEncoding(header: string | null | undefined, offered: readonly Encoding[]): Encoding | 'identity' {
  if (!header) return 'identity';
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';');
    const coding = name.trim().toLowerCase();
    if (!coding) continue;
    let weight = 1;
    for (const param of params) {
      const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(param);
      if (m) weight = Math.min(1, Number(m[1]));
    }
    // The first mention wins, as a repeated coding is a client bug either way.
    if (!q.has(coding)) q.set(coding, weight);
  }
  const star = q.get('*');
  const rate = (coding: string): number => q.get(coding) ?? star ?? 0;
  let best: Encoding | undefined;
  for (const coding of offered) if (rate(coding) > 0 && (best === undefined || rate(coding) > rate(best))) best = coding;
  if (best === undefined) return 'identity';
  return q.has('identity') && q.get('identity')! > rate(best) ? 'identity' : best;
}

/** `value` added to a `Vary` list unless already named (or `*`). */
export function addVary(vary: string | null | undefined, value: string): string {
  if (!vary) return value;
  const names = vary.split(',').map((v) => v.trim().toLowerCase());
  return names.includes('*') || names.includes(value.toLowerCase()) ? vary : `${vary}, ${value}`;
}

/** A strong ETag made weak; a weak one (or none) as it is. */
const weaken = (etag: string | null): string | null => (etag && !etag.startsWith('W/') ? `W/${etag}` : etag);

/** Encoded bodies kept by (strong ETag, coding), oldest out first; in-flight work is shared. */
class Memo {
  readonly #entries = new Map<string, Promise<Uint8Array | null>>();
  constructor(readonly size: number) {}
  get(key: string, make: () => Promise<Uint8Array | null>): Promise<Uint8Array | null> {
    let entry = this.#entries.get(key);
    if (entry) {
      // Recently used goes to the back of the queue.
      this.#entries.delete(key);
    } else {
      entry = make();
      entry.catch(() => this.#entries.delete(key));
    }
    this.#entries.set(key, entry);
    if (this.#entries.size > this.size) this.#entries.delete(this.#entries.keys().next().value!);
    return entry;
  }
}

export interface CompressionOptions {
  /** Default `webCompressor` (gzip). */
  compressor?: Compressor;
  /** Smaller bodies go out as they are: compression would save less than its framing. Default 1024. */
  minBytes?: number;
  /** How many encoded bodies to keep (two per content: br and gzip). Default 64. */
  memoEntries?: number;
}

/** `Response` init with workerd's `encodeBody` (ignored by Node), which the DOM types do not know. */
type EncodedInit = ResponseInit & { encodeBody?: 'manual' | 'automatic' };

/**
 * An answer whose body is already encoded: `encodeBody: 'manual'` tells workerd to send the bytes as
 * they are (by default it would encode them again after `Content-Encoding`); Node ignores it.
 * `encoded === null`: the runtime encodes `identity` itself.
 */
export function encodedResponse(identity: Uint8Array, encoded: Uint8Array | null, status: number, headers: HeadersInit): Response {
  const init: EncodedInit = encoded ? { status, headers, encodeBody: 'manual' } : { status, headers };
  return new Response((encoded ?? identity) as Uint8Array<ArrayBuffer>, init);
}

/**
 * The compression middleware; mount it inside the security and CORS middleware (it runs on the route's
 * answer before they do). Options are checked once, here.
 */
export function compression(options: CompressionOptions = {}): MiddlewareHandler {
  const compressor = options.compressor ?? webCompressor;
  if (!Array.isArray(compressor.encodings) || compressor.encodings.some((e) => !ENCODINGS.includes(e)) || typeof compressor.compress !== 'function') {
    throw new TypeError(`compression: compressor must be { encodings: subset of ${ENCODINGS.join(', ')}, compress(bytes, encoding, effort) }`);
  }
  const offered = ENCODINGS.filter((e) => compressor.encodings.includes(e));
  const minBytes = options.minBytes ?? 1024;
  const memo = new Memo(options.memoEntries ?? 64);
  // Header objects of prebuilt (secured) answers, with Vary and the coding merged, built once each.
  const merged = new WeakMap<object, Map<string, Readonly<Record<string, string>>>>();
  // `revalidated`: a 304 for a compressed copy (weak ETag and Vary, no coding: it has no body).
  const mergedHeaders = (headers: Readonly<Record<string, string>>, encoding: Encoding | 'identity' | 'revalidated'): Readonly<Record<string, string>> => {
    let byEncoding = merged.get(headers);
    if (!byEncoding) merged.set(headers, (byEncoding = new Map()));
    let out = byEncoding.get(encoding);
    if (!out) {
      const { Vary, vary, ETag, etag, 'Content-Length': _length, ...rest } = headers as Record<string, string>;
      const tag = ETag ?? etag;
      out = Object.freeze({
        ...rest,
        Vary: addVary(Vary ?? vary, 'Accept-Encoding'),
        ...(tag ? { ETag: encoding === 'identity' ? tag : weaken(tag)! } : {}),
        ...(encoding === 'identity' || encoding === 'revalidated' ? {} : { 'Content-Encoding': encoding }),
      });
      byEncoding.set(encoding, out);
    }
    return out;
  };

  return async (c, next) => {
    await next();
    if (c.req.method !== 'GET') return;
    const res = c.res;
    if (res.status === 304) {
      // The client revalidated a compressed copy (weak tag) and would be sent one again: the 304 names
      // that copy, as the 200 would.
      const etag = res.headers.get('ETag');
      const sent = etagList(c.req.header('If-None-Match'));
      if (
        etag && !etag.startsWith('W/') && sent.includes(`W/${etag}`) && !sent.includes(etag) &&
        negotiateEncoding(c.req.header('Accept-Encoding'), offered) !== 'identity'
      ) {
        const parts = securedParts(res);
        if (parts) {
          c.res = undefined;
          c.res = securedResponse(null, 304, mergedHeaders(parts.headers, 'revalidated'));
          return;
        }
        res.headers.set('ETag', weaken(etag)!);
        res.headers.set('Vary', addVary(res.headers.get('Vary'), 'Accept-Encoding'));
      }
      return;
    }
    if (res.status !== 200 || res.headers.has('Content-Encoding') || !isCompressible(res.headers.get('Content-Type'))) return;
    if (/\bno-transform\b/i.test(res.headers.get('Cache-Control') ?? '')) return;
    const encoding = negotiateEncoding(c.req.header('Accept-Encoding'), offered);
    const parts = securedParts(res);
    if (encoding === 'identity') {
      if (parts) {
        c.res = undefined;
        c.res = securedResponse(parts.body, 200, mergedHeaders(parts.headers, 'identity'));
      } else {
        res.headers.set('Vary', addVary(res.headers.get('Vary'), 'Accept-Encoding'));
      }
      return;
    }
    const body = parts?.body instanceof Uint8Array ? parts.body : new Uint8Array(await res.arrayBuffer());
    const etag = res.headers.get('ETag');
    let encoded: Uint8Array | null | 'identity' = 'identity';
    if (body.byteLength >= minBytes) {
      encoded = etag && !etag.startsWith('W/')
        ? await memo.get(`${etag} ${encoding}`, () => compressor.compress(body, encoding, 'best'))
        : await compressor.compress(body, encoding, 'fast');
      // Incompressible after all (already-compressed data under a text type): identity is smaller.
      if (encoded && encoded.byteLength >= body.byteLength) encoded = 'identity';
    }
    const chosen = encoded === 'identity' ? 'identity' : encoding;
    c.res = undefined;
    if (parts) {
      const headers = mergedHeaders(parts.headers, chosen);
      // Already encoded bytes go out as they are (`encodeBody: 'manual'`, see `encodedResponse`).
      c.res = encoded === 'identity' ? securedResponse(body as Uint8Array<ArrayBuffer>, 200, headers) : securedResponse((encoded ?? body) as Uint8Array<ArrayBuffer>, 200, headers, encoded !== null);
      return;
    }
    const headers = new Headers(res.headers);
    headers.set('Vary', addVary(headers.get('Vary'), 'Accept-Encoding'));
    headers.delete('Content-Length');
    if (encoded !== 'identity') {
      headers.set('Content-Encoding', encoding);
      if (etag) headers.set('ETag', weaken(etag)!);
    }
    c.res = encoded === 'identity' ? new Response(body as Uint8Array<ArrayBuffer>, { status: 200, headers }) : encodedResponse(body, encoded, 200, headers);
  };
}
