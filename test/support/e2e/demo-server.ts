import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodeServer } from './edge-server.ts';

export interface DemoServer {
  url: string;
  dataDir: string;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Starts `npm start`'s server (`demo/main.ts`) as a real child process on a free port with a fresh data
 * directory, exactly as a merchant would run it, and resolves once it prints its URL. It serves the
 * widget and the demo's front-end as they were built when it started (`startNodeServer`).
 */
export async function startDemoServer(options: { dataDir?: string; timeoutMs?: number; /** More flags for main.ts, e.g. `['--suppress-below', '1']`. */ args?: string[] } = {}): Promise<DemoServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'edge-recs-e2e-')));
  const removeData = async (): Promise<void> => {
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
  };
  const server = await startNodeServer(options.args ?? [], {
    env: { PORT: '0', EDGE_RECS_DATA: dataDir },
    ready: /EdgeRecs demo: http:\/\/[^:/]+:(\d+)/,
    demo: true,
    timeoutMs: options.timeoutMs ?? 110_000,
  }).catch(async (e: unknown) => {
    await removeData();
    throw e;
  });
  return {
    url: `http://localhost:${server.port}/`,
    dataDir,
    output: server.output,
    async stop() {
      await server.stop();
      await removeData();
    },
  };
}

