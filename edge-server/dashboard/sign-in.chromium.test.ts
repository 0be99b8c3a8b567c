/**
 * The dashboard's sign-in as an admin takes it, in real Chromium: open a link to one model's dashboard,
 * type the token, press Enter, and land on that model's page (the real Hono app on loopback).
 */
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../test/support/chromium.ts';
import { listen, type Listening } from '../../test/support/listen.ts';
import { createApp } from '../app.ts';
import { createMemoryStorage } from '../memory-storage.ts';
import { publishArtifact } from '../registry.ts';
import { memoryWidget, signer, tinyArtifact } from '../test-support.ts';

const TOKEN = 'admin-token-0123456789abcdef';
let server: Listening;
let browser: Browser;

beforeAll(async () => {
  const storage = createMemoryStorage();
  const { key, trusted } = await signer();
  await publishArtifact(storage, await tinyArtifact(key, 'v7', 1, 'shop'), { trusted });
  server = await listen(createApp({ storage, trustedKeys: trusted, widget: memoryWidget({}), adminTokens: [TOKEN] }));
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('signing in from /dashboard?model=shop opens the dashboard of the model shop', async () => {
  const page = await browser.newPage();
  try {
    await page.goto(`${server.url}/dashboard?model=shop`);
    await page.getByLabel('Admin token').click();
    await page.keyboard.type(TOKEN);
    await page.keyboard.press('Enter');
    // The login form has no section headings; the dashboard opens with "Model versions".
    await page.getByRole('heading', { name: 'Model versions' }).waitFor();
    expect(page.url()).toBe(`${server.url}/dashboard?model=shop`);
    expect(await page.title()).toBe('EdgeRecs dashboard: shop');
    const body = await page.textContent('body');
    expect(body).toContain('v7');
    expect(body).not.toContain('is published yet');
  } finally {
    await page.close();
  }
});
