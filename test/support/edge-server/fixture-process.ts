/**
 * Starts `federated-server.fixture.ts` (the Node edge server as production composes it, with a federation
 * on disk) in a child process, for the tests and benchmarks that SIGKILL a real server: the round store's
 * crash test and the reliability harness (`test/support/reliability/federated-server.ts`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('federated-server.fixture.ts', import.meta.url));

export interface FixtureServer {
  child: ChildProcess;
  url: string;
}

/** Resolves with the server's URL once it listens (its first JSON line on stdout). */
export function startFixtureServer(dir: string): Promise<FixtureServer> {
  // The parent's NODE_OPTIONS (e.g. vitest's loaders) must not leak into the child, which loads tsx itself.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir], { stdio: ['ignore', 'pipe', 'pipe'], env });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.once('exit', (code) => reject(new Error(`fixture server exited with ${code}: ${err}`)));
  });
}

/** SIGKILL, as a crash: no handler runs, nothing is flushed. Resolves once the process is gone. */
export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
