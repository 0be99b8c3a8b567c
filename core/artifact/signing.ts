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

/** Returns `manifest` with a signature over everything else in it (which pins every shard by hash). */
export async function signManifest(manifest: Manifest, key: KeyFile): Promise<Manifest> {
  if (!key.privateKey) throw new ContractError('bad_key', `key ${key.keyId} has no private part`);
  const priv = await crypto.subtle.importKey('pkcs8', fromBase64(key.privateKey), ED25519, false, ['sign']);
  const value = new Uint8Array(await crypto.subtle.sign(ED25519, priv, signedBytes(manifest)));
  const signature: Signature = { alg: 'Ed25519', keyId: key.keyId, value: toBase64(value) };
  return { ...manifest, signature };
}

/**
 * Throws unless the manifest carries a valid signature by one of `trusted`. A missing signature, an
 * unknown key and a bad signature are different messages, since they call for different fixes.
 */
export async function verifyManifest(manifest: Manifest, trusted: readonly TrustedKey[]): Promise<TrustedKey> {
  const sig = manifest.signature;
  if (!sig) throw new ContractError('unsigned', `model ${manifest.name}@${manifest.version} is not signed`);
  const key = trusted.find((k) => k.keyId === sig.keyId);
  if (!key) {
    throw new ContractError('untrusted_key', `model ${manifest.name}@${manifest.version} is signed by unknown key ${sig.keyId}`);
  }
  let ok = false;
  try {
    const pub = await crypto.subtle.importKey('raw', fromBase64(key.publicKey), ED25519, false, ['verify']);
    ok = await crypto.subtle.verify(ED25519, pub, fromBase64(sig.value), signedBytes(manifest));
  } catch {
    ok = false;
  }
  if (!ok) throw new ContractError('bad_signature', `model ${manifest.name}@${manifest.version}: signature does not match its content`);
  return key;
}
