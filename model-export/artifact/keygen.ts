/**
 * `edge-recs keygen`: a new Ed25519 key pair in two files.
 *
 *   private  `--out FILE`: `{"alg","keyId","publicKey","privateKey"}`, mode 0600. What signs models:
 *            `edge-recs export --sign-key FILE`, the Node server's `--federation-key FILE`, the
 *            Worker's `FEDERATED_SIGNING_KEY` secret.
 *   public   `--public-out FILE` (default: beside it, `.pub.json`): `{"alg","keyId","publicKey"}` on one
 *            line. What checks models: `edge-recs eval --trusted-key FILE`, the Node server's
 *            `--trusted-key FILE`, the Worker's `TRUSTED_KEYS` (the file's text as the value).
 *
 * The widget's `data-public-key` takes the same key as `keyId:publicKey`; the command prints it.
 */
import { access, chmod, writeFile } from 'node:fs/promises';
import { generateKeyFile } from '../../core/artifact/signing.ts';
import { CliError } from '../errors.ts';

export interface KeygenArgs {
  out: string;
  publicOut?: string;
  json: boolean;
}

/** `key.json` -> `key.pub.json`; any other name gets `.pub.json` appended. */
function publicKeyPath(privatePath: string): string {
  return `${privatePath.replace(/\.json$/i, '')}.pub.json`;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export async function keygenCommand(a: KeygenArgs): Promise<void> {
  const publicOut = a.publicOut ?? publicKeyPath(a.out);
  if (publicOut === a.out) throw new CliError(`--public-out must differ from --out (both "${a.out}")`, 2);
  // A signing key replaced by accident cannot be recovered, and servers and widgets pinned to it then
  // refuse every model it signed: never overwrite.
  for (const path of [a.out, publicOut]) {
    if (await exists(path)) throw new CliError(`${path}: already exists; keygen never overwrites a key (pick another --out, or remove it first)`);
  }
  const key = await generateKeyFile();
  const { privateKey: _secret, ...publicKey } = key;
  try {
    await writeFile(a.out, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(a.out, 0o600); // the mode above is masked by the umask
    await writeFile(publicOut, `${JSON.stringify(publicKey)}\n`, { mode: 0o644, flag: 'wx' });
  } catch (e) {
    throw new CliError(`cannot write the key files: ${(e as Error).message}`);
  }
  const dataPublicKey = `${key.keyId}:${key.publicKey}`;
  if (a.json) {
    console.log(JSON.stringify({ keyId: key.keyId, privateKeyFile: a.out, publicKeyFile: publicOut, dataPublicKey }));
    return;
  }
  console.log(
    [
      `wrote ${a.out} (private: keep it secret; signs models: edge-recs export --sign-key ${a.out})`,
      `wrote ${publicOut} (public: edge-recs eval --trusted-key ${publicOut}, the Node server's --trusted-key ${publicOut}, the Worker's TRUSTED_KEYS as the file's text)`,
      `widget script tag: data-public-key="${dataPublicKey}"`,
    ].join('\n'),
  );
}
