/**
 * `edge-recs bestsellers upload FILE`: replaces a model's bestseller list (the merchant's own order,
 * best first; `PUT /v1/admin/models/:name/bestsellers`) from what a shop system exports: JSON
 * (`{"ids": [...]}` or an array), CSV or TSV (first column), or plain text (one id per line).
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { MODEL_NAME } from '../../core/artifact/manifest.ts';
import { adminClient, type AdminArgs } from './admin-client.ts';
import { CliError } from '../errors.ts';

/** A first cell that names the column rather than holding an id: the row is a header and skipped. */
const HEADER = /^(id|ids|item[ _]?id|sku|product[ _]?id|offer[ _]?id)$/i;

export interface BestsellerList {
  ids: string[];
  /** The file line of each id (1-based), for messages; `null` for JSON. */
  lines: number[] | null;
}

/** The first cell of a delimited row; a quoted cell may hold the delimiter and doubled quotes (RFC 4180). */
function firstCell(row: string, delimiter: string): string {
  if (!row.startsWith('"')) return row.split(delimiter, 1)[0]!.trim();
  let cell = '';
  for (let i = 1; i < row.length; i++) {
    if (row[i] !== '"') cell += row[i];
    else if (row[i + 1] !== '"') return cell.trim();
    else {
      cell += '"';
      i++;
    }
  }
  return cell.trim();
}

/** Reads the ids of a bestseller file, best first; refuses repeats naming both lines. */
function parseBestsellerFile(file: string, text: string): BestsellerList {
  const body = text.replace(/^\uFEFF/, '');
  const ext = extname(file).toLowerCase();
  if (ext === '.json' || /^\s*[[{]/.test(body)) {
    let raw: unknown;
    try {
      raw = JSON.parse(body);
    } catch (e) {
      throw new CliError(`${file}: not valid JSON (${(e as Error).message})`);
    }
    const ids = Array.isArray(raw) ? raw : typeof raw === 'object' && raw !== null ? (raw as { ids?: unknown }).ids : undefined;
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
      throw new CliError(`${file}: expected {"ids": ["sku-1", ...]} or a JSON array of id strings, best first`);
    }
    return { ids: ids as string[], lines: null };
  }
  const delimiter = ext === '.csv' ? ',' : ext === '.tsv' ? '\t' : null;
  const ids: string[] = [];
  const lines: number[] = [];
  const seen = new Map<string, number>();
  body.split(/\r?\n/).forEach((row, i) => {
    const id = delimiter ? firstCell(row, delimiter) : row.trim();
    if (id === '' || (ids.length === 0 && HEADER.test(id))) return;
    const first = seen.get(id);
    if (first !== undefined) throw new CliError(`${file}:${i + 1}: "${id}" is listed twice (first on line ${first}); each id goes once, at its rank`);
    seen.set(id, i + 1);
    ids.push(id);
    lines.push(i + 1);
  });
  return { ids, lines };
}

export async function bestsellersUploadCommand(file: string, a: AdminArgs & { name: string; json: boolean }): Promise<void> {
  if (!MODEL_NAME.test(a.name)) throw new CliError(`--name must match ${MODEL_NAME} (got "${a.name}")`, 2);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new CliError(`${file}: cannot read`);
  }
  const list = parseBestsellerFile(file, text);
  if (list.ids.length === 0) throw new CliError(`${file}: no ids in it; list the bestsellers one per line (CSV: the first column), best first`);
  const client = adminClient(a);
  let body: Record<string, unknown>;
  try {
    ({ body } = await client.send('PUT', `models/${encodeURIComponent(a.name)}/bestsellers`, `the bestsellers of ${a.name} from ${basename(file)}`, {
      type: 'application/json',
      data: JSON.stringify({ ids: list.ids }),
    }));
  } catch (e) {
    // The server names the id by its index; the merchant knows it by its line.
    const lines = list.lines;
    if (!(e instanceof CliError) || !lines) throw e;
    throw new CliError(e.message.replace(/\bids\[(\d+)\]/, (all, i: string) => (lines[Number(i)] === undefined ? all : `${file}:${lines[Number(i)]}`)), e.exitCode);
  }
  if (a.json) console.log(JSON.stringify(body));
  else {
    const head = list.ids.slice(0, 3).join(', ') + (list.ids.length > 3 ? ', …' : '');
    console.log(`${a.name}: bestsellers replaced by ${list.ids.length.toLocaleString('en')} ids from ${basename(file)}, best first (${head})`);
  }
}
