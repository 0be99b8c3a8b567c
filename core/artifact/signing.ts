import { ContractError } from '../errors.ts';
import { type Bytes, canonicalJson, fromBase64, sha256Hex, toBase64, utf8 } from './bytes.ts';
import type { Manifest, Signature } from './manifest.ts';

/** A key pair as stored by `edge-recs keygen`: raw public key and PKCS#8 private key, both base64. */
export interface KeyFile {
  alg: 'Ed25519';
  keyId: string;
  publicKey: string;
  privateKey?: string;
}

/** A public key that may sign models, as given to the widget (`data-public-key`) or the server. */
export interface TrustedKey {
  keyId: string;
  publicKey: string;
}

const ED25519 = { name: 'Ed25519' } as const;

export async function keyIdOf(publicKeyRaw: Bytes): Promise<string> {
  return (await sha256Hex(publicKeyRaw)).slice(0, 16);
}

/** Makes a new Ed25519 key pair with WebCrypto. */
export async function generateKeyFile(): Promise<Required<KeyFile>> {
  const pair = (await crypto.subtle.generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  return { alg: 'Ed25519', keyId: await keyIdOf(raw), publicKey: toBase64(raw), privateKey: toBase64(pkcs8) };
}

function signedBytes(manifest: Manifest): Bytes {
  const { signature: _ignored, ...body } = manifest;
  return utf8.encode(canonicalJson(body));
}

/**
 * An Ed25519 signature by `key` over `bytes` (WebCrypto). What is signed is each contract's business:
 * a manifest signs `canonicalJson` of itself without `signature` (`signManifest`), a catalog likewise
 * (`core/catalog-signature.ts`).
 */
export async function signBytes(bytes: Bytes, key: KeyFile): Promise<Signature> {
  if (!key.privateKey) throw new ContractError('bad_key', `key ${key.keyId} has no private part`);
  const priv = await crypto.subtle.importKey('pkcs8', fromBase64(key.privateKey), ED25519, false, ['sign']);
  const value = new Uint8Array(await crypto.subtle.sign(ED25519, priv, bytes));
  return { alg: 'Ed25519', keyId: key.keyId, value: toBase64(value) };
}

/**
 * Throws unless `signature` is a valid signature over `bytes` by one of `trusted`. A missing signature,
 * an unknown key and a bad signature are different codes (`unsigned`, `untrusted_key`, `bad_signature`),
 * since they call for different fixes.
 * @param subject names what was signed in the messages, e.g. `model default@v3` or `the catalog`.
 */
export async function verifySignature(signature: Signature | undefined, bytes: Bytes, trusted: readonly TrustedKey[], subject: string): Promise<TrustedKey> {
  if (!signature) throw new ContractError('unsigned', `${subject} is not signed`);
  const key = trusted.find((k) => k.keyId === signature.keyId);
  if (!key) throw new ContractError('untrusted_key', `${subject} is signed by unknown key ${signature.keyId}`);
  let ok = false;
  try {
    const pub = await crypto.subtle.importKey('raw', fromBase64(key.publicKey), ED25519, false, ['verify']);
    ok = await crypto.subtle.verify(ED25519, pub, fromBase64(signature.value), bytes);
  } catch {
    ok = false;
  }
  if (!ok) throw new ContractError('bad_signature', `${subject}: signature does not match its content`);
  return key;
}

/** Returns `manifest` with a signature over everything else in it (which pins every shard by hash). */
export async function signManifest(manifest: Manifest, key: KeyFile): Promise<Manifest> {
  return { ...manifest, signature: await signBytes(signedBytes(manifest), key) };
}

/**
 * Throws unless the manifest carries a valid signature by one of `trusted`. A missing signature, an
 * unknown key and a bad signature are different messages, since they call for different fixes.
 */
export async function verifyManifest(manifest: Manifest, trusted: readonly TrustedKey[]): Promise<TrustedKey> {
  return verifySignature(manifest.signature, signedBytes(manifest), trusted, `model ${manifest.name}@${manifest.version}`);
}
