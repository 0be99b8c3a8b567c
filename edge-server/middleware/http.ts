/** HTTP caching and range semantics (RFC 9110 §13, §14), shared by every route that serves bytes. */
import type { Bytes } from '../../core/artifact/bytes.ts';

/** Content-addressed bytes never change, so caches may keep them for a year without asking again. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

export const quoteEtag = (sha256: string): string => `"${sha256}"`;

/**
 * `If-None-Match` uses the weak comparison (RFC 9110 §13.1.2): `W/"x"` matches `"x"`; `*` matches
 * any current representation.
 */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return etagList(header).some((tag) => tag.replace(/^W\//, '') === etag);
}

/** The entity tags an `If-None-Match` / `If-Match` list names, as written (`W/` kept), none for no header. */
export function etagList(header: string | undefined): string[] {
  return header ? header.split(',').map((tag) => tag.trim()) : [];
}

export type RangeResult = { start: number; end: number } | 'unsatisfiable' | null;

/**
 * Reads a single `bytes=` range against a representation of `size` bytes; `end` is inclusive.
 * Returns `null` when the header should be ignored and the whole body sent: absent, malformed, or
 * several ranges (RFC 9110 §14.2 lets a server ignore Range; multipart answers buy a client nothing
 * over a few single-range requests). Returns `'unsatisfiable'` for a 416.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return null;
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return null;
  if (first === '') {
    // Suffix range: the final `last` bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

/**
 * `If-Range` asks for the range only if the representation is still `etag` (strong comparison);
 * otherwise the client's partial copy is stale and it gets the whole body.
 */
export function ifRangeHolds(header: string | undefined, etag: string): boolean {
  return header === undefined || header.trim() === etag;
}

/** Bytes a `Response` accepts: views over a `SharedArrayBuffer` are copied. */
export function asBytes(view: Uint8Array): Bytes {
  return view.buffer instanceof ArrayBuffer ? (view as Bytes) : new Uint8Array(view);
}
