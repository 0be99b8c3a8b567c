/**
 * Headless Chromium whose background tabs are really hidden, for tests of what a page does while the
 * shopper is on another tab (`document.visibilityState`, `visibilitychange`).
 *
 * Pages Playwright opens itself are never hidden: it turns on focus emulation in each page
 * (`Emulation.setFocusEmulationEnabled`), which keeps the page visible whatever tab is in front. So this
 * starts Chromium itself and attaches over CDP with `noDefaults`, which leaves the browser's own context
 * as the browser runs it: bringing another tab to the front (`page.bringToFront()`) hides the others, and
 * bringing a tab back shows it, as a shopper switching tabs does. Nothing is faked in the page.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.ts';

export interface TabbedChromium {
  /** The browser's own context: one fresh profile, in a temporary directory. */
  context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Starts one browser with a fresh profile; `timeoutMs` bounds its start. */
export async function launchTabbedChromium(timeoutMs = 30_000): Promise<TabbedChromium> {
  const profile = await mkdtemp(join(tmpdir(), 'edge-recs-tabs-'));
  const child = spawn(CHROMIUM_PATH, ['--headless', ...CHROMIUM_ARGS, '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stopped = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await stopped;
    // Helper processes may still be writing to the profile for a moment.
    await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      let found = false;
      const timer = setTimeout(() => reject(new Error(`Chromium did not open its DevTools endpoint in ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
      // Read to the end, also after the endpoint: a full pipe would block the browser.
      child.stderr!.on('data', (chunk: Buffer) => {
        if (found) return;
        stderr += chunk.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
        if (!m) return;
        found = true;
        clearTimeout(timer);
        resolve(m[1]!);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Chromium exited with ${code} before it opened its DevTools endpoint:\n${stderr}`));
      });
    });
    const browser = await chromium.connectOverCDP(endpoint, { noDefaults: true });
    const context = browser.contexts()[0]!;
    return {
      context,
      async close() {
        // `close()` only disconnects from a browser it did not launch: the browser is asked to quit.
        await browser.newBrowserCDPSession().then((cdp) => cdp.send('Browser.close')).catch(() => undefined);
        await browser.close().catch(() => undefined);
        await stop();
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
