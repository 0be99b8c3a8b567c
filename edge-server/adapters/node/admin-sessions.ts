/**
 * `AdminSessions` on Node: live dashboard sessions in `dir/sessions.json` (rewritten atomically on each
 * login and logout, which are rare), so a restart keeps admins signed in and keeps logged-out sessions
 * out; wrong-token counts in memory (`SESSION_LIMITS.attempts`), since one process serves a data
 * directory. The file holds session ids and expiries only: a cookie also needs the HMAC keyed by an
 * admin token, which is not stored here.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attemptLimiter, SessionTable, type AdminSessions } from '../../admin/sessions.ts';
import { writeFileAtomic } from './durable-file.ts';

/**
 * Opens (creating if needed) the sessions directory; expired sessions are dropped as it loads.
 * @example const adminSessions = await openDiskAdminSessions('.edge-recs/admin-sessions');
 */
export async function openDiskAdminSessions(dir: string): Promise<AdminSessions> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'sessions.json');
  let saved: unknown = [];
  try {
    saved = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${path} is not a sessions file (delete it to sign every admin out)`, { cause: err });
  }
  const entries = Array.isArray(saved) ? saved.filter((e): e is [string, number] => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number') : [];
  const table = new SessionTable(entries);
  // Writes one at a time, each of the table as it is then: the last write holds every change.
  let writing: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    writing = writing.catch(() => undefined).then(() => writeFileAtomic(path, JSON.stringify([...table.entries])));
    return writing;
  };
  return {
    async add(id, expires) {
      table.add(id, expires);
      await save();
    },
    async has(id) {
      return table.has(id);
    },
    async delete(id) {
      if (table.entries.delete(id)) await save();
    },
    ...attemptLimiter(),
  };
}
