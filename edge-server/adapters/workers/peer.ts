/** The Workers adapter's `PeerOf`: Cloudflare's edge sets `CF-Connecting-IP` and terminates TLS itself. */
import type { PeerOf } from '../../middleware/peer.ts';

/**
 * The client address from `CF-Connecting-IP`, which Cloudflare's edge sets on every request a Worker
 * receives (a client cannot forge it there); TLS from the request URL's scheme.
 */
export const cloudflarePeer: PeerOf = (c) => ({
  address: c.req.header('CF-Connecting-IP')?.trim() || null,
  secure: new URL(c.req.url).protocol === 'https:',
});
