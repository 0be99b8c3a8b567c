/**
 * Starts the real Node edge server (`edge-server/adapters/node/main.ts`) as a merchant runs it, in a
 * child process, with command-line flags and a data directory of its own, and resolves once it prints
 * its URL. The server serves the widget build from `dist/` under its working directory on every request,
 * so it runs in a copy of the build as it was at its start (`copyBuild`): a teammate's `npm run build`
 * during the test, which empties `dist/`, cannot take the widget away from a page.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { childEnv, ROOT, runEdgeRecs } from '../cli.ts';
import { copyBuild } from '../widget-snapshot.ts';

export interface EdgeServer {
  /** Base URL without a trailing slash, on `127.0.0.1` (the shop pages are served on `localhost`: another origin and site). */
  url: string;
  /** The SRI value (`sha384-…`) of the loader it serves (`/widget/edge-recs.js`). */
  integrity: string;
  output: () => string;
  stop(): Promise<void>;
}

export interface EdgeServerOptions {
  dataDir: string;
  /** Flags after `main.ts`, e.g. `['--allow-origin', 'http://localhost:8080', '--admin-token', token]`. */
  args: string[];
  timeoutMs?: number;
}

/** tsx as `--import` takes it from any working directory (a bare `tsx` resolves from the child's cwd). */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A running `main.ts`: the port of the URL it printed. */
export interface NodeServerProcess {
  port: string;
  integrity: string;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Runs `main.ts args` with `env` in a copy of the build (`demo`: `demo/main.ts`, with the demo shop's front-end), and
 * resolves once it prints `ready`'s line (its first group: the port), or rejects with its output after
 * `timeoutMs` or when it exits.
 */
export async function startNodeServer(args: readonly string[], options: { env: Record<string, string>; ready: RegExp; demo?: boolean; timeoutMs: number }): Promise<NodeServerProcess> {
  const build = await copyBuild(join(ROOT, 'dist'), { demo: options.demo ?? false });
  // The demo is composed outside the edge server: `npm start` runs `demo/main.ts`, which starts `main.ts`'s server.
  const entry = options.demo ? 'demo/main.ts' : 'edge-server/adapters/node/main.ts';
  const child: ChildProcess = spawn(process.execPath, ['--import', TSX, join(ROOT, entry), ...args], {
    cwd: build.cwd,
    env: childEnv({ ...options.env, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json') }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await build.remove();
  };
  try {
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${args.join(' ') || 'main.ts'}: the server did not start in time:\n${log}`)), options.timeoutMs);
      const onData = (chunk: Buffer): void => {
        log += chunk.toString();
        const match = options.ready.exec(log);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the server exited with ${code}:\n${log}`));
      });
    });
    return { port, integrity: build.integrity, output: () => log, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export async function startEdgeServer(options: EdgeServerOptions): Promise<EdgeServer> {
  const server = await startNodeServer(options.args, {
    env: { PORT: '0', EDGE_RECS_DATA: options.dataDir },
    ready: /EdgeRecs edge server: http:\/\/[^:/]+:(\d+)/,
    timeoutMs: options.timeoutMs ?? 60_000,
  });
  return { url: `http://127.0.0.1:${server.port}`, integrity: server.integrity, output: server.output, stop: server.stop };
}

/** `edge-recs <args>`, throwing with its output when it fails. */
export async function edgeRecsOk(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await runEdgeRecs(args, { env });
  if (r.code !== 0) throw new Error(`edge-recs ${args.join(' ')} exited with ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
