import { ContractError, isRecord, show } from '../errors.ts';
import { fromBase64 } from './bytes.ts';
import type { KeyFile, TrustedKey } from './signing.ts';

/** What a key file must hold: a signer needs the private part; a verifier takes either file. */
export interface KeyFileNeeds {
  /**
   * `'required'` for signing (models, catalogs, federated rounds): a public `.pub.json` is refused by
   * name here rather than failing later at the first signature. Default `'optional'`.
   */
  privateKey?: 'required' | 'optional';
}

const SHAPE = '{"alg":"Ed25519","keyId","publicKey","privateKey"} (an "edge-recs keygen" key file, or its .pub.json without privateKey)';

/**
 * The one checked reading of a key file as `edge-recs keygen` writes it (private file
 * `{"alg","keyId","publicKey","privateKey"}`, public `.pub.json` without `privateKey`), wherever it comes
 * from: a file the CLI or the Node server reads, or a Worker secret. Only the shape is checked here; a
 * key that does not match its signatures is refused when they are verified.
 * @param text the file's text (a leading byte-order mark is allowed).
 * @param source names the file or variable in every message, e.g. `keys/release.json`.
 * @throws ContractError `bad_key` whose message starts with `source` and names the field at fault.
 * @example parseKeyFile(await readFile(path, 'utf8'), path, { privateKey: 'required' })
 */
export function parseKeyFile(text: string, source: string, needs: KeyFileNeeds = {}): KeyFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new ContractError('bad_key', `${source}: not JSON; expected ${SHAPE}`);
  }
  return checkKeyFile(raw, source, needs);
}

/**
 * `parseKeyFile`'s checks on a key file already parsed (an option holding one, e.g. the federation's
 * `signingKey`).
 * @throws ContractError `bad_key`, its message starting with `source`.
 */
export function checkKeyFile(raw: unknown, source: string, needs: KeyFileNeeds = {}): KeyFile {
  const bad = (message: string): never => {
    throw new ContractError('bad_key', `${source}: ${message}`);
  };
  if (!isRecord(raw)) return bad(`expected ${SHAPE} (got ${show(raw)})`);
  // Ed25519 is the only algorithm, so a public key written by hand as a trusted key `{ keyId, publicKey }`
  // (as the widget and the Worker take it) is a key file too; a different one is refused.
  if (raw.alg !== undefined && raw.alg !== 'Ed25519') bad(`alg must be "Ed25519" (got ${show(raw.alg)})`);
  if (typeof raw.keyId !== 'string' || !/^[0-9a-f]{16}$/.test(raw.keyId)) bad(`keyId must be 16 lowercase hex digits (got ${show(raw.keyId)})`);
  if (decodedLength(raw.publicKey) !== 32) bad(`publicKey must be a base64 raw Ed25519 public key (32 bytes)`);
  if (raw.privateKey !== undefined && !decodedLength(raw.privateKey)) bad('privateKey must be a base64 PKCS#8 Ed25519 private key');
  if (raw.privateKey === undefined && needs.privateKey === 'required') {
    bad('holds no private key (a .pub.json file?); signing takes the private key file "edge-recs keygen --out" wrote');
  }
  const key: KeyFile = { alg: 'Ed25519', keyId: raw.keyId as string, publicKey: raw.publicKey as string };
  if (typeof raw.privateKey === 'string') key.privateKey = raw.privateKey;
  return key;
}

/** The part of a key file a verifier is given: never the private key. */
export function publicPart(key: KeyFile): TrustedKey {
  return { keyId: key.keyId, publicKey: key.publicKey };
}

/** Bytes in `value` as base64, or 0 when it is not a base64 string. */
function decodedLength(value: unknown): number {
  if (typeof value !== 'string') return 0;
  try {
    return fromBase64(value).byteLength;
  } catch {
    return 0;
  }
}
