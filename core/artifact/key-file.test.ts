import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { ContractError } from '../errors.ts';
import { parseKeyFile, publicPart } from './key-file.ts';
import { generateKeyFile, type KeyFile, type TrustedKey } from './signing.ts';

let key: Required<KeyFile>;
let privateText: string;
let publicText: string;

beforeAll(async () => {
  key = await generateKeyFile();
  // As `edge-recs keygen` writes them.
  privateText = `${JSON.stringify(key, null, 2)}\n`;
  const { privateKey: _secret, ...pub } = key;
  publicText = `${JSON.stringify(pub)}\n`;
});

function refusal(text: string, needs?: Parameters<typeof parseKeyFile>[2]): ContractError {
  try {
    parseKeyFile(text, 'keys/release.json', needs);
  } catch (e) {
    expect(e).toBeInstanceOf(ContractError);
    expect((e as ContractError).code).toBe('bad_key');
    return e as ContractError;
  }
  throw new Error('parseKeyFile accepted the file');
}

describe('parseKeyFile', () => {
  it('reads the private and the public file keygen writes', () => {
    expect(parseKeyFile(privateText, 'k.json', { privateKey: 'required' })).toEqual(key);
    expect(parseKeyFile(publicText, 'k.pub.json')).toEqual({ alg: 'Ed25519', keyId: key.keyId, publicKey: key.publicKey });
    expectTypeOf(parseKeyFile).returns.toEqualTypeOf<KeyFile>();
  });

  it('reads a trusted key { keyId, publicKey } without alg as a public key file', () => {
    expect(parseKeyFile(JSON.stringify({ keyId: key.keyId, publicKey: key.publicKey }), 'k.pub.json')).toEqual({ alg: 'Ed25519', keyId: key.keyId, publicKey: key.publicKey });
  });

  it('allows a byte-order mark and keeps no field beyond the key file shape', () => {
    const withExtra = `\uFEFF${JSON.stringify({ ...key, comment: 'release key' })}`;
    expect(parseKeyFile(withExtra, 'k.json')).toEqual(key);
  });

  it('refuses text that is not JSON or not an object, naming the file', () => {
    expect(refusal('{"alg":').message).toMatch(/^keys\/release\.json: not JSON; expected \{"alg":"Ed25519","keyId","publicKey","privateKey"\}/);
    expect(refusal('[1]').message).toMatch(/^keys\/release\.json: expected \{"alg":"Ed25519".* \(got \[1\]\)$/);
  });

  it('names the field at fault', () => {
    const bad = (patch: Record<string, unknown>): string => refusal(JSON.stringify({ ...key, ...patch })).message;
    expect(bad({ alg: 'RSA' })).toBe('keys/release.json: alg must be "Ed25519" (got "RSA")');
    expect(bad({ keyId: undefined })).toBe('keys/release.json: keyId must be 16 lowercase hex digits (got undefined)');
    expect(bad({ keyId: 'ABCDEF0123456789' })).toMatch(/^keys\/release\.json: keyId must be 16 lowercase hex digits/);
    expect(bad({ publicKey: 'not base64!' })).toBe('keys/release.json: publicKey must be a base64 raw Ed25519 public key (32 bytes)');
    expect(bad({ publicKey: btoa('short') })).toMatch(/: publicKey must be a base64 raw Ed25519 public key \(32 bytes\)$/);
    expect(bad({ privateKey: 42 })).toBe('keys/release.json: privateKey must be a base64 PKCS#8 Ed25519 private key');
  });

  it('refuses a public file where signing needs the private key', () => {
    expect(refusal(publicText, { privateKey: 'required' }).message).toMatch(/^keys\/release\.json: holds no private key/);
  });
});

describe('publicPart', () => {
  it('drops the private key', () => {
    expect(publicPart(key)).toEqual({ keyId: key.keyId, publicKey: key.publicKey });
    expectTypeOf(publicPart).returns.toEqualTypeOf<TrustedKey>();
  });
});
