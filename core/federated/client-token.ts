/**
 * The device's anonymous client token as it travels with a federated update: the header that carries it
 * and its syntax. Random, rotated daily by the device, never tied to a user; the server keeps only a hash
 * of it (`edge-server/federated/client-token.ts`).
 */

/** Header carrying the device's anonymous client token. */
export const CLIENT_TOKEN_HEADER = 'X-Client-Token';

/** What a client token looks like: 16-128 characters of base64url. */
export const CLIENT_TOKEN = /^[A-Za-z0-9_-]{16,128}$/;
