/**
 * Key files of `edge-recs keygen` on disk for the Node server (`--trusted-key`, `--federation-key`, the
 * demo's keys). Only the reading is here; the checks and their messages are `parseKeyFile`'s, shared with
 * the CLI and the Worker.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseKeyFile, type KeyFileNeeds } from '../../../core/artifact/key-file.ts';
import { generateKeyFile, type KeyFile } from '../../../core/artifact/signing.ts';

/** @throws Error whose message names the file, and the field at fault. */
export async function readKeyFile(path: string, needs?: KeyFileNeeds): Promise<KeyFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : 'cannot read'} (make a key file with "edge-recs keygen")`);
  }
  return parseKeyFile(text, path, needs);
}

/**
 * The demo's signing keys: made on first start and kept. Only a missing file is replaced; a damaged one
 * is an error, since a new key would make every model the old one signed untrusted.
 */
export async function loadOrCreateKeyFile(path: string): Promise<KeyFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const key = await generateKeyFile();
    await writeFile(path, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 });
    return key;
  }
  return parseKeyFile(text, path, { privateKey: 'required' });
}
