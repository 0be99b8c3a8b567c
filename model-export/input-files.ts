import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CliError } from './errors.ts';

/**
 * The files behind a `--data` path: the file itself, or every data file of a directory in name order
 * (BigQuery writes a day per table, `events_20260301`, and splits big extracts into numbered shards,
 * `events_20260301-000000000000.json.gz`, so name order is time order). Names starting with `.` or `_`
 * are not data (editor and job marker files).
 */
export async function dataFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => {
    throw new CliError(`${path}: cannot read`);
  });
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && !/^[._]/.test(e.name))
    .map((e) => e.name)
    .sort()
    .map((name) => join(path, name));
  if (files.length === 0) throw new CliError(`${path}: the directory holds no data files`);
  return files;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Whether a file starts with the gzip magic bytes (BigQuery's `--compression GZIP` writes `.gz` files). */
async function isGzip(file: string): Promise<boolean> {
  const stream = createReadStream(file, { start: 0, end: 1 });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const head = Buffer.concat(chunks);
  return head.length === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

/** A file's text as a UTF-8 stream, decompressed when it is gzip (whatever its name). */
export async function openText(file: string): Promise<Readable> {
  const gzip = await isGzip(file).catch(() => {
    throw new CliError(`${file}: cannot read`);
  });
  const raw = createReadStream(file);
  const stream = gzip ? raw.pipe(createGunzip()) : raw;
  if (gzip) {
    raw.on('error', (e) => stream.destroy(e));
    stream.on('close', () => raw.destroy());
  }
  stream.setEncoding('utf8');
  return stream;
}

/** A whole (possibly gzipped) text file. */
export async function readText(file: string): Promise<string> {
  let text = '';
  try {
    for await (const chunk of await openText(file)) text += chunk as string;
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${file}: cannot read (${(e as Error).message})`);
  }
  return text;
}

/** The first line of a (possibly gzipped) file, read without reading the rest; '' for an empty file. */
export async function firstLine(file: string): Promise<string> {
  const stream = await openText(file);
  let text = '';
  try {
    for await (const chunk of stream) {
      text += chunk as string;
      const trimmed = text.replace(/^[\s\uFEFF]+/, '');
      const end = trimmed.indexOf('\n');
      if (end >= 0) return trimmed.slice(0, end);
      if (text.length > 1 << 20) break;
    }
  } finally {
    stream.destroy();
  }
  return text.replace(/^[\s\uFEFF]+/, '');
}
