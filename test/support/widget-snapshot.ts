/**
 * The production widget build (`dist/`, `npm run build`) as it was when a test's edge server started,
 * held in memory, for the edge servers of Chromium tests (`snapshotWidget`), or copied to a directory of
 * its own for an edge server in a child process (`copyBuild`).
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
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, posix } from 'node:path';
import type { WidgetFiles } from '../../edge-server/models/widget-files.ts';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

/** The demo shop's front-end in the build (`vite.demo.config.ts`), which `npm run build` writes after the widget. */
const DEMO_APP = 'demo/app.js';

/** Every servable file of the build by its path under `dir` (`chunks/app-….js`); the demo's build (`demo/…`) only where `demo`. */
async function read(dir: string, demo: boolean): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = posix.join(...join(entry.parentPath, entry.name).slice(dir.length + 1).split(/[\\/]/));
    if ((!demo && path.startsWith('demo/')) || !TYPES[extname(path)]) continue;
    files.set(path, new Uint8Array(await readFile(join(dir, path))));
  }
  return files;
}

/** Why `files` is not a complete build, or undefined when it is: the loader (and the demo's app where `demo`) and every file a `.js` file names relatively. */
function incomplete(files: ReadonlyMap<string, Uint8Array>, demo: boolean): string | undefined {
  if (!files.has('edge-recs.js')) return 'no edge-recs.js';
  if (demo && !files.has(DEMO_APP)) return `no ${DEMO_APP}`;
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

/** The files of the build in `dir` once it is complete and unchanging (a build in progress is waited for). */
async function completeBuild(dir: string, demo: boolean, timeoutMs: number): Promise<Map<string, Uint8Array>> {
  const deadline = Date.now() + timeoutMs;
  let why = '';
  for (;;) {
    try {
      const first = await read(dir, demo);
      why = incomplete(first, demo) ?? '';
      if (!why) {
        if (same(first, await read(dir, demo))) return first;
        why = 'it changed while it was read (a build in progress)';
      }
    } catch (e) {
      why = String(e);
    }
    if (Date.now() > deadline) throw new Error(`${dir} is not a complete widget build: ${why} (run \`npm run build\`)`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The Subresource Integrity value (`sha384-…`) of a loader's bytes, computed here, independently of the build. */
const integrityOf = (loader: Uint8Array): string => `sha384-${createHash('sha384').update(loader).digest('base64')}`;

/** The loader's SRI value as the build published it (`integrity.json`, vite.config.ts), or null where the build wrote none. */
function publishedIntegrity(files: ReadonlyMap<string, Uint8Array>): string | null {
  const file = files.get('integrity.json');
  if (!file) return null;
  const value: unknown = (JSON.parse(new TextDecoder().decode(file)) as Record<string, unknown>)['edge-recs.js'];
  return typeof value === 'string' ? value : null;
}

/**
 * The build in `dir` as a `WidgetFiles` for `createApp`, once it is complete and unchanging (a build in
 * progress is waited for), with the SRI value of its loader, computed and as the build's `integrity.json` gives it. Rejects after `timeoutMs` naming what is
 * missing, e.g. when `dist/` was never built.
 */
export async function snapshotWidget(dir: string, timeoutMs = 60_000): Promise<WidgetFiles & { integrity: string; publishedIntegrity: string | null }> {
  const files = await completeBuild(dir, false, timeoutMs);
  return {
    integrity: integrityOf(files.get('edge-recs.js')!),
    publishedIntegrity: publishedIntegrity(files),
    get: async (path) => (files.has(path) ? { body: files.get(path)!, contentType: TYPES[extname(path)]! } : null),
  };
}

export interface BuildCopy {
  /** Holds the copy as `dist/`: the working directory for a server that serves `dist/` from its own (`main.ts`). */
  cwd: string;
  /** The SRI value of the copy's loader. */
  integrity: string;
  remove(): Promise<void>;
}

/**
 * The build in `dir`, complete and unchanging as `snapshotWidget` takes it (with the demo shop's
 * front-end where `demo`), copied to `<cwd>/dist/` in a new temporary directory: for the Node server in a
 * child process, which reads `dist/` under its working directory on every request.
 */
export async function copyBuild(dir: string, options: { demo?: boolean; timeoutMs?: number } = {}): Promise<BuildCopy> {
  const files = await completeBuild(dir, options.demo ?? false, options.timeoutMs ?? 60_000);
  const cwd = await mkdtemp(join(tmpdir(), 'edge-recs-build-'));
  for (const [path, bytes] of files) {
    await mkdir(dirname(join(cwd, 'dist', path)), { recursive: true });
    await writeFile(join(cwd, 'dist', path), bytes);
  }
  return { cwd, integrity: integrityOf(files.get('edge-recs.js')!), remove: () => rm(cwd, { recursive: true, force: true }) };
}
