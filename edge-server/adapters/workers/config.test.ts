import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { signer } from '../../../test/support/edge-server/fixtures.ts';
import { buildWorkerApp } from './app.ts';
import { readAdminTokens, readWorkerConfig, WorkerConfigError } from './config.ts';
import type { WorkerEnv } from './env.ts';
import { FederatedConfigError, readFederatedConfig } from './federation.ts';

/** Bindings are only wrapped when the app is built, never called, so stand-ins do here. */
const bindings = { BLOBS: {}, MODELS: {}, ASSETS: {}, ANALYTICS: {}, SESSIONS: {} } as unknown as Pick<WorkerEnv, 'BLOBS' | 'MODELS' | 'ASSETS' | 'ANALYTICS' | 'SESSIONS'>;

function configError(fn: () => unknown): WorkerConfigError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(WorkerConfigError);
  return err as WorkerConfigError;
}

describe('readWorkerConfig', () => {
  it('reads TRUSTED_KEYS as JSON and ALLOWED_ORIGINS as a comma list, trimming blanks', async () => {
    const { trusted } = await signer();
    const config = readWorkerConfig({ TRUSTED_KEYS: JSON.stringify(trusted), ALLOWED_ORIGINS: ' https://a.example , ,https://b.example:8443,' });
    expect(config).toEqual({ trustedKeys: trusted, allowedOrigins: ['https://a.example', 'https://b.example:8443'] });
    expect(readWorkerConfig({ TRUSTED_KEYS: JSON.stringify(trusted) }).allowedOrigins).toEqual([]);
  });

  it('refuses a missing, non-JSON, empty or ill-shaped TRUSTED_KEYS, naming the var', () => {
    expect(configError(() => readWorkerConfig({})).message).toMatch(/^TRUSTED_KEYS is required: a JSON array of \{ "keyId", "publicKey" \}/);
    expect(configError(() => readWorkerConfig({ TRUSTED_KEYS: 'abc' })).message).toMatch(/^TRUSTED_KEYS must be .* not JSON/);
    expect(configError(() => readWorkerConfig({ TRUSTED_KEYS: '{}' })).message).toMatch(/with at least one key \(got \{\}\)/);
    expect(configError(() => readWorkerConfig({ TRUSTED_KEYS: '[{"keyId":1}]' })).message).toMatch(/^TRUSTED_KEYS\[0\] must be \{ "keyId": string/);
  });

  it('takes one key object as TRUSTED_KEYS, as keygen writes its .pub.json file', async () => {
    const { key } = await signer();
    const publicFile = JSON.stringify({ alg: key.alg, keyId: key.keyId, publicKey: key.publicKey });
    expect(readWorkerConfig({ TRUSTED_KEYS: `${publicFile}\n` }).trustedKeys).toEqual([{ keyId: key.keyId, publicKey: key.publicKey }]);
    expect(configError(() => readWorkerConfig({ TRUSTED_KEYS: JSON.stringify(key) })).message).toMatch(/^TRUSTED_KEYS\[0\] holds a private key/);
  });

  it('refuses a private key in TRUSTED_KEYS', async () => {
    const { key } = await signer();
    expect(configError(() => readWorkerConfig({ TRUSTED_KEYS: JSON.stringify([key]) })).message).toMatch(/^TRUSTED_KEYS\[0\] holds a private key/);
  });
});

describe('buildWorkerApp', () => {
  it('reports what createApp refuses under the var it came from', async () => {
    const { trusted } = await signer();
    const keys = JSON.stringify(trusted);
    expect(configError(() => buildWorkerApp({ ...bindings, TRUSTED_KEYS: keys, ALLOWED_ORIGINS: 'shop.example' })).message).toMatch(
      /^ALLOWED_ORIGINS\[0\] must be an origin like "https:\/\/shop\.example"/,
    );
    const badKey = JSON.stringify([{ keyId: trusted[0]!.keyId, publicKey: 'AAAA' }]);
    expect(configError(() => buildWorkerApp({ ...bindings, TRUSTED_KEYS: badKey })).message).toMatch(/^TRUSTED_KEYS\[0\]\.publicKey must be a base64 raw Ed25519/);
  });

  it('reads ADMIN_TOKENS as a comma-separated list and reports a weak token under that var', async () => {
    const { trusted } = await signer();
    const keys = JSON.stringify(trusted);
    expect(readAdminTokens({})).toEqual([]);
    expect(readAdminTokens({ ADMIN_TOKENS: ' token-one-0123456789ab , ,token-two-0123456789ab' })).toEqual(['token-one-0123456789ab', 'token-two-0123456789ab']);
    expect(configError(() => buildWorkerApp({ ...bindings, TRUSTED_KEYS: keys, ADMIN_TOKENS: 'short' })).message).toMatch(/^ADMIN_TOKENS\[0\] must be 16-512 characters/);
    const app = buildWorkerApp({ ...bindings, TRUSTED_KEYS: keys, ADMIN_TOKENS: 'token-one-0123456789ab' });
    expect((await app.request('/v1/admin/metrics?model=default')).status).toBe(401);
  });

  it('builds the app from valid vars without touching a binding', async () => {
    const { trusted } = await signer();
    const app = buildWorkerApp({ ...bindings, TRUSTED_KEYS: JSON.stringify(trusted) });
    expect(await (await app.request('/v1/keys')).json()).toEqual({ keys: trusted });
  });
});

describe('.dev.vars.example (what `wrangler dev` reads once copied to .dev.vars)', () => {
  const dir = new URL('.', import.meta.url);
  /** KEY='value' lines as wrangler's dotenv reads them here: single-quoted values are taken literally. */
  const parse = (text: string): Record<string, string> =>
    Object.fromEntries(
      text
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => {
          const [, key, value] = /^([A-Z_]+)=(?:'(.*)'|(.*))$/.exec(line)!;
          return [key!, value ?? line.slice(key!.length + 1)];
        }),
    );

  it('names only vars the Worker reads, and the Worker refuses each placeholder, naming its var', async () => {
    const vars = parse(await readFile(new URL('.dev.vars.example', dir), 'utf8'));
    expect(Object.keys(vars).sort()).toEqual(['ADMIN_TOKENS', 'TRUSTED_KEYS']);
    expect(configError(() => buildWorkerApp({ ...bindings, ...vars })).message).toMatch(/^TRUSTED_KEYS must be .* not JSON/);
    const { trusted } = await signer();
    expect(configError(() => buildWorkerApp({ ...bindings, ...vars, TRUSTED_KEYS: JSON.stringify(trusted[0]) })).message).toMatch(/^ADMIN_TOKENS\[0\] must be 16-512 characters/);
  });

  it.skipIf(!existsSync(new URL('../../../.git', dir)))('is committed while .dev.vars and .env, which hold tokens, are git-ignored', () => {
    const ignored = (path: string): boolean => spawnSync('git', ['check-ignore', '-q', path], { cwd: fileURLToPath(dir) }).status === 0;
    expect(ignored('.dev.vars')).toBe(true);
    expect(ignored('.dev.vars.staging')).toBe(true);
    expect(ignored('.env')).toBe(true);
    expect(ignored('.dev.vars.example')).toBe(false);
  });
});

