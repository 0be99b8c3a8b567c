import type { Fetcher } from '@cloudflare/workers-types/latest/index.ts';
import { encodedName, type WidgetFile, type WidgetFiles } from '../../models/widget-files.ts';

/** As `adapters/node/widget-dir.ts`: only the kinds of file a widget build holds. */
const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  wasm: 'application/wasm',
  map: 'application/json; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/**
 * The widget build from Workers static assets (`[assets]` in wrangler.toml, uploaded by `wrangler
 * deploy`). The Worker runs first for every request (`run_worker_first`), so widget files get the
 * app's caching, CORS and security headers; the asset store only supplies the bytes.
 */
export function assetsWidget(assets: Fetcher): WidgetFiles {
  const read = async (path: string, file: string): Promise<WidgetFile | null> => {
    const contentType = TYPES[path.slice(path.lastIndexOf('.') + 1)];
    if (!contentType) return null;
    // The host is ignored by the assets binding; only the path selects the file.
    const res = await assets.fetch(`https://assets.invalid/${file}`);
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) throw new Error(`static assets answered ${res.status} for ${file}`);
    return { body: new Uint8Array(await res.arrayBuffer()), contentType };
  };
  return {
    get: (path) => read(path, path),
    // The build's `X.br` / `X.gz`, uploaded with the rest of dist/; the app sends them with `encodeBody: 'manual'`.
    encoded: (path, encoding) => read(path, encodedName(path, encoding)),
  };
}
