/**
 * `AdminSessions`: the one Durable Object (`SESSIONS.idFromName('admin')`) that keeps the deployment's
 * admin sign-in state, so every isolate in every location sees the same: live dashboard sessions in its
 * SQLite storage (a logout anywhere ends the session everywhere; sessions outlive isolates and
 * deploys) and wrong-token counts per source in its memory (`SESSION_LIMITS.attempts`; an evicted
 * Object starts them afresh, as a restarted Node server does). Kept apart from `admin-sessions.ts` so
 * Node code can import the Worker's store without `cloudflare:workers`.
 */
import { DurableObject } from 'cloudflare:workers';
import type { DurableObjectState } from '@cloudflare/workers-types/latest/index.ts';
import { attemptLimiter, SessionTable } from '../../admin/sessions.ts';

export class AdminSessions extends DurableObject<object> {
  #sql;
  #attempts = attemptLimiter();

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec('CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, expires INTEGER NOT NULL)');
  }

  /** Records a session; drops expired ones and, past `SESSION_LIMITS.sessions`, those closest to expiry. */
  addSession(id: string, expires: number): void {
    this.ctx.storage.transactionSync(() => {
      const rows = this.#sql.exec<{ id: string; expires: number }>('SELECT id, expires FROM sessions').toArray();
      const table = new SessionTable(rows.map((r) => [r.id, r.expires]));
      table.add(id, expires);
      const kept = new Set(table.entries.keys());
      for (const r of rows) if (!kept.has(r.id)) this.#sql.exec('DELETE FROM sessions WHERE id = ?', r.id);
      this.#sql.exec('INSERT OR REPLACE INTO sessions (id, expires) VALUES (?, ?)', id, expires);
    });
  }

  hasSession(id: string): boolean {
    const row = this.#sql.exec<{ expires: number }>('SELECT expires FROM sessions WHERE id = ?', id).toArray()[0];
    return row !== undefined && row.expires > Math.floor(Date.now() / 1000);
  }

  deleteSession(id: string): void {
    this.#sql.exec('DELETE FROM sessions WHERE id = ?', id);
  }

  attemptWait(source: string): Promise<number> {
    return this.#attempts.attemptWait(source);
  }

  attemptFailed(source: string): Promise<void> {
    return this.#attempts.attemptFailed(source);
  }
}
