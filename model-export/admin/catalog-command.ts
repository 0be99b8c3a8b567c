/**
 * `edge-recs catalog upload FILE`: replaces the catalog an edge server serves at `/v1/catalog`
 * (`PUT /v1/admin/catalog`) with a JSON catalog or a Google Merchant Center feed (TSV or XML), sent
 * as it is with the Content-Type of its format; the server parses and checks it.
 *
 * With a signing key (`--sign-key`, else `EDGE_RECS_SIGN_KEY`: the key file `export --sign-key` takes),
 * the catalog is signed: parsed here by the server's own parsers (`core/catalog-text.ts`), signed as
 * parsed (`core/catalog-signature.ts`) and sent as that signed JSON catalog, which the server checks
 * against its trusted keys and serves with the signature.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { signCatalog } from '../../core/catalog-signature.ts';
import { CATALOG_FORMATS, parseCatalogText, type CatalogFormat } from '../../core/catalog-text.ts';
import { ContractError } from '../../core/errors.ts';
import { adminClient, type AdminArgs } from './admin-client.ts';
import { readKeyFile } from '../artifact/artifact-fs.ts';
import { CliError } from '../errors.ts';

export { CATALOG_FORMATS };

const CONTENT_TYPE: Record<CatalogFormat, string> = {
  json: 'application/json; charset=utf-8',
  tsv: 'text/tab-separated-values; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
};
const LABEL: Record<CatalogFormat, string> = { json: 'JSON catalog', tsv: 'Merchant Center TSV feed', xml: 'Merchant Center XML feed' };
/** Merchant Center names tab-separated feeds .txt as often as .tsv, so .txt is sniffed, not assumed. */
const BY_EXTENSION: Record<string, CatalogFormat> = { '.json': 'json', '.tsv': 'tsv', '.tab': 'tsv', '.xml': 'xml', '.rss': 'xml', '.atom': 'xml' };

/** The format of a catalog file: `--format`, else its extension, else its first characters. */
function catalogFormat(file: string, text: string, override?: string): CatalogFormat {
  if (override !== undefined) {
    if (!CATALOG_FORMATS.includes(override as CatalogFormat)) throw new CliError(`--format must be one of ${CATALOG_FORMATS.join(', ')} (got "${override}")`, 2);
    return override as CatalogFormat;
  }
  const byName = BY_EXTENSION[extname(file.replace(/\.gz$/i, '')).toLowerCase()];
  if (byName) return byName;
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (start.startsWith('{')) return 'json';
  if (start.startsWith('<')) return 'xml';
  if (start.split('\n', 1)[0]!.includes('\t')) return 'tsv';
  throw new CliError(
    `${file}: cannot tell its format: a catalog is a JSON catalog (.json), a Merchant Center TSV feed (.tsv, or .txt with a tab-separated header) or a Merchant Center XML feed (.xml); name the format with --format ${CATALOG_FORMATS.join('|')}`,
    2,
  );
}

/** The signed JSON catalog to upload in place of `text`. */
async function signedUpload(file: string, text: string, format: CatalogFormat, keyPath: string): Promise<string> {
  const key = await readKeyFile(keyPath);
  if (!key.privateKey) throw new CliError(`${keyPath}: holds no private key; sign with the private key file "edge-recs keygen --out" wrote (the one export --sign-key takes)`, 2);
  try {
    return JSON.stringify(await signCatalog(parseCatalogText(text, format), key));
  } catch (e) {
    if (e instanceof ContractError) throw new CliError(`${file}: ${e.message}`);
    throw e;
  }
}

export async function catalogUploadCommand(file: string, a: AdminArgs & { format?: string; signKey?: string; json: boolean }): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch {
    throw new CliError(`${file}: cannot read`);
  }
  // Feeds are often kept gzipped; the server takes the plain text.
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch {
      throw new CliError(`${file}: starts like gzip but does not decompress`);
    }
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CliError(`${file}: not UTF-8 text; save the feed as UTF-8 (Merchant Center's own encoding)`);
  }
  const format = catalogFormat(file, text, a.format);
  const client = adminClient(a);
  const keyPath = a.signKey ?? (process.env.EDGE_RECS_SIGN_KEY || undefined);
  const upload = keyPath ? { type: CONTENT_TYPE.json, data: await signedUpload(file, text, format, keyPath) } : { type: CONTENT_TYPE[format], data: text };
  const { body } = await client.send('PUT', 'catalog', `catalog ${basename(file)} (${LABEL[format]})`, upload);
  if (a.json) console.log(JSON.stringify(body));
  else {
    const count = (n: unknown): string => (typeof n === 'number' ? n.toLocaleString('en') : String(n));
    // Variants of one item_group_id are one card each; say so when the feed has any.
    const groups = typeof body.groups === 'number' && body.groups !== body.products ? ` in ${count(body.groups)} variant groups` : '';
    const signed = typeof body.signedBy === 'string' ? `, signed by key ${body.signedBy}` : '';
    console.log(`catalog: ${count(body.products)} product${body.products === 1 ? '' : 's'}${groups} from ${basename(file)} (${LABEL[format]}) now served at ${client.origin}/v1/catalog${signed}`);
  }
}
