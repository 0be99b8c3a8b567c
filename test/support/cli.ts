/**
 * Child processes for tests, run for real: the `edge-recs` CLI through its bin script (as `npx edge-recs`
 * runs it in a checkout) and any other command, each to its end with its output collected.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root, where the CLI runs by default. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const EDGE_RECS_BIN = join(ROOT, 'model-export/bin/edge-recs.js');

export interface ProcessRun {
  /** The exit code; -1 where the process did not exit by itself (killed after `timeoutMs`, or it could not start). */
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Default: the checkout's root. */
  cwd?: string;
  /** Variables set for the child on top of `childEnv()`, e.g. `{ EDGE_RECS_TOKEN: token }`. */
  env?: Record<string, string>;
  /** Kills the child after this long. Default: no limit. */
  timeoutMs?: number;
}

/**
 * The environment of a child process: the test's own without vitest's `NODE_OPTIONS` (its loaders must
 * not leak into a child that loads the CLI or tsx itself) and without the caller's `EDGE_RECS_TOKEN` or
 * `EDGE_RECS_SERVER` (a test names its own server and token), then `extra`.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.EDGE_RECS_TOKEN;
  delete env.EDGE_RECS_SERVER;
  return { ...env, ...extra };
}

/** Runs `file args` to its end in `childEnv(options.env)`; never rejects (a failure is in `code` and `stderr`). */
export function runProcess(file: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessRun> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: options.cwd ?? ROOT, env: childEnv(options.env), timeout: options.timeoutMs ?? 0, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Runs `edge-recs args` with this Node (`nodeArgs` before the bin, e.g. `['--import', hook]`). */
export function runEdgeRecs(args: readonly string[], options: RunOptions & { nodeArgs?: readonly string[] } = {}): Promise<ProcessRun> {
  return runProcess(process.execPath, [...(options.nodeArgs ?? []), EDGE_RECS_BIN, ...args], options);
}