describe('readFederatedConfig', () => {
  function federatedError(env: Parameters<typeof readFederatedConfig>[0]): FederatedConfigError {
    let err: unknown;
    try {
      readFederatedConfig(env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FederatedConfigError);
    return err as FederatedConfigError;
  }

  it('reads FEDERATED_SIGNING_KEY as the private key file of edge-recs keygen, and is off without it', async () => {
    const { key } = await signer();
    expect(readFederatedConfig({ FEDERATED_SIGNING_KEY: `${JSON.stringify(key, null, 2)}\n` })?.signingKey).toEqual(key);
    expect(readFederatedConfig({})).toBeNull();
  });

  it('refuses a bad or public-only key file, naming the var and the field', async () => {
    const { key, trusted } = await signer();
    expect(federatedError({ FEDERATED_SIGNING_KEY: '{"alg"' }).message).toMatch(/^FEDERATED_SIGNING_KEY: not JSON/);
    expect(federatedError({ FEDERATED_SIGNING_KEY: JSON.stringify({ ...key, publicKey: 'AAAA' }) }).message).toMatch(/^FEDERATED_SIGNING_KEY: publicKey must be a base64 raw Ed25519 public key/);
    expect(federatedError({ FEDERATED_SIGNING_KEY: JSON.stringify(trusted[0]) }).message).toMatch(/^FEDERATED_SIGNING_KEY: holds no private key/);
  });
});
