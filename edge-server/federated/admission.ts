/**
 * Admission to federated uploads: Privacy Pass publicly verifiable tokens (RFC 9576 architecture,
 * RFC 9577 `PrivateToken` HTTP scheme, RFC 9578 token type 0x0002, Blind RSA 2048), with the edge
 * server as both issuer and origin. All cryptography is `@cloudflare/privacypass-ts`'s; this file
 * only decides who gets a token and which token is good, on Web-standard APIs.
 *
 * - Issuance (`issue`): at most `tokensPerDay` tokens per network source (`sourceKey` of the client
 *   address) per day. The issuer sees the source but signs a blinded message, so it never sees the
 *   token it signed.
 * - Redemption (`redeem`): `POST /v1/updates` carries `Authorization: PrivateToken token=...`; the token
 *   must verify under a live issuer key, carry this origin's challenge, and not be spent. Nothing in it
 *   links back to the issuance (RFC 9576 §3.3 unlinkability), so the upload is not tied to an address.
 * - Issuer keys rotate each day (UTC): a day's key issues that day and is still redeemed the next day,
 *   then forgotten with its spent set, which is thereby bounded by what the key ever issued.
 * - The source is stored only as a keyed hash (HMAC-SHA-256 under a random secret of that day's key),
 *   forgotten with the key; at most `maxSourcesPerDay` sources a day are tracked, so a flood of distinct
 *   sources cannot grow memory without bound (past it, issuance waits for the next day: 503).
 */
import { AuthorizationHeader, publicVerif, TOKEN_TYPES, TokenChallenge, WWWAuthenticateHeader, type Token } from '@cloudflare/privacypass-ts';
import { fromBase64, toBase64, toHex } from '../../core/artifact/bytes.ts';
import { sourceHasher } from '../middleware/peer.ts';
import { show } from '../../core/errors.ts';
import { TOKEN_ISSUER_PATH } from '../../core/federated/admission-client.ts';
import { ApiError } from '../middleware/errors.ts';
import { optionError, type Fail } from '../../core/options.ts';

const { BlindRSAMode, Issuer, Origin, TokenRequest, TokenResponse, getPublicKeyBytes } = publicVerif;

const DAY_MS = 86_400_000;
/** RSA-PSS with SHA-384, as RFC 9578 §6 (token type 0x0002) requires. */
const RSA_PARAMS = { name: 'RSA-PSS', hash: 'SHA-384' } as const;
/** RFC 9578 §6: the salt length of token type 0x0002 is 48 (`PSS`), not 0. */
const MODE = BlindRSAMode.PSS;

/** One issuer key pair and its day, as stored. */
export interface IssuerKeyRecord {
  /** token_key_id: SHA-256 of the served public key, hex. */
  id: string;
  /** Start of the UTC day the key issues on, ms since the epoch; it is redeemed until two days after. */
  day: number;
  /** Public key, base64 SubjectPublicKeyInfo as WebCrypto exports it. */
  publicKey: string;
  /** Private key, base64 PKCS #8. */
  privateKey: string;
  /** Base64 of 32 random bytes: the HMAC key the day's sources are hashed with. */
  sourceSecret: string;
}

/** What an `AdmissionStore` keeps: the keys, and per key the sources it issued to and the tokens spent. */
export interface AdmissionState {
  keys: IssuerKeyRecord[];
  /** Per key id: keyed source hash → tokens issued to it. */
  issued: Record<string, Record<string, number>>;
  /** Per key id: nonces (hex) of spent tokens. */
  spent: Record<string, string[]>;
}

/**
 * Where admission state lives: `memoryAdmissionStore()` (tests, the default), files under the data
 * directory on Node (`openDiskAdmissionStore`), the admission Durable Object's storage on Workers. The
 * admission holds the state in memory and writes each change through before it answers.
 */
