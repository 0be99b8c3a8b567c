/**
 * Key files of `edge-recs keygen` on disk for the Node server (`--trusted-key`, `--federation-key`). Only
 * the reading is here; the checks and their messages are `parseKeyFile`'s, shared with the CLI and the
 * Worker.
 */
import { readFile } from 'node:fs/promises';
import { parseKeyFile, type KeyFileNeeds } from '../../../core/artifact/key-file.ts';
import type { KeyFile } from '../../../core/artifact/signing.ts';

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
