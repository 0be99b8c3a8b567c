import { groupIndex, type Catalog, type GroupIndex } from '../../core/catalog.ts';
import { parseCatalogText, type CatalogFormat } from '../../core/catalog-text.ts';
import { ContractError } from '../../core/errors.ts';
import { CliError } from '../errors.ts';
import { readText } from './input-files.ts';

/** A catalog file as `--catalog` reads it, with its variant groups. */
export interface CatalogFile {
  file: string;
  catalog: Catalog;
  groups: GroupIndex;
}

/**
 * The format of a catalog file: `json` (the `{"updatedAt","products"}` document `PUT /v1/admin/catalog`
 * takes), `xml` (a Merchant Center RSS/Atom feed) or `tsv` (a Merchant Center text feed), by its first
 * character, so a file's name does not matter.
 */
function catalogFormatOf(text: string): CatalogFormat {
  const first = /[^\s\uFEFF]/.exec(text)?.[0];
  return first === '{' ? 'json' : first === '<' ? 'xml' : 'tsv';
}

/**
 * Reads a catalog file (gzipped or not) with the parser the edge server uses (`core/catalog-text.ts`),
 * so a feed the server accepts is a feed the CLI accepts, and a link the server refuses (any scheme
 * but http and https) is refused here too, naming the file, line, item and field.
 * @throws CliError naming the file and the line or product at fault.
 */
export async function readCatalogFile(file: string): Promise<CatalogFile> {
  const text = await readText(file);
  const format = catalogFormatOf(text);
  try {
    // The server's parser and rules (links, text, ids, currency); no item cap for the merchant's own file.
    const catalog: Catalog = parseCatalogText(text, format, { maxItems: Number.MAX_SAFE_INTEGER });
    if (catalog.products.length === 0) throw new CliError(`${file}: the catalog has no products`);
    return { file, catalog, groups: groupIndex(catalog) };
  } catch (e) {
    if (e instanceof ContractError) throw new CliError(`${file}: ${e.message}`);
    throw e;
  }
}
