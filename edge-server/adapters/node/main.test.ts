/**
 * The Node server's command line as a merchant meets it: `main.ts` run as a child process (through tsx,
 * as the README runs it), `--help` and the mistakes a person types.
 */
import { describe, expect, it } from 'vitest';
import { runProcess, type ProcessRun } from '../../../test/support/cli.ts';
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

describe('node main.ts command line', () => {
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
  ])('%j is a one-line usage error, exit code 2, no stack trace', { timeout: 60_000 }, async (args, message) => {
    const r = await server(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`edge-recs server: ${message}`);
    expect(r.stderr).toContain('--help');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