export interface AdmissionStore {
  load(): Promise<AdmissionState>;
  /** Stores a new key. */
  addKey(key: IssuerKeyRecord): Promise<void>;
  /** Records that `sourceHash` now holds `count` tokens of key `keyId`. */
  issued(keyId: string, sourceHash: string, count: number): Promise<void>;
  /** Records a token of key `keyId` as spent (`spent: true`) or, when its upload was refused, as unspent again. */
  spent(keyId: string, nonce: string, spent: boolean): Promise<void>;
  /** Forgets a key and everything recorded under it. */
  dropKey(keyId: string): Promise<void>;
}

export interface AdmissionOptions {
  /** Where keys, issued counts and spent tokens are kept. Default: `memoryAdmissionStore()` (a restart forgets them). @example openDiskAdmissionStore('.edge-recs/admission') */
  store?: AdmissionStore;
  /**
   * Tokens one network source may get per day; each admits one accepted update. Default 1: an honest
   * device uploads at most about once a day, and one address then puts at most one update a day into
   * the rounds, however many client tokens it makes up. Devices behind one address (an office, a
   * carrier's NAT) share it, so raise it where many shoppers share addresses.
   * @example { tokensPerDay: 4 }
   */
  tokensPerDay?: number;
  /**
   * Sources tracked per day before issuance stops for the rest of the day (503). Default 100,000: a bound
   * on the memory a flood of distinct addresses can take (about 10 MB), far above the devices of a
   * round. Past it no new source gets a token that day, which slows federated learning and admits nothing.
   * @example { maxSourcesPerDay: 1_000_000 }
   */
  maxSourcesPerDay?: number;
  /**
   * The issuer name in the token challenge (RFC 9577 §2.1.1). Default `'edge-recs'`. Issuer and origin
   * are the same server, so it only has to stay the same: tokens carry a digest of the challenge.
   * @example { issuerName: 'recs.shop.example' }
   */
  issuerName?: string;
  /**
   * How the blind signature's RSA private-key operation runs. Default `false`: the library's portable
   * big-number code, which keeps the event loop busy about 300 ms per token on Node 20. `true`: the
   * runtime's `crypto.subtle` `RSA-RAW` (Cloudflare Workers; the library's own fast path). A function:
   * the runtime's RSASP1 (RFC 8017 §5.2.1) on the PKCS #8 key, e.g. OpenSSL's on Node (`nodeRsaRaw`,
   * about 2 ms), used in place of the library's `blindSign`.
   * @example { rsaRaw: nodeRsaRaw }
   */
  rsaRaw?: boolean | RsaRaw;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
}

