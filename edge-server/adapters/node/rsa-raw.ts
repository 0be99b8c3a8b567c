/**
 * The RSA private-key operation of blind signing (RSASP1, RFC 8017 §5.2.1) by OpenSSL, for the token
 * issuer (`createAdmission({ rsaRaw: nodeRsaRaw })`): about 2 ms per token where the library's portable
 * big-number code keeps the event loop busy about 300 ms, so a burst of issuance requests cannot stall
 * every other request.
 */
import { constants, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import type { RsaRaw } from '../../federated/admission.ts';

/** Parsed keys by their PKCS #8 text: a day's key is parsed once (two keys live at a time). */
const parsed = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();

/** s = m^d mod n, checked by s^e mod n = m as RFC 9474 §4.3 BlindSign requires. @throws Error for m ≥ n or a failed check. */
export const nodeRsaRaw: RsaRaw = (pkcs8, message) => {
  const id = Buffer.from(pkcs8).toString('base64');
  let keys = parsed.get(id);
  if (!keys) {
    if (parsed.size >= 4) parsed.delete(parsed.keys().next().value!);
    const privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
    parsed.set(id, (keys = { privateKey, publicKey: createPublicKey(privateKey) }));
  }
  // Raw RSA both ways: OpenSSL's private operation with no padding is m^d mod n (refusing m ≥ n).
  const s = privateDecrypt({ key: keys.privateKey, padding: constants.RSA_NO_PADDING }, message);
  const back = publicEncrypt({ key: keys.publicKey, padding: constants.RSA_NO_PADDING }, s);
  if (!back.equals(Buffer.from(message))) throw new Error('blind signing failed its check');
  return new Uint8Array(s);
};
