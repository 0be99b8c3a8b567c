import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminAuth } from '../../admin/auth.ts';
import { openDiskAdminSessions } from './admin-sessions.ts';

const TOKEN = 'sessions-test-token-0123456789';

describe('openDiskAdminSessions', () => {
  it('keeps sessions and logouts on disk across a reopen (a Node restart)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-recs-sessions-'));
    try {
      const before = adminAuth([TOKEN], await openDiskAdminSessions(dir));
      const kept = await before.session(TOKEN);
      const ended = await before.session(TOKEN);
      await before.endSession(ended);
      const after = adminAuth([TOKEN], await openDiskAdminSessions(dir));
      expect(await after.checkSession(kept)).toBe(true);
      expect(await after.checkSession(ended)).toBe(false);
      // Ids and expiries only: nothing a cookie could be made from without the token.
      expect(await readFile(join(dir, 'sessions.json'), 'utf8')).not.toContain(kept);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

});
