import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { WidgetFiles } from '../../models/widget-files.ts';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Serves the widget build (`npm run build` writes `dist/`) from disk; the app has already checked `path`. */
export function widgetDir(dir: string): WidgetFiles {
  return {
    async get(path) {
      const contentType = TYPES[extname(path)];
      if (!contentType) return null;
      try {
        return { body: new Uint8Array(await readFile(join(dir, path))), contentType };
      } catch {
        return null;
      }
    },
  };
}
