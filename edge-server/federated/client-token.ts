/** The stored form of the device's anonymous client token (`core/federated/client-token.ts`): a hash, never the token. */
import { sha256Hex, utf8 } from '../../core/artifact/bytes.ts';

/** The stored form of a client token: its SHA-256, hex, first 32 digits. */
export async function tokenHash(token: string): Promise<string> {
  return (await sha256Hex(utf8.encode(token))).slice(0, 32);
}
