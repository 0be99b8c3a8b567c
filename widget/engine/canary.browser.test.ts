/**
 * The session's canary bucket against the real edge server's canary (`PUT /v1/admin/models/default/canary`,
 * `test/support/browser/edge-server.ts` publishes `v2` beside the current `v1`), production build in real
 * Chromium: one bucket per session, sent with every manifest request, so a shopper stays on one version;
 * kept in `sessionStorage` only where storing is allowed, in memory otherwise.
 */
import { deepEqual, equal, ok } from '../../test/support/browser/assert.ts';
import { afterEach, beforeEach, describe, it } from '../../test/support/browser/mocha.ts';
import { ADMIN_TOKEN } from '../../test/support/browser/shop-fixture.ts';
import { deleteDb, NO_WORKERS, openShop, until, type ShopFrame, type ShopOptions } from '../../test/support/browser/shop-frame.ts';

const KEY = 'edge-recs:canary-bucket';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

async function canary(percent: number): Promise<void> {
  const res = await fetch('/v1/admin/models/default/canary', { method: 'PUT', headers: admin, body: JSON.stringify({ version: 'v2', percent }) });
  equal(res.status, 200, `PUT canary ${percent}%: ${await res.clone().text()}`);
}

/** Records the `?bucket=` of every manifest request the page makes (they still reach the server). */
const RECORD_BUCKETS = `<script>
  window.__buckets = [];
  const f = window.fetch;
  window.fetch = function (input, init) {
    if (String(input).includes('/manifest')) window.__buckets.push(new URL(String(input), location.href).searchParams.get('bucket'));
    return f.apply(this, arguments);
  };
</script>`;

describe('canary bucket, production build', () => {
  const frames: ShopFrame[] = [];
  const open = async (options: Omit<ShopOptions, 'build'> = {}): Promise<ShopFrame> => {
    const s = await openShop({ build: 'prod', ...options, before: NO_WORKERS + RECORD_BUCKETS + (options.before ?? '') });
    frames.push(s);
    await s.api.ready();
    await until(() => s.api.state.status !== 'loading', 'the model never finished loading');
    equal(s.api.state.status, 'ready', `model state (${JSON.stringify(s.api.state)})`);
    return s;
  };
  const buckets = (s: ShopFrame): Array<string | null> => (s.win as unknown as { __buckets: Array<string | null> }).__buckets;

  beforeEach(async () => {
    await deleteDb();
    sessionStorage.clear();
  });

  afterEach(async () => {
    for (const s of frames.splice(0)) s.close();
    const res = await fetch('/v1/admin/models/default/canary', { method: 'DELETE', headers: admin });
    equal(res.status < 300, true, 'canary ended');
    sessionStorage.clear();
    await deleteDb();
  });

  it('draws one bucket per session, sends it with every manifest request, and stays on one version from page to page', async () => {
    await canary(50);
    const first = await open();
    const kept = sessionStorage.getItem(KEY);
    ok(kept !== null && /^\d{1,2}$/.test(kept), `a bucket 0-99 kept for the session (got ${kept})`);
    deepEqual(buckets(first), [kept], 'the manifest request carried the bucket');
    const version = Number(kept) < 50 ? 'v2' : 'v1';
    equal(first.api.state.modelVersion, version, `bucket ${kept} of a 50% canary`);
    for (let page = 0; page < 3; page++) {
      const next = await open();
      deepEqual(buckets(next), [kept], `page ${page + 2}: the same bucket`);
      equal(next.api.state.modelVersion, version, `page ${page + 2}: the same version`);
    }
  });

  it('serves the canary to buckets below its percentage and the current version to the rest', async () => {
    await canary(30);
    sessionStorage.setItem(KEY, '29');
    equal((await open()).api.state.modelVersion, 'v2', 'bucket 29 of a 30% canary');
    sessionStorage.setItem(KEY, '30');
    equal((await open()).api.state.modelVersion, 'v1', 'bucket 30 of a 30% canary');
  });

  it('keeps the bucket in memory, still sent, where sessionStorage throws, and stores nothing before consent', async () => {
    const denied = `<script>Object.defineProperty(window, 'sessionStorage', { get() { throw new DOMException('denied', 'SecurityError'); } });</script>`;
    const blocked = await open({ before: denied });
    equal(buckets(blocked).length, 1, 'one manifest request');
    ok(/^\d{1,2}$/.test(buckets(blocked)[0] ?? ''), `a bucket was sent (got ${buckets(blocked)[0]})`);
    deepEqual(blocked.errors, [], 'page errors');

    const required = await open({ attrs: { 'data-consent': 'required' } });
    ok(/^\d{1,2}$/.test(buckets(required)[0] ?? ''), `a bucket was sent before consent (got ${buckets(required)[0]})`);
    equal(sessionStorage.getItem(KEY), null, 'nothing kept in sessionStorage before consent');
  });

  it('forget() removes the kept bucket', async () => {
    const s = await open();
    ok(sessionStorage.getItem(KEY) !== null, 'kept');
    await s.api.forget();
    equal(sessionStorage.getItem(KEY), null, 'removed by forget()');
  });
});
