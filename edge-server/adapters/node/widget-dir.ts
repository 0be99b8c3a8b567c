import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { encodedName, type WidgetFile, type WidgetFiles } from '../../models/widget-files.ts';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Serves the widget build (`npm run build` writes `dist/`) from disk; the app has already checked `path`. */
export function widgetDir(dir: string): WidgetFiles {
  const read = async (path: string, file: string): Promise<WidgetFile | null> => {
    const contentType = TYPES[extname(path)];
    if (!contentType) return null;
    try {
      return { body: new Uint8Array(await readFile(join(dir, file))), contentType };
    } catch {
      return null;
    }
  };
  return {
    get: (path) => read(path, path),
    // `X.br` / `X.gz` beside `X`, as the build writes them.
    encoded: (path, encoding) => read(path, encodedName(path, encoding)),
  };
}
