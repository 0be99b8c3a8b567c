import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../support/chromium.ts';


export interface DemoServer {
  url: string;
  dataDir: string;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Starts `npm start`'s server (`--demo`) as a real child process on a free port with a fresh data
 * directory, exactly as a merchant would run it, and resolves once it prints its URL.
 */
export async function startDemoServer(options: { dataDir?: string; timeoutMs?: number; /** More flags for main.ts, e.g. `['--suppress-below', '1']`. */ args?: string[] } = {}): Promise<DemoServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'edge-recs-e2e-')));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'edge-server/adapters/node/main.ts', '--demo', ...(options.args ?? [])], {
    env: { ...process.env, PORT: '0', EDGE_RECS_DATA: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo server did not start in time:\n${log}`)), options.timeoutMs ?? 110_000);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      const match = /EdgeRecs demo: (http:\/\/\S+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo server exited with ${code}:\n${log}`));
    });
  });
  return {
    url,
    dataDir,
    output: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}
