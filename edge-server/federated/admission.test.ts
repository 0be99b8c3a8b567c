import { AuthorizationHeader, publicVerif, Token, TokenChallenge, TOKEN_TYPES, WWWAuthenticateHeader } from '@cloudflare/privacypass-ts';
import { describe, expect, it } from 'vitest';
import { TOKEN_ISSUER_PATH, TOKEN_REQUEST_MEDIA_TYPE } from '../../core/federated/admission-client.ts';
import { nodeRsaRaw } from '../adapters/node/rsa-raw.ts';
import { createApp } from '../app.ts';
import { createMemoryStorage } from '../models/memory-storage.ts';
import { publishArtifact } from '../models/registry.ts';
import { expectError, memoryWidget, signer, tinyArtifact } from '../../test/support/edge-server/fixtures.ts';
import { createAdmission, memoryAdmissionStore, type AdmissionOptions, type AdmissionStore } from './admission.ts';
import { createFederation } from './federation.ts';
import { memoryRoundStore } from './store.ts';
import { clientToken, deviceAddress, TEST_PEER_HEADER, testPeer, tinyUpdate } from '../../test/support/edge-server/federated.ts';
import { tokenFor, tryToken } from '../../test/support/edge-server/tokens.ts';

const DAY = 86_400_000;

async function setup(options: AdmissionOptions | false = {}) {
  const { key, trusted } = await signer();
  const { key: fedKey } = await signer();
  const storage = createMemoryStorage();
  await publishArtifact(storage, await tinyArtifact(key, 'v1'), { trusted });
  const federation = createFederation({ storage, rounds: memoryRoundStore(), signingKey: fedKey, cohort: 100, aggregation: { releaseThreshold: 1 }, epsilonBudget: 100 });
  const admission = options === false ? false : createAdmission({ rsaRaw: nodeRsaRaw, ...options });
  const app = createApp({ storage, trustedKeys: trusted, widget: memoryWidget({}), peer: testPeer, federated: { federation, admission } });
  return { app };
}

function upload(app: ReturnType<typeof createApp>, n: number, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': clientToken(n) };
  if (authorization !== undefined) headers.Authorization = authorization;
  return Promise.resolve(app.request('/v1/updates', { method: 'POST', headers, body: tinyUpdate({ seed: n }) }));
}

