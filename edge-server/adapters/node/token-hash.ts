/** The client-token digest on Node, synchronously: what `createApp`'s `federated.hashToken` takes. */
import { createHash } from 'node:crypto';

/**
 * `tokenHash` (`edge-server/federated/client-token.ts`: SHA-256, hex, first 32 digits) without
 * `crypto.subtle`, whose every call in Node is a thread-pool job and a promise: about as much CPU as
 * decoding and validating the whole update. Same digest, so stored updates match across the two.
 * @example createApp({ ..., federated: { federation, hashToken: nodeTokenHash } })
 */
export function nodeTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 32);
}
