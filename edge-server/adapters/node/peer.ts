/**
 * The Node adapter's `PeerOf`: the client address from the socket, or, when the socket's peer is a
 * proxy the operator trusts (`--trust-proxy`), from the `X-Forwarded-For` it appends (the nearest entry
 * that is not itself a trusted proxy), and TLS from its `X-Forwarded-Proto`. Headers from anyone else
 * are ignored, so a client cannot claim another address or a TLS connection it does not have.
 */
import { BlockList, isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Peer, PeerOf } from '../../middleware/peer.ts';

/**
 * Parses `--trust-proxy` values: IP addresses or CIDR ranges (`127.0.0.1`, `10.0.0.0/8`, `fd00::/8`).
 * @throws TypeError naming the value that is neither.
 */
export function trustedProxies(values: readonly string[]): BlockList {
  const list = new BlockList();
  for (const value of values) {
    const [address, bits, extra] = value.trim().split('/');
    const family = isIP(address ?? '');
    const prefix = bits === undefined ? undefined : Number(bits);
    const max = family === 4 ? 32 : 128;
    if (family === 0 || extra !== undefined || (prefix !== undefined && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= max && /^\d+$/.test(bits!)))) {
      throw new TypeError(`--trust-proxy must be an IP address or a CIDR range such as 127.0.0.1, 10.0.0.0/8 or fd00::/8 (got ${JSON.stringify(value)})`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address!, type);
    else list.addSubnet(address!, prefix, type);
  }
  return list;
}

function trusts(list: BlockList, address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4) return list.check(v4[1]!, 'ipv4') || list.check(address, 'ipv6');
  return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * `PeerOf` for `@hono/node-server`. With no trusted proxies every request is its socket's peer, over
 * plain HTTP (this server does not terminate TLS itself).
 * @example createApp({ ..., peer: nodePeer(trustedProxies(['127.0.0.1'])) }) // behind nginx on the same machine
 */
export function nodePeer(proxies: BlockList = new BlockList()): PeerOf {
  return (c): Peer => {
    let socket: string | undefined;
    try {
      socket = getConnInfo(c).remote.address;
    } catch {
      socket = undefined;
    }
    if (socket === undefined) return { address: null, secure: false };
    if (!trusts(proxies, socket)) return { address: socket, secure: false };
    // The proxy appended the address it saw; walk back over any further trusted proxies in the chain.
    const chain = (c.req.header('X-Forwarded-For') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    let address = socket;
    for (let i = chain.length - 1; i >= 0; i--) {
      const hop = chain[i]!;
      if (isIP(hop) === 0) break;
      address = hop;
      if (!trusts(proxies, hop)) break;
    }
    // X-Forwarded-Proto as the nearest proxy set it (nginx: `$scheme`, one value).
    const proto = (c.req.header('X-Forwarded-Proto') ?? '').split(',').pop()?.trim().toLowerCase();
    return { address, secure: proto === 'https' };
  };
}