/** RSASP1 of `message` (a blinded message, big-endian, below the modulus) under a PKCS #8 RSA key; the result is modulus-sized. */
export type RsaRaw = (privateKeyPkcs8: Uint8Array, message: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** The issuer directory (RFC 9578 §4) plus the challenge a device needs to make a token request. */
export interface IssuerDirectory {
  'issuer-request-uri': string;
  'token-keys': Array<{ 'token-type': 2; 'token-key': string; 'not-before': number }>;
  /** Base64url TokenChallenge (RFC 9577 §2.1) this origin redeems: the one in its `WWW-Authenticate`. */
  challenge: string;
  /** How many tokens one source gets per day. */
  'tokens-per-day': number;
}

/** A redeemed token: `release()` gives it back when the upload it paid for was refused. */
export interface Redemption {
  release(): Promise<void>;
}

export interface Admission {
  /** The issuer directory, for `GET /v1/federated/tokens`. */
  directory(): Promise<IssuerDirectory>;
  /**
   * Signs one blinded token request for `source` (a `sourceKey`).
   * @throws ApiError 400 `bad_token_request`, 429 `token_limit` (this source has its tokens for today),
   *   503 `issuance_full`.
   */
  issue(source: string, request: Uint8Array): Promise<Uint8Array>;
  /**
   * Checks and spends the token of an `Authorization` header.
   * @throws ApiError 401 `token_required` / `bad_token` / `token_spent`, with `WWW-Authenticate`.
   */
  redeem(authorization: string | undefined): Promise<Redemption>;
}

const fail: Fail = optionError('admission');

/** An `AdmissionStore` in process memory. */
export function memoryAdmissionStore(): AdmissionStore {
  const state: AdmissionState = { keys: [], issued: {}, spent: {} };
  return {
    async load() {
      return structuredClone(state);
    },
    async addKey(key) {
      state.keys.push({ ...key });
    },
    async issued(keyId, source, count) {
      (state.issued[keyId] ??= {})[source] = count;
    },
    async spent(keyId, nonce, spent) {
      const list = (state.spent[keyId] ??= []);
      if (spent) list.push(nonce);
      else state.spent[keyId] = list.filter((n) => n !== nonce);
    },
    async dropKey(keyId) {
      state.keys = state.keys.filter((k) => k.id !== keyId);
      delete state.issued[keyId];
      delete state.spent[keyId];
    },
  };
}

interface LiveKey {
  record: IssuerKeyRecord;
  issuer: InstanceType<typeof Issuer>;
  /** The key as served and as its id is computed (RSASSA-PSS SubjectPublicKeyInfo). */
  served: Uint8Array;
  /** The day's keyed hash of a network source (`sourceHasher`). */
  hashSource: (source: string) => Promise<string>;
  issued: Map<string, number>;
  spent: Set<string>;
}

const b64url = (bytes: Uint8Array): string => toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** Checks the options once. @throws TypeError naming the option. */
function resolveOptions(options: AdmissionOptions) {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const tokensPerDay = options.tokensPerDay ?? 1;
  if (!Number.isInteger(tokensPerDay) || tokensPerDay < 1 || tokensPerDay > 1000) fail(`tokensPerDay must be an integer in 1..1000 (got ${show(tokensPerDay)})`);
  const maxSourcesPerDay = options.maxSourcesPerDay ?? 100_000;
  if (!Number.isInteger(maxSourcesPerDay) || maxSourcesPerDay < 1) fail(`maxSourcesPerDay must be a positive integer (got ${show(maxSourcesPerDay)})`);
  const issuerName = options.issuerName ?? 'edge-recs';
  if (typeof issuerName !== 'string' || !/^[A-Za-z0-9.-]{1,253}$/.test(issuerName)) fail(`issuerName must be a host name (letters, digits, '.', '-'; got ${show(issuerName)})`);
  const store = options.store ?? memoryAdmissionStore();
  for (const m of ['load', 'addKey', 'issued', 'spent', 'dropKey'] as const) {
    if (typeof (store as unknown as Record<string, unknown>)[m] !== 'function') fail(`store must be an AdmissionStore (missing ${m})`);
  }
  const rsaRaw = options.rsaRaw ?? false;
  if (typeof rsaRaw !== 'boolean' && typeof rsaRaw !== 'function') fail(`rsaRaw must be true, false or a function (pkcs8, message) => signature (got ${show(rsaRaw)})`);
  return { tokensPerDay, maxSourcesPerDay, issuerName, store, rsaRaw, now: options.now ?? Date.now };
}

/**
 * Builds the issuer and origin. Options are checked here; keys are loaded or made on first use.
 * One admission must be the only writer of its store (one per Node process; one Durable Object on Workers).
 * @throws TypeError naming a bad option.
 */
export function createAdmission(options: AdmissionOptions = {}): Admission {
  const { tokensPerDay, maxSourcesPerDay, issuerName, store, rsaRaw, now } = resolveOptions(options);
  const origin = new Origin(MODE, [issuerName]);
  const challenge = origin.createTokenChallenge(issuerName, new Uint8Array(0));
  const challengeBytes = challenge.serialize();
  const challengeDigest = crypto.subtle.digest('SHA-256', challengeBytes as Uint8Array<ArrayBuffer>).then((d) => toHex(new Uint8Array(d)));
  const keys = new Map<string, LiveKey>();
  let loaded: Promise<void> | undefined;
  /** Serializes key creation and expiry, so two requests at midnight make one key. */
  let keyWork: Promise<unknown> = Promise.resolve();

  async function live(record: IssuerKeyRecord, issued: Record<string, number> = {}, spent: readonly string[] = []): Promise<LiveKey> {
    const privateKey = await crypto.subtle.importKey('pkcs8', fromBase64(record.privateKey), RSA_PARAMS, true, ['sign']);
    const publicKey = await crypto.subtle.importKey('spki', fromBase64(record.publicKey), RSA_PARAMS, true, ['verify']);
    const hashSource = await sourceHasher(fromBase64(record.sourceSecret));
    return {
      record,
      issuer: new Issuer(MODE, issuerName, privateKey, publicKey, { supportsRSARAW: rsaRaw === true }),
      served: await getPublicKeyBytes(publicKey),
      hashSource,
      issued: new Map(Object.entries(issued)),
      spent: new Set(spent),
    };
  }

  function load(): Promise<void> {
    loaded ??= (async () => {
      const state = await store.load();
      for (const record of state.keys) keys.set(record.id, await live(record, state.issued[record.id], state.spent[record.id]));
    })().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    });
    return loaded;
  }

  const today = (): number => Math.floor(now() / DAY_MS) * DAY_MS;

  /** Drops keys past redemption and makes today's key if there is none; returns today's key. */
  function current(): Promise<LiveKey> {
    const run = keyWork.then(async () => {
      await load();
      const day = today();
      for (const [id, key] of keys) {
        // Issued on `day`, redeemed on `day` and the day after: a token fetched just before midnight stays good.
        if (key.record.day + 2 * DAY_MS <= day) {
          await store.dropKey(id);
          keys.delete(id);
        }
      }
      const existing = [...keys.values()].find((k) => k.record.day === day);
      if (existing) return existing;
      const pair = (await Issuer.generateKey(MODE, { modulusLength: 2048, publicExponent: Uint8Array.from([1, 0, 1]) })) as CryptoKeyPair;
      const served = await getPublicKeyBytes(pair.publicKey);
      const record: IssuerKeyRecord = {
        id: toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', served as Uint8Array<ArrayBuffer>))),
        day,
        publicKey: toBase64(new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey))),
        privateKey: toBase64(new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey))),
        sourceSecret: toBase64(crypto.getRandomValues(new Uint8Array(32))),
      };
      await store.addKey(record);
      const key = await live(record);
      keys.set(record.id, key);
      return key;
    });
    keyWork = run.catch(() => undefined);
    return run;
  }

  async function unauthorized(code: string, message: string): Promise<never> {
    const key = await current();
    const header = new WWWAuthenticateHeader(TokenChallenge.deserialize(challengeBytes), key.served).toString(true);
    throw new ApiError(401, code, message, { 'WWW-Authenticate': header });
  }

  return {
    async directory() {
      const key = await current();
      return {
        'issuer-request-uri': TOKEN_ISSUER_PATH,
        'token-keys': [{ 'token-type': 2, 'token-key': b64url(key.served), 'not-before': key.record.day / 1000 }],
        challenge: b64url(challengeBytes),
        'tokens-per-day': tokensPerDay,
      };
    },

    async issue(source, body) {
      const key = await current();
      let request: InstanceType<typeof TokenRequest>;
      try {
        if (body.byteLength !== 3 + TOKEN_TYPES.BLIND_RSA.Nk) throw new Error(`a token request is ${3 + TOKEN_TYPES.BLIND_RSA.Nk} bytes (got ${body.byteLength})`);
        request = TokenRequest.deserialize(TOKEN_TYPES.BLIND_RSA, body);
      } catch (err) {
        throw new ApiError(400, 'bad_token_request', `the body must be a token request of type 0x0002 (Blind RSA 2048, RFC 9578): ${(err as Error).message}`);
      }
      const keyId = fromHexByte(key.record.id);
      if (request.truncatedTokenKeyId !== keyId) {
        throw new ApiError(400, 'bad_token_request', `the token request names key …${request.truncatedTokenKeyId.toString(16).padStart(2, '0')}; today's issuer key ends in ${keyId.toString(16).padStart(2, '0')}: read ${TOKEN_ISSUER_PATH} again`);
      }
      const hash = await key.hashSource(source);
      // Counted before signing, with no await in between, so concurrent requests of one source cannot both pass.
      const count = key.issued.get(hash) ?? 0;
      const retryAfter = String(Math.ceil((key.record.day + DAY_MS - now()) / 1000));
      if (count >= tokensPerDay) {
        throw new ApiError(429, 'token_limit', `this network source has had its ${tokensPerDay} token${tokensPerDay === 1 ? '' : 's'} for today; try again tomorrow`, { 'Retry-After': retryAfter });
      }
      if (count === 0 && key.issued.size >= maxSourcesPerDay) {
        throw new ApiError(503, 'issuance_full', `tokens went to ${maxSourcesPerDay} network sources today, the most this server tracks; try again tomorrow`, { 'Retry-After': retryAfter });
      }
      key.issued.set(hash, count + 1);
      await store.issued(key.record.id, hash, count + 1);
      if (typeof rsaRaw !== 'function') return (await key.issuer.issue(request)).serialize();
      // RFC 9474 BlindSign: s = RSASP1(sk, m); the platform function checks RSAVP1(pk, s) = m, as the library does.
      return new TokenResponse(await rsaRaw(fromBase64(key.record.privateKey), request.blindedMsg)).serialize();
    },

    async redeem(authorization) {
      if (!authorization) return unauthorized('token_required', `an update must carry Authorization: PrivateToken token=... (a token from ${TOKEN_ISSUER_PATH}, RFC 9577)`);
      let token: Token;
      try {
        // Auth schemes are case-insensitive (RFC 9110 section 11.1); the library matches `PrivateToken` as written.
        const parsed = AuthorizationHeader.parse(TOKEN_TYPES.BLIND_RSA, authorization.replace(/^\s*privatetoken(?=\s)/i, 'PrivateToken'));
        if (parsed.length !== 1) throw new Error(`expected one PrivateToken (got ${parsed.length})`);
        token = parsed[0]!.token;
      } catch (err) {
        return unauthorized('bad_token', `Authorization must be one PrivateToken token=... of type 0x0002: ${(err as Error).message}`);
      }
      await load();
      const input = token.authInput;
      const key = keys.get(toHex(input.tokenKeyId));
      const day = today();
      if (!key || key.record.day + 2 * DAY_MS <= day) return unauthorized('bad_token', 'the token was issued under a key this server does not hold (expired, or not its own): get a new one');
      if (toHex(input.challengeDigest) !== (await challengeDigest)) return unauthorized('bad_token', 'the token answers another challenge than this server sends');
      let valid = false;
      try {
        valid = await origin.verify(token, key.issuer.publicKey);
      } catch {
        valid = false;
      }
      if (!valid) return unauthorized('bad_token', 'the token does not verify under its issuer key');
      const nonce = toHex(input.nonce);
      if (key.spent.has(nonce)) return unauthorized('token_spent', 'this token was already spent; each token admits one update');
      key.spent.add(nonce);
      await store.spent(key.record.id, nonce, true);
      let released = false;
      return {
        async release() {
          if (released || !keys.has(key.record.id)) return;
          released = true;
          key.spent.delete(nonce);
          await store.spent(key.record.id, nonce, false);
        },
      };
    },
  };
}

/** The last byte of a hex key id: the truncated token key id of RFC 9578 §5.1. */
function fromHexByte(hex: string): number {
  return parseInt(hex.slice(-2), 16);
}
