/**
 * The admin's own journey through the dashboard session, in real Chromium with real keyboard and mouse,
 * against the Node server (`main.ts --trust-proxy 127.0.0.1`) behind nginx terminating TLS: sign in,
 * the browser keeps a Secure cookie, sign out with the page's button, and the cookie copied before the
 * sign-out opens nothing in another browser context.
 */
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.ts';
import { freePort } from '../support/free-port.ts';
import { startMainProcess, type MainProcess } from '../support/abuse/main-process.ts';
import { startNginxTls, type NginxTls } from '../support/abuse/nginx-tls.ts';

const TOKEN = 'abuse-chromium-admin-token-0123456789';
let node: MainProcess;
let nginx: NginxTls;
let browser: Browser;

beforeAll(async () => {
  const port = await freePort();
  node = await startMainProcess({ args: ['--admin-token', TOKEN, '--trust-proxy', '127.0.0.1'], port });
  nginx = await startNginxTls({ storeDir: `${node.dataDir}/store`, upstream: `127.0.0.1:${port}` });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await nginx?.stop();
  await node?.stop();
});

it('signs in over TLS with a Secure cookie, signs out with the button, and the old cookie opens nothing afterwards', async () => {
  // The certificate is self-signed for 127.0.0.1: trusted for this context only.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const thief = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    await page.goto(`${nginx.url}/dashboard`);
    await page.getByLabel('Admin token').click();
    await page.keyboard.type(TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Model versions' }).waitFor();
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'edge_recs_admin');
    expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict', path: '/dashboard' });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    expect((await context.cookies()).filter((c) => c.name === 'edge_recs_admin')).toEqual([]);

    // A copy of the cookie taken before the sign-out (another device, a stolen value) is refused.
    await thief.addCookies([cookie!]);
    const other = await thief.newPage();
    const res = await other.goto(`${nginx.url}/dashboard`);
    expect(res!.status()).toBe(401);
    await other.getByLabel('Admin token').waitFor();
    expect(await other.getByRole('heading', { name: 'Model versions' }).count()).toBe(0);
  } finally {
    await context.close();
    await thief.close();
  }
}, 60_000);
