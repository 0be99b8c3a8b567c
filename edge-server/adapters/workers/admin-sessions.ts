/** The Worker's `AdminSessions`: every call goes to the deployment's one `AdminSessions` Durable Object. */
import type { DurableObjectNamespace } from '@cloudflare/workers-types/latest/index.ts';
import type { AdminSessions } from '../../admin/sessions.ts';
import type { AdminSessions as AdminSessionsObject } from './admin-sessions-object.ts';

export function durableAdminSessions(namespace: DurableObjectNamespace<AdminSessionsObject>): AdminSessions {
  const one = () => namespace.get(namespace.idFromName('admin'));
  return {
    async add(id, expires) {
      await one().addSession(id, expires);
    },
    async has(id) {
      return one().hasSession(id);
    },
    async delete(id) {
      await one().deleteSession(id);
    },
    async attemptWait(source) {
      return one().attemptWait(source);
    },
    async attemptFailed(source) {
      await one().attemptFailed(source);
    },
  };
}
