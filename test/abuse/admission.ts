/**
 * Attack (issue 14, must-have 1, admission): one network address tries to get past the Privacy Pass
 * admission of federated uploads on the real Node server (`main.ts`, disk storage, federation on,
 * `--trust-proxy 127.0.0.1` so the harness can give the honest device its own address in
 * `X-Forwarded-For`). The attacker
 * 1. asks for tokens over and over (each a real blinded token request, `obtainToken`);
 * 2. forges tokens: random bytes, a real token with a flipped bit, a token of another issuer's key (a
 *    second server), and uploads with each;
 * 3. replays the one token it got, after it was spent, many times;
 * then an honest device from another address gets a token and uploads.
 *
 * Outcome figures: tokens issued to the attacker's address today, forged and replayed uploads accepted,
 * whether the honest device was accepted.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthorizationHeader, Token, TOKEN_TYPES } from '@cloudflare/privacypass-ts';
import { buildArtifact } from '../../core/artifact/artifact.ts';
import { generateKeyFile } from '../../core/artifact/signing.ts';
import { artifactForm } from '../../core/artifact/upload.ts';
import { obtainToken } from '../../core/federated/admission-client.ts';
import { encodeUpdate } from '../../core/federated/codec.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { initWeights } from '../../core/model/weights.ts';
import { pool, startMainProcess, type MainProcess } from '../support/abuse/main-process.ts';
import type { AbuseBenchmark } from '../support/abuse/benchmark.ts';

/** The scale: an attacker that keeps asking, forging and replaying (1,000 tries each). */
const FULL_SCALE = { issuanceRequests: 1000, forgeries: 1000, replays: 1000 } as const;

export interface AdmissionAttackOptions {
  /** Token requests the attacker's address sends. */
  issuanceRequests: number;
  /** Uploads with forged tokens (cycling random bytes, bit flips and a foreign issuer's tokens). */
  forgeries: number;
  /** Uploads replaying the attacker's one spent token. */
  replays: number;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
}

export interface AdmissionAttackOutcome {
  issuanceRequests: number;
  /** Tokens the attacker's address got today (the issuer's limit: 1 by default). */
  tokensIssuedToAttacker: number;
  /** The issuer's answers to the attacker, by status and code. */
  issuanceStatuses: Record<string, number>;
  forgeries: number;
  forgedAccepted: number;
  replays: number;
  replayedAccepted: number;
  /** The upload the attacker's one real token paid for. */
  attackerTokenAccepted: boolean;
  /** An honest device at another address: got a token and its update was taken. */
  honestAccepted: boolean;
}

const ADMIN_TOKEN = 'abuse-admission-admin-0123456789';
const ADMIN = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const MODEL = 'default';
const CONFIG: ModelConfig = { numItems: 20, dim: 4, blocks: 1, heads: 1, maxLen: 4 };
const ATTACKER = '203.0.113.7';
const HONEST = '198.51.100.20';

let nonceSeq = 0;
/** A small valid update (one item row), with a fresh nonce. */
function update(baseVersion: string): Uint8Array<ArrayBuffer> {
  const n = ++nonceSeq;
  return encodeUpdate({
    model: MODEL,
    baseVersion,
    nonce: Uint8Array.from({ length: 16 }, (_, i) => (n >> (8 * (i % 4))) & 0xff),
    config: CONFIG,
    dense: new Map(),
    rows: { indices: Uint32Array.from([1 + (n % CONFIG.numItems)]), values: new Float32Array(CONFIG.dim).fill(0.01) },
  });
}

async function startServer(dir: string, name: string): Promise<MainProcess> {
  const key = await generateKeyFile();
  await writeFile(join(dir, `${name}-key.json`), JSON.stringify({ keyId: key.keyId, publicKey: key.publicKey }));
  // A cohort no attack fills: what is measured is admission, not the rounds.
  await writeFile(join(dir, `${name}-federated.json`), JSON.stringify({ cohort: 1000 }));
  const server = await startMainProcess({
    federated: true,
    args: ['--admin-token', ADMIN_TOKEN, '--trusted-key', join(dir, `${name}-key.json`), '--trust-proxy', '127.0.0.1', '--federated-config', join(dir, `${name}-federated.json`)],
  });
  const artifact = await buildArtifact({ name: MODEL, version: 'v1', config: CONFIG, itemIds: Array.from({ length: CONFIG.numItems }, (_, i) => `sku-${i + 1}`), weights: initWeights(CONFIG, 1), quantization: 'float32' }, key);
  const published = await fetch(`${server.url}/v1/admin/models/${MODEL}/versions`, { method: 'POST', headers: ADMIN, body: artifactForm(artifact) });
  if (!published.ok) throw new Error(`publishing the base model answered ${published.status}: ${await published.text()}`);
  return server;
}

