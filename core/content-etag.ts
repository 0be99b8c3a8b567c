/**
 * Content ETags: the edge server answers the catalog and model manifests with `"<SHA-256 of the body, hex>"`
 * as ETag, and the widget sends an ETag back (`If-None-Match`) only after checking that it is exactly that
 * for the bytes it holds. An ETag is a value the client stores and repeats unasked, so one a server chose
 * freely could be a per-shopper identifier that outlives cleared cookies; a content hash names only the
 * bytes, which are the same for every shopper given them.
 */
import { sha256Hex } from './artifact/bytes.ts';

/** The ETag of `body`: its SHA-256 in lowercase hex, quoted (a strong ETag, RFC 9110 §8.8.3). */
async function contentEtag(body: BufferSource): Promise<string> {
  return `"${await sha256Hex(body)}"`;
}

/**
 * Whether `etag` is exactly the content ETag of `body` (and so names nothing but these bytes), strong or
 * weak: a compressed answer carries it weak (`W/"…"`, the encoded bytes differ, the content does not), and
 * `body` is what the browser decoded. Sent back as it came, it revalidates by the weak comparison.
 */
export async function isContentEtag(etag: string | null | undefined, body: BufferSource): Promise<boolean> {
  return typeof etag === 'string' && /^(?:W\/)?"[0-9a-f]{64}"$/.test(etag) && etag.replace(/^W\//, '') === (await contentEtag(body));
}
