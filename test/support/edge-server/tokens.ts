/**
 * For tests, benchmarks and the demo's simulated shoppers: real Privacy Pass tokens from a real issuer
 * (`POST /v1/federated/tokens`), obtained with the device's own client (`obtainToken`), as a given network
 * source. Admission stays on; a test that simulates many devices gives each its own address.
 */
import type { Hono } from 'hono';
import { obtainToken, type FetchLike } from '../../../core/federated/admission-client.ts';
import { TEST_PEER_HEADER } from './federated.ts';

/**
 * Where tokens come from: a Hono app (requests go through `app.request` with `TEST_PEER_HEADER`), or a
 * server's base URL (real HTTP; the address travels as `X-Forwarded-For`, which only a server started with
 * `--trust-proxy 127.0.0.1` believes, as it would from nginx in front of it).
 */
export type TokenSource = Hono | string;

function fetcher(target: TokenSource, address: string | undefined): { base: string; fetchFn: FetchLike } {
  if (typeof target === 'string') {
    return { base: target, fetchFn: (url, init) => fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...(address ? { 'X-Forwarded-For': address } : {}) } }) };
  }
  return {
    base: 'http://localhost',
    fetchFn: async (url, init) => target.request(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...(address ? { [TEST_PEER_HEADER]: address } : {}) } }),
  };
}

/**
 * One token's `Authorization` header value, issued to network source `address` (default: none, the
 * `unknown` source). Throws when the issuer refuses, naming its status and code.
 * @example headers: { Authorization: await tokenFor(app, deviceAddress(7)) }
 */
export async function tokenFor(target: TokenSource, address?: string): Promise<string> {
  const { base, fetchFn } = fetcher(target, address);
  const out = await obtainToken(base, fetchFn);
  if (!out.ok) throw new Error(`token issuance for ${address ?? 'the unknown source'} was refused: ${out.status} ${out.code}`);
  return out.authorization;
}

/** Like `tokenFor`, but answers the refusal instead of throwing (for tests of the limit itself). */
export async function tryToken(target: TokenSource, address?: string): ReturnType<typeof obtainToken> {
  const { base, fetchFn } = fetcher(target, address);
  return obtainToken(base, fetchFn);
}
