/**
 * The production widget build (`dist/`, `npm run build`) as it was when a test's edge server started,
 * held in memory, for the edge servers of Chromium tests.
 *
 * Why not serve `dist/` from disk (`widgetDir`): the checkout is shared, and `npm run build` (run by
 * anyone, any time) first empties `dist/`, then writes the loader and new content-hashed chunks. A page
 * that asked for the loader or a chunk in between got a 404, never loaded the widget (`window.edgeRecs`
 * missing, or its state `fallback`), and the test waited out its 30 s for a model that could never load:
 * the "flaky under load" failures, as builds take longer on a loaded machine. A snapshot is taken only of
 * a complete build (every chunk, asset and worker the loader and chunks name is there, and two reads
 * agree), so a build started later cannot change what a running test serves.
 */
import { Buffer } from 'node:buffer';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, extname, join, posix } from 'node:path';
import type { WidgetFiles } from '../../edge-server/widget-files.ts';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
};

/** Every servable file of the build by its path under `dir` (`chunks/app-….js`), the demo's build left out. */
async function read(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = posix.join(...join(entry.parentPath, entry.name).slice(dir.length + 1).split(/[\\/]/));
    if (path.startsWith('demo/') || !TYPES[extname(path)]) continue;
    files.set(path, new Uint8Array(await readFile(join(dir, path))));
  }
  return files;
}

/** Why `files` is not a complete build, or undefined when it is: the loader and every file a `.js` file names relatively. */
function incomplete(files: ReadonlyMap<string, Uint8Array>): string | undefined {
  if (!files.has('edge-recs.js')) return 'no edge-recs.js';
  const decoder = new TextDecoder();
  for (const [path, bytes] of files) {
    if (extname(path) !== '.js') continue;
    for (const [, ref] of decoder.decode(bytes).matchAll(/["'`](\.{1,2}\/[^"'`\s]+\.(?:js|wasm))["'`]/g)) {
      const target = posix.normalize(posix.join(dirname(path), ref!));
      if (!files.has(target)) return `${path} names ${ref}, which is missing`;
    }
  }
  return undefined;
}

function same(a: ReadonlyMap<string, Uint8Array>, b: ReadonlyMap<string, Uint8Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [path, bytes] of a) {
    const other = b.get(path);
    if (!other || Buffer.compare(other, bytes) !== 0) return false;
  }
  return true;
}

/**
 * The build in `dir` as a `WidgetFiles` for `createApp`, once it is complete and unchanging (a build in
 * progress is waited for). Rejects after `timeoutMs` naming what is missing, e.g. when `dist/` was never built.
 */
export async function snapshotWidget(dir: string, timeoutMs = 60_000): Promise<WidgetFiles> {
  const deadline = Date.now() + timeoutMs;
  let why = '';
  for (;;) {
    try {
      const first = await read(dir);
      why = incomplete(first) ?? '';
      if (!why) {
        const second = await read(dir);
        if (same(first, second)) {
          return { get: async (path) => (first.has(path) ? { body: first.get(path)!, contentType: TYPES[extname(path)]! } : null) };
        }
        why = 'it changed while it was read (a build in progress)';
      }
    } catch (e) {
      why = String(e);
    }
    if (Date.now() > deadline) throw new Error(`${dir} is not a complete widget build: ${why} (run \`npm run build\`)`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
