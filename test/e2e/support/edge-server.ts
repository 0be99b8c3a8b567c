/**
 * Starts the real Node edge server (`edge-server/adapters/node/main.ts`) as a merchant runs it, in a
 * child process, with command-line flags and a data directory of its own, and resolves once it prints
 * its URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

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

/** Environment for a child that loads tsx itself: vitest's loaders in NODE_OPTIONS must not leak into it. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
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

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `edge-recs <args>` (the package's bin, as `npx edge-recs` does) and resolves with its exit code and output. */
export function edgeRecs(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['model-export/bin/edge-recs.js', ...args], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** `edge-recs <args>`, throwing with its output when it fails. */
export async function edgeRecsOk(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await edgeRecs(args, env);
  if (r.code !== 0) throw new Error(`edge-recs ${args.join(' ')} exited with ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
