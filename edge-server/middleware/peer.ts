/**
 * Who sent a request, as far as the network can tell: the client's address (the network source that
 * per-source limits count by) and whether the request reached the deployment over TLS. Each runtime
 * adapter knows where that comes from and passes a `PeerOf` to `createApp`: the socket's address and
 * a trusted proxy's `X-Forwarded-For` / `X-Forwarded-Proto` on Node (`nodePeer`), Cloudflare's
 * `CF-Connecting-IP` on Workers. Web-standard APIs only.
 */
import type { Context } from 'hono';
import { toHex, utf8 } from '../../core/artifact/bytes.ts';
import { optionError } from '../../core/options.ts';

export interface Peer {
  /** The client's IP address as the network gives it, or `null` where the runtime cannot tell (e.g. `app.request` in a test). */
  address: string | null;
  /** Whether the client's connection to the deployment was TLS (directly, or to a trusted TLS-terminating proxy). */
  secure: boolean;
}

/** Reads a request's `Peer`. Must not throw: an adapter that cannot tell answers `{ address: null, secure: false }`. */
export type PeerOf = (c: Context) => Peer;

/** The default where the adapter gives none: no address (every request is the one `unknown` source), secure only for an `https:` URL. */
export const urlPeer: PeerOf = (c) => ({ address: null, secure: new URL(c.req.url).protocol === 'https:' });

/** The key of the source every request without a known address shares. */
/** Checks the `peer` option of `createApp`; default `urlPeer`. @throws TypeError when it is not a function. */
export function checkPeer(peer: unknown = urlPeer): PeerOf {
  if (typeof peer !== 'function') optionError('createApp')('peer must be a function (c) => { address, secure }');
  return peer as PeerOf;
}

const UNKNOWN_SOURCE = 'unknown';

/**
 * The network source an address belongs to, as per-source limits count it: an IPv4 address as is
 * (an IPv4-mapped IPv6 address as its IPv4 form), an IPv6 address as its /64 prefix, since one
 * subscriber is routinely given a whole /64 (RFC 6177) and can pick any address in it.
 * @example sourceKey('2001:db8:1:2:aaaa::1') // '2001:db8:1:2::/64'
 * @example sourceKey(null) // 'unknown'
 */
export function sourceKey(address: string | null): string {
  if (address === null) return UNKNOWN_SOURCE;
  const raw = address.trim().replace(/^\[|\]$/g, '').replace(/%.*$/, '').toLowerCase();
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/.exec(raw);
  if (v4) return v4[1]!;
  const groups = expandIpv6(raw);
  if (!groups) return UNKNOWN_SOURCE;
  // IPv4-mapped in hex form (::ffff:c000:0201).
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (dotted IPv4 tail allowed), or null if it is not one. */
function expandIpv6(text: string): number[] | null {
  let s = text;
  const tail = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (tail) {
    const b = tail.slice(1).map(Number);
    if (b.some((x) => x > 255)) return null;
    s = `${s.slice(0, tail.index)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const fill = 8 - head.length - rest.length;
  return fill < 1 ? null : [...head, ...new Array<number>(fill).fill(0), ...rest];
}

/**
 * Hashes network sources under `secret`, so a count per source can be kept without the address:
 * HMAC-SHA-256, its first 16 bytes as 32 hex digits. Whoever drops the secret makes the hashes
 * unlinkable to any address (the federation per round, admission per day).
 * @example const hash = await sourceHasher(secret); await hash(sourceKey(peer.address))
 */
export async function sourceHasher(secret: Uint8Array): Promise<(source: string) => Promise<string>> {
  const key = await crypto.subtle.importKey('raw', secret as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return async (source) => toHex(new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(source)), 0, 16));
}