describe('federated admission (Privacy Pass tokens)', () => {
  it('issues one token per network source per day, and a token admits one update', async () => {
    const { app } = await setup();
    const token = await tokenFor(app, deviceAddress(1));
    const again = await tryToken(app, deviceAddress(1));
    expect(again).toEqual({ ok: false, status: 429, code: 'token_limit' });
    expect((await upload(app, 1, token)).status).toBe(202);
    // The same token again, with another client token and update: a double spend.
    await expectError(await upload(app, 2, token), 401, 'token_spent');
    // Another source still gets its token.
    expect((await upload(app, 3, await tokenFor(app, deviceAddress(2)))).status).toBe(202);
  });

  it('reads the PrivateToken scheme case-insensitively (RFC 9110)', async () => {
    const { app } = await setup();
    expect((await upload(app, 1, (await tokenFor(app, deviceAddress(1))).replace('PrivateToken', 'privatetoken'))).status).toBe(202);
  });

  it('counts IPv6 clients by /64, and the library-path issuer (no rsaRaw) signs tokens that verify too', async () => {
    const { app } = await setup({ rsaRaw: false });
    expect((await upload(app, 1, await tokenFor(app, '2001:db8:1:2::1'))).status).toBe(202);
    expect(await tryToken(app, '2001:db8:1:2:ffff::9')).toMatchObject({ ok: false, code: 'token_limit' });
  });

  it('answers 401 with a PrivateToken challenge for a missing, malformed or forged token', async () => {
    const { app } = await setup();
    const missing = await upload(app, 1);
    await expectError(missing.clone(), 401, 'token_required');
    const [challenge] = WWWAuthenticateHeader.parse(missing.headers.get('WWW-Authenticate')!);
    expect(challenge!.challenge.tokenType).toBe(2);
    const dir = (await (await app.request(TOKEN_ISSUER_PATH)).json()) as { 'token-keys': Array<{ 'token-key': string }> };
    expect(Buffer.from(challenge!.tokenKey).toString('base64url')).toBe(dir['token-keys'][0]!['token-key']);

    await expectError(await upload(app, 2, 'Bearer abc'), 401, 'bad_token');
    await expectError(await upload(app, 3, 'PrivateToken token=AAAA'), 401, 'bad_token');
    // A real token with one bit of its authenticator flipped.
    const good = AuthorizationHeader.parse(TOKEN_TYPES.BLIND_RSA, await tokenFor(app, deviceAddress(4)))[0]!.token;
    const forged = Token.deserialize(TOKEN_TYPES.BLIND_RSA, good.serialize());
    forged.authenticator[10]! ^= 1;
    await expectError(await upload(app, 4, new AuthorizationHeader(forged).toString()), 401, 'bad_token');
    // A token of another issuer (its own key), for the same challenge.
    const other = await setup();
    await expectError(await upload(app, 5, await tokenFor(other.app, deviceAddress(5))), 401, 'bad_token');
    // The genuine token was not spent by the forgeries.
    expect((await upload(app, 6, new AuthorizationHeader(good).toString())).status).toBe(202);
  });

  it('gives the token back when its update is refused, so it admits exactly one accepted update', async () => {
    const { app } = await setup();
    const token = await tokenFor(app, deviceAddress(1));
    const stale = await app.request('/v1/updates', {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.edge-recs.update', 'X-Client-Token': clientToken(1), Authorization: token },
      body: tinyUpdate({ seed: 1, baseVersion: 'v0' }),
    });
    await expectError(stale, 409, 'stale_version');
    expect((await upload(app, 1, token)).status).toBe(202);
    await expectError(await upload(app, 1, token), 401, 'token_spent');
  });

  it('lets only one of two concurrent uploads with one token through', async () => {
    const { app } = await setup();
    const token = await tokenFor(app, deviceAddress(1));
    const statuses = (await Promise.all([upload(app, 1, token), upload(app, 2, token)])).map((r) => r.status).sort();
    expect(statuses).toEqual([202, 401]);
  });

  it('refuses bad issuance requests with 4xx and issues nothing for them', async () => {
    const { app } = await setup();
    const post = (body: Uint8Array<ArrayBuffer>, type = TOKEN_REQUEST_MEDIA_TYPE) =>
      app.request(TOKEN_ISSUER_PATH, { method: 'POST', headers: { 'Content-Type': type, [TEST_PEER_HEADER]: deviceAddress(1) }, body });
    await expectError(await post(new Uint8Array(259), 'application/json'), 415, 'unsupported_media_type');
    await expectError(await post(new Uint8Array(10)), 400, 'bad_token_request');
    await expectError(await post(new Uint8Array(259)), 400, 'bad_token_request'); // token type 0
    await expectError(await post(new Uint8Array(4096)), 413, 'payload_too_large');
    expect((await tryToken(app, deviceAddress(1))).ok).toBe(true);
  });

  it('rotates the issuer key daily: yesterday\'s token still redeems today, and each day a source gets a new token', async () => {
    let now = Date.UTC(2026, 0, 10, 23, 0);
    const store = memoryAdmissionStore();
    const { app } = await setup({ now: () => now, store });
    const late = await tokenFor(app, deviceAddress(1));
    now += 2 * 3600_000; // past midnight
    const fresh = await tokenFor(app, deviceAddress(1));
    expect((await upload(app, 1, late)).status).toBe(202);
    expect((await upload(app, 2, fresh)).status).toBe(202);
    expect((await store.load()).keys).toHaveLength(2);
    const old = await tokenFor(app, deviceAddress(2));
    now += 2 * DAY; // the first key is gone, with its spent set
    await expectError(await upload(app, 3, old), 401, 'bad_token');
    await tryToken(app, deviceAddress(3));
    const state = await store.load();
    expect(state.keys.map((k) => k.day)).toEqual([Date.UTC(2026, 0, 13)]);
    expect(Object.keys(state.spent)).toHaveLength(0);
  });

  it('keeps keys, issued counts and spent tokens in its store: a restarted server honours them', async () => {
    const store: AdmissionStore = memoryAdmissionStore();
    const first = await setup({ store });
    const token = await tokenFor(first.app, deviceAddress(1));
    const spare = await tokenFor(first.app, deviceAddress(2));
    expect((await upload(first.app, 1, token)).status).toBe(202);
    const second = await setup({ store });
    expect(await tryToken(second.app, deviceAddress(1))).toMatchObject({ ok: false, code: 'token_limit' });
    await expectError(await upload(second.app, 2, token), 401, 'token_spent');
    expect((await upload(second.app, 3, spare)).status).toBe(202);
    // Only keyed hashes of sources are stored, never an address.
    expect(JSON.stringify(await store.load())).not.toContain('10.0.0.');
  });

  it('tracks at most maxSourcesPerDay sources a day; past it new sources wait (503) and known ones are still limited', async () => {
    const { app } = await setup({ maxSourcesPerDay: 3 });
    for (let n = 1; n <= 3; n++) await tokenFor(app, deviceAddress(n));
    expect(await tryToken(app, deviceAddress(4))).toMatchObject({ ok: false, status: 503, code: 'issuance_full' });
    expect(await tryToken(app, deviceAddress(1))).toMatchObject({ ok: false, status: 429, code: 'token_limit' });
  });

  it('takes updates without tokens only when admission is turned off, and then serves no issuer', async () => {
    const { app } = await setup(false);
    expect((await upload(app, 1)).status).toBe(202);
    await expectError(await app.request(TOKEN_ISSUER_PATH), 404, 'admission_disabled');
  });

  it('serves the issuer directory with one Blind RSA key, and refuses bad options by name', async () => {
    const { app } = await setup({ tokensPerDay: 2 });
    const res = await app.request(TOKEN_ISSUER_PATH);
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const dir = (await res.json()) as Record<string, unknown>;
    expect(dir).toMatchObject({ 'issuer-request-uri': TOKEN_ISSUER_PATH, 'tokens-per-day': 2, 'token-keys': [{ 'token-type': 2 }] });
    expect(() => createAdmission({ tokensPerDay: 0 })).toThrow(/tokensPerDay must be an integer in 1\.\.1000 \(got 0\)/);
    expect(() => createAdmission({ issuerName: 'a b' })).toThrow(/issuerName/);
    expect(() => createAdmission({ rsaRaw: 'yes' as never })).toThrow(/rsaRaw must be true, false or a function/);
    // publicVerif is the library's: the directory key is a valid RSA-PSS SPKI of 2048 bits. The challenge is
    // copied out of Node's pooled Buffer: the library reads it through a DataView on the whole ArrayBuffer.
    const key = Buffer.from((dir['token-keys'] as Array<{ 'token-key': string }>)[0]!['token-key'], 'base64url');
    const client = new publicVerif.Client(publicVerif.BlindRSAMode.PSS);
    const request = await client.createTokenRequest(TokenChallenge.deserialize(new Uint8Array(Buffer.from(dir.challenge as string, 'base64url'))), key);
    expect(request.serialize().length).toBe(259);
  });
});
