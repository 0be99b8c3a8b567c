import type { Fetcher } from '@cloudflare/workers-types/latest/index.ts';
import type { WidgetFiles } from '../../models/widget-files.ts';

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
  return {
    async get(path) {
      const contentType = TYPES[path.slice(path.lastIndexOf('.') + 1)];
      if (!contentType) return null;
      // The host is ignored by the assets binding; only the path selects the file.
      const res = await assets.fetch(`https://assets.invalid/${path}`);
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      if (!res.ok) throw new Error(`static assets answered ${res.status} for ${path}`);
      return { body: new Uint8Array(await res.arrayBuffer()), contentType };
    },
  };
}
