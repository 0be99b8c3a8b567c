/**
 * The Node edge server as an operator runs it (`edge-server/adapters/node/main.ts` through tsx, disk
 * storage in a fresh data directory) in a child process, for the attack harnesses: they attack the real
 * server over real sockets. With `heapProbe` the child also runs with `--expose-gc` and answers SIGUSR2
 * by collecting garbage and printing its memory use, so a harness can measure what its requests kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyFile } from '../../../core/artifact/signing.ts';
import { childEnv, ROOT } from '../cli.ts';

const MAIN = 'edge-server/adapters/node/main.ts';
const PROBE = new URL('heap-probe.mjs', import.meta.url).pathname;

export interface MainProcessOptions {
  /** Flags for main.ts besides the data directory and port, e.g. `['--admin-token', token]`. */
  args?: string[];
  /** Write a federation signing key and pass `--federation-key`, so updates and deltas are on. */
  federated?: boolean;
  /** Run with the heap probe (see above), for `heap()`. */
  heapProbe?: boolean;
  /** Host to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port to listen on. Default: any free one (`PORT=0`). */
  port?: number;
}

export interface MainProcess {
  child: ChildProcess;
  /** `http://host:port` (no trailing slash). */
  url: string;
  /** The data directory (`EDGE_RECS_DATA`). */
  dataDir: string;
  /** Memory after two full garbage collections in the child (heap probe only). */
  heap(): Promise<{ heapUsed: number; rss: number }>;
  /** SIGTERM, wait for the exit, remove the data directory. */
  stop(): Promise<void>;
  /** SIGTERM, wait for the exit, start again on the same data directory (and port, when one was given). */
  restart(): Promise<void>;
}

export async function startMainProcess(options: MainProcessOptions = {}): Promise<MainProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'edge-recs-abuse-'));
  const args = [...(options.args ?? []), '--host', options.host ?? '127.0.0.1'];
  if (options.federated) {
    const keyFile = join(dataDir, 'federation-key.json');
    await writeFile(keyFile, JSON.stringify(await generateKeyFile()));
    args.push('--federation-key', keyFile);
  }
  const running = await spawnMain(args, dataDir, options);
  const stop = async (): Promise<void> => {
    const { child } = running;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  };
  return {
    get child() {
      return running.child;
    },
    get url() {
      return running.url;
    },
    dataDir,
    heap: () => running.heap(),
    async stop() {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await stop();
      Object.assign(running, await spawnMain(args, dataDir, options));
    },
  };
}

async function spawnMain(args: string[], dataDir: string, options: MainProcessOptions): Promise<Pick<MainProcess, 'child' | 'url' | 'heap'>> {
  const node = [...(options.heapProbe ? ['--expose-gc', '--import', PROBE] : []), '--import', 'tsx', MAIN];
  const child = spawn(process.execPath, [...node, ...args], { cwd: ROOT, env: childEnv({ PORT: String(options.port ?? 0), EDGE_RECS_DATA: dataDir }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiting: Array<(line: string) => void> = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      if (line.startsWith('HEAP ')) waiting.shift()?.(line.slice(5));
      else lines.push(line);
      for (const l of lineWaiters.splice(0)) l();
    }
  });
  const lines: string[] = [];
  const lineWaiters: Array<() => void> = [];
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const look = (): void => {
      for (const line of lines) {
        const m = /EdgeRecs edge server: (\S+?)\/?$/.exec(line);
        if (m) return resolve(m[1]!);
      }
      lineWaiters.push(look);
    };
    look();
    child.once('exit', (code) => reject(new Error(`main.ts exited with ${code}: ${err}`)));
  });
  return {
    child,
    url,
    heap() {
      if (!options.heapProbe) throw new Error('heap() needs { heapProbe: true }');
      return new Promise((resolve) => {
        waiting.push((json) => resolve(JSON.parse(json) as { heapUsed: number; rss: number }));
        child.kill('SIGUSR2');
      });
    },
  };
}

/**
 * Runs `task(i)` for i in [0, count) with at most `concurrency` at once; resolves when all are done.
 */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
