/**
 * The Node server's command line as a merchant meets it: `main.ts` run as a child process (through tsx,
 * as the README runs it), `--help` and the mistakes a person types.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKeyFile } from '../../../core/artifact/signing.ts';
import { childEnv, ROOT, runProcess, type ProcessRun } from '../../../test/support/cli.ts';
import { SERVER_ENVIRONMENT, SERVER_OPTIONS, USAGE } from './args.ts';

const server = (args: string[]): Promise<ProcessRun> => runProcess(process.execPath, ['--import', 'tsx', 'edge-server/adapters/node/main.ts', ...args]);

/** The help's entries: `--flag ARG   text…` or `NAME   text…`, each with its continuation lines. */
function entries(help: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | undefined;
  for (const line of help.split('\n')) {
    const head = /^ {2}(?:-h, )?(--[\w-]+|[A-Z][A-Z_]+)\b/.exec(line);
    if (head) out.set((current = head[1]!), line);
    else if (current && /^ {10,}\S/.test(line)) out.set(current, `${out.get(current)!} ${line.trim()}`);
    else current = undefined;
  }
  return out;
}

/**
 * Starts main.ts with `args` on a free port and an empty data directory, runs `body` with the URL it
 * prints, then stops it (SIGTERM) and removes the directory.
 */
async function running(args: string[], body: (url: string) => Promise<void>): Promise<void> {
  const data = await mkdtemp(join(tmpdir(), 'edge-recs-main-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'edge-server/adapters/node/main.ts', ...args], { cwd: ROOT, env: childEnv({ PORT: '0', EDGE_RECS_DATA: data }), stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /EdgeRecs edge server: (\S+)\n/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.once('exit', (code) => reject(new Error(`main.ts exited with ${code}: ${err}`)));
    });
    await body(url);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await rm(data, { recursive: true, force: true });
  }
}

/** Whether a TCP connection to `host:port` is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** An address of this machine other than 127.0.0.1: its first outward IPv4, else another loopback address. */
const otherAddress = Object.values(networkInterfaces()).flat().find((a) => a?.family === 'IPv4' && !a.internal)?.address ?? '127.0.0.2';

describe('node main.ts command line', () => {
  it('listens on every interface by default, and only on --host when given', { timeout: 90_000 }, async () => {
    await running([], async (url) => {
      const port = Number(new URL(url).port);
      expect(url).toBe(`http://localhost:${port}/`);
      expect(await accepts('127.0.0.1', port)).toBe(true);
      expect(await accepts(otherAddress, port)).toBe(true);
    });
    await running(['--host', '127.0.0.1'], async (url) => {
      const port = Number(new URL(url).port);
      expect(url).toBe(`http://127.0.0.1:${port}/`);
      expect((await fetch(`${url}healthz`)).status).toBe(200);
      expect(await accepts(otherAddress, port)).toBe(false);
    });
  });

  it('points the nginx front at the --host Node listens on', { timeout: 60_000 }, async () => {
    const [all, loopback] = await Promise.all([
      runProcess(process.execPath, ['--import', 'tsx', 'edge-server/adapters/node/main.ts', '--nginx-config'], { env: { PORT: '8790' } }),
      runProcess(process.execPath, ['--import', 'tsx', 'edge-server/adapters/node/main.ts', '--nginx-config', '--host', '::1'], { env: { PORT: '8790' } }),
    ]);
    expect(all.stdout).toMatch(/server 127\.0\.0\.1:8790\b/);
    expect(loopback.stdout).toMatch(/server \[::1\]:8790\b/);
  });

  it('lists every flag and environment variable with its default', () => {
    const listed = entries(USAGE);
    const expected = [...Object.keys(SERVER_OPTIONS).map((name) => `--${name}`), ...SERVER_ENVIRONMENT];
    expect([...listed.keys()].sort()).toEqual(expected.sort());
    for (const [name, text] of listed) if (name !== '--help') expect(text, name).toMatch(/\(default: [^)]+\)/);
    expect(listed.get('--suppress-below')).toContain('(default: 10)');
    expect(listed.get('PORT')).toContain('(default: 8787)');
  });

  it('--help prints the usage and exits 0 without starting', { timeout: 60_000 }, async () => {
    for (const flag of ['--help', '-h']) {
      const r = await server([flag]);
      expect(r).toEqual({ code: 0, stdout: USAGE, stderr: '' });
    }
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--allow-origin'], "Option '--allow-origin <value>' argument missing"],
    [['serve'], "Unexpected argument 'serve'"],
    [['--suppress-below', '0'], '--suppress-below must be a whole number of at least 1 (got "0")'],
    [['--suppress-below', '2.5'], '--suppress-below must be a whole number of at least 1 (got "2.5")'],
    [['--host', 'http://127.0.0.1:8787'], '--host must be an IP address or a host name, e.g. 127.0.0.1, ::1 or localhost (got "http://127.0.0.1:8787")'],
    [['--demo'], "Unknown option '--demo'"],
  ])('%j is a one-line usage error, exit code 2, no stack trace', { timeout: 60_000 }, async (args, message) => {
    const r = await server(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`edge-recs server: ${message}`);
    expect(r.stderr).toContain('--help');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a bad --trusted-key or --federation-key file in one line naming the file and the field, exit code 1', { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-recs-main-keys-'));
    try {
      const key = await generateKeyFile();
      const file = async (name: string, text: string): Promise<string> => {
        await writeFile(join(dir, name), text);
        return join(dir, name);
      };
      const cases: [string[], string][] = [
        [['--trusted-key', await file('cast.pub.json', JSON.stringify({ keyId: key.keyId }))], 'cast.pub.json: publicKey must be a base64 raw Ed25519 public key (32 bytes)'],
        [['--trusted-key', await file('text.pub.json', 'not json')], 'text.pub.json: not JSON'],
        [['--trusted-key', join(dir, 'missing.pub.json')], 'missing.pub.json: not found'],
        [['--federation-key', await file('public.json', JSON.stringify({ alg: 'Ed25519', keyId: key.keyId, publicKey: key.publicKey }))], 'public.json: holds no private key'],
      ];
      for (const [args, message] of cases) {
        const r = await runProcess(process.execPath, ['--import', 'tsx', 'edge-server/adapters/node/main.ts', ...args], { env: { PORT: '0', EDGE_RECS_DATA: join(dir, 'data') } });
        expect(r.code, r.stderr).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
        expect(r.stderr).toContain(message);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
