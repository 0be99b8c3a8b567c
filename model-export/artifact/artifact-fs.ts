import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { loadArtifact, type Artifact, type LoadedArtifact } from '../../core/artifact/artifact.ts';
import type { Bytes } from '../../core/artifact/bytes.ts';
import { parseKeyFile, type KeyFileNeeds } from '../../core/artifact/key-file.ts';
import type { FileRef } from '../../core/artifact/manifest.ts';
import type { KeyFile, TrustedKey } from '../../core/artifact/signing.ts';
import { ContractError } from '../../core/errors.ts';
import { CliError } from '../errors.ts';

/**
 * Writes an artifact directory atomically: everything goes to a sibling temp directory that is renamed
 * into place only when complete, so an interrupted or failed export leaves nothing half-written.
 */
export async function writeArtifactDir(dir: string, artifact: Artifact): Promise<void> {
  const target = resolve(dir);
  const temp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
  await mkdir(temp, { recursive: true });
  try {
    for (const [path, bytes] of artifact.files) await writeFile(join(temp, path), bytes);
    await writeFile(join(temp, 'manifest.json'), `${JSON.stringify(artifact.manifest, null, 2)}\n`);
    await rm(target, { recursive: true, force: true });
    await rename(temp, target);
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Reads and verifies an artifact directory (`loadArtifact`: signature, every file's size and SHA-256,
 * then the decoded content); errors name the file at fault. Beside the decoded model it returns the
 * files' bytes as read and checked, for commands that pass the artifact on unchanged (`publish`).
 */
export async function readArtifactDir(
  dir: string,
  options: { trusted: readonly TrustedKey[] } | { unsigned: 'allow' },
): Promise<LoadedArtifact & Artifact> {
  const manifestPath = join(dir, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (e) {
    throw new CliError(`${manifestPath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found (is it an exported artifact directory?)' : 'not valid JSON'}`);
  }
  const files = new Map<string, Bytes>();
  const fetchFile = async (file: FileRef): Promise<Uint8Array> => {
    const bytes = new Uint8Array(await readFile(join(dir, file.path))) as Bytes;
    files.set(file.path, bytes);
    return bytes;
  };
  try {
    return { ...(await loadArtifact(raw, fetchFile, options)), files };
  } catch (e) {
    if (e instanceof ContractError) throw new CliError(`${dir}: ${e.message}`);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`${dir}: missing file ${basename((e as NodeJS.ErrnoException).path ?? '')}`);
    throw e;
  }
}

/** Reads a key file of `edge-recs keygen`, checked by `parseKeyFile`; errors name the file and the field. */
export async function readKeyFile(path: string, needs?: KeyFileNeeds): Promise<KeyFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : 'cannot read'} (make a key file with "edge-recs keygen")`);
  }
  try {
    return parseKeyFile(text, path, needs);
  } catch (e) {
    if (e instanceof ContractError) throw new CliError(e.message);
    throw e;
  }
}