/** A token for `address` from `server` (through the trusted loopback proxy's X-Forwarded-For). */
const tokenAt = (server: MainProcess, address: string) =>
  obtainToken(server.url, (url, init) => fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), 'X-Forwarded-For': address } }));

export async function admissionAttack(options: AdmissionAttackOptions): Promise<AdmissionAttackOutcome> {
  const concurrency = options.concurrency ?? 8;
  const dir = await mkdtemp(join(tmpdir(), 'edge-recs-admission-'));
  const server = await startServer(dir, 'target');
  const foreign = await startServer(dir, 'foreign');
  try {
    const upload = async (authorization: string | undefined, address: string): Promise<number> => {
      const res = await fetch(`${server.url}/v1/updates`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': `admission-${crypto.randomUUID().replaceAll('-', '')}`, 'X-Forwarded-For': address, ...(authorization ? { Authorization: authorization } : {}) },
        body: update('v1'),
      });
      await res.arrayBuffer();
      return res.status;
    };

    // 1. Ask for tokens, over and over.
    const issuanceStatuses: Record<string, number> = {};
    const issued: string[] = [];
    await pool(options.issuanceRequests, concurrency, async () => {
      const out = await tokenAt(server, ATTACKER);
      const label = out.ok ? '200' : `${out.status} ${out.code}`;
      issuanceStatuses[label] = (issuanceStatuses[label] ?? 0) + 1;
      if (out.ok) issued.push(out.authorization);
    });

    // 2. Forge: random bytes, the real token with one bit flipped, tokens of another issuer.
    const real = issued[0];
    const foreignTokens: string[] = [];
    for (let i = 0; i < 4; i++) {
      const out = await tokenAt(foreign, `192.0.2.${i + 1}`);
      if (out.ok) foreignTokens.push(out.authorization);
    }
    const forged = (i: number): string => {
      const kind = i % 3;
      if (kind === 0 || !real) return `PrivateToken token=${Buffer.from(crypto.getRandomValues(new Uint8Array(2 + 32 + 32 + 32 + 256))).toString('base64url')}`;
      if (kind === 1) {
        const token = AuthorizationHeader.parse(TOKEN_TYPES.BLIND_RSA, real)[0]!.token;
        const copy = Token.deserialize(TOKEN_TYPES.BLIND_RSA, token.serialize());
        copy.authenticator[i % copy.authenticator.length]! ^= 1 << (i % 8);
        return new AuthorizationHeader(copy).toString();
      }
      return foreignTokens[i % foreignTokens.length] ?? `PrivateToken token=${'A'.repeat(40)}`;
    };
    let forgedAccepted = 0;
    await pool(options.forgeries, concurrency, async (i) => {
      if ((await upload(forged(i), ATTACKER)) < 300) forgedAccepted++;
    });

    // 3. Spend the real token once, then replay it.
    const attackerTokenAccepted = real !== undefined && (await upload(real, ATTACKER)) === 202;
    let replayedAccepted = 0;
    await pool(options.replays, concurrency, async () => {
      if (real && (await upload(real, ATTACKER)) < 300) replayedAccepted++;
    });

    // An honest device elsewhere.
    const honest = await tokenAt(server, HONEST);
    const honestAccepted = honest.ok && (await upload(honest.authorization, HONEST)) === 202;
    return {
      issuanceRequests: options.issuanceRequests,
      tokensIssuedToAttacker: issued.length,
      issuanceStatuses,
      forgeries: options.forgeries,
      forgedAccepted,
      replays: options.replays,
      replayedAccepted,
      attackerTokenAccepted,
      honestAccepted,
    };
  } finally {
    await server.stop();
    await foreign.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** `npm run bench -- abuse`: this attack at `FULL_SCALE`. */
export const benchmark: AbuseBenchmark = { scale: FULL_SCALE, run: () => admissionAttack(FULL_SCALE) };
