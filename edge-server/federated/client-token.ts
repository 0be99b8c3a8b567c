/** The device's anonymous client token: its syntax, and the hash the federation stores instead of it. */
import { sha256Hex, utf8 } from '../../core/artifact/bytes.ts';

/** Header carrying the device's anonymous client token: random, rotated daily by the device, never tied to a user. */
export const CLIENT_TOKEN_HEADER = 'X-Client-Token';

export const CLIENT_TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

/** The stored form of a client token: its SHA-256, hex, first 32 digits. */
export async function tokenHash(token: string): Promise<string> {
  return (await sha256Hex(utf8.encode(token))).slice(0, 32);
}
