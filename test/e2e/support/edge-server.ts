/**
 * Starts the real Node edge server (`edge-server/adapters/node/main.ts`) as a merchant runs it, in a
 * child process, with command-line flags and a data directory of its own, and resolves once it prints
 * its URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { childEnv, ROOT, runEdgeRecs } from '../../support/cli.ts';

export interface EdgeServer {
  /** Base URL without a trailing slash, on `127.0.0.1` (the shop pages are served on `localhost`: another origin and site). */
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

export interface EdgeServerOptions {
  dataDir: string;
  /** Flags after `main.ts`, e.g. `['--allow-origin', 'http://localhost:8080', '--admin-token', token]`. */
  args: string[];
  timeoutMs?: number;
}

export async function startEdgeServer(options: EdgeServerOptions): Promise<EdgeServer> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'edge-server/adapters/node/main.ts', ...options.args], {
    cwd: ROOT,
    env: childEnv({ PORT: '0', EDGE_RECS_DATA: options.dataDir }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`edge server did not start in time:\n${log}`)), options.timeoutMs ?? 60_000);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      const match = /EdgeRecs edge server: http:\/\/[^:/]+:(\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${match[1]}`);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`edge server exited with ${code}:\n${log}`));
    });
  });
  return {
    url,
    output: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** `edge-recs <args>`, throwing with its output when it fails. */
export async function edgeRecsOk(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await runEdgeRecs(args, { env });
  if (r.code !== 0) throw new Error(`edge-recs ${args.join(' ')} exited with ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
