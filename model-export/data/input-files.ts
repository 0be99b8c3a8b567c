import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CliError } from '../errors.ts';

/**
 * The names a data file of a directory has: what BigQuery and event exports write, `.json`, `.jsonl`,
 * `.ndjson`, `.csv` or `.tsv`, each optionally `.gz`; and BigQuery's names without an extension, a daily
 * table (`events_20260301`, `events_intraday_20260304`) or a numbered shard of an extract
 * (`events-000000000000`, `000000000001.gz`).
 */
const DATA_NAME = /\.(?:json|jsonl|ndjson|csv|tsv)(?:\.gz)?$|^(?:events(?:_intraday)?_\d{8}(?:-\d{12})?|[\w-]*\d{12})(?:\.gz)?$/i;

/** The files `--data` names, and the names of a directory's files that were not read. */
export interface DataFiles {
  files: string[];
  /** Files of the directory not named like data (`notes.txt`, `_SUCCESS`), by name; hidden files left out. */
  skipped: string[];
}

/**
 * The files behind a `--data` path: the file itself, or the data files of a directory in name order
 * (BigQuery writes a day per table, `events_20260301`, and splits big extracts into numbered shards,
 * `events_20260301-000000000000.json.gz`, so name order is time order). In a directory only files named
 * like data are read (`DATA_NAME`): a notes file or a job marker beside the shards is not an event log.
 * Names starting with `.` or `_` are never data (editor and job marker files).
 */
export async function dataFiles(path: string): Promise<DataFiles> {
  const info = await stat(path).catch(() => {
    throw new CliError(`${path}: cannot read`);
  });
  if (!info.isDirectory()) return { files: [path], skipped: [] };
  const names = (await readdir(path, { withFileTypes: true }))
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  const read = (name: string): boolean => !name.startsWith('_') && DATA_NAME.test(name);
  const files = names.filter(read).map((name) => join(path, name));
  const skipped = names.filter((name) => !read(name));
  if (files.length === 0) {
    const seen = skipped.length > 0 ? ` (it holds ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ', …' : ''})` : '';
    throw new CliError(`${path}: the directory holds no data files${seen}; data files are named *.json, *.jsonl, *.ndjson, *.csv or *.tsv (gzip: *.gz too), or as BigQuery names its tables and shards`);
  }
  return { files, skipped };
}

/**
 * Whether a file's first line is a product catalog's rather than an event log's: a Merchant Center feed's
 * header (TSV or CSV: `id`, `title` and one of `link`, `price`, `availability`, `image_link`), an XML feed,
 * or the JSON catalog (`{"updatedAt", "products": [...]}`).
 */
export function isCatalogHead(line: string): boolean {
  if (/^<\?xml|^<(rss|feed)\b/i.test(line)) return true;
  if (/^\{\s*("updatedAt"\s*:\s*"[^"]*"\s*,\s*)?"products"\s*:/.test(line)) return true;
  const columns = new Set(line.split(/[\t,;]/).map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase().replace(/ /g, '_')));
  return columns.has('id') && columns.has('title') && ['link', 'price', 'availability', 'image_link'].some((c) => columns.has(c));
}

/**
 * Refuses a catalog given as `--data`: read as events it failed on a price (`feed.tsv:2: invalid id
 * "$75."`), which says nothing of the mix-up.
 * @throws CliError (exit 2) naming the file.
 */
export async function refuseCatalogs(files: readonly string[]): Promise<void> {
  for (const file of files) {
    if (isCatalogHead(await firstLine(file))) {
      throw new CliError(`${file}: this looks like a Merchant Center feed (a product catalog, not events); pass it as --catalog, and the events as --data`, 2);
    }
  }
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
