/**
 * The script-tag loader, `dist/edge-recs.js`:
 *
 *   <script type="module" src="https://recs.example.com/widget/edge-recs.js" data-model="default"></script>
 *
 * Installs `window.edgeRecs` and starts capturing events at once; the engine and `<edge-recs>` load as a
 * lazy chunk after first paint, and tfjs with one backend after that. See `loader.ts`.
 */
import { startLoader, type EdgeRecsApi } from './loader/loader.ts';

export type { EdgeRecsApi } from './loader/loader.ts';

declare global {
  interface Window {
    edgeRecs?: EdgeRecsApi;
  }
}

/** The `<script>` that loaded this module (module scripts have no `document.currentScript`). */
function ownScript(): HTMLScriptElement | null {
  // The usual case first, without resolving every script's URL: the tag names this very URL.
  const exact = document.querySelector<HTMLScriptElement>(`script[src="${CSS.escape(import.meta.url)}"]`);
  if (exact) return exact;
  const scripts = Array.from(document.querySelectorAll<HTMLScriptElement>('script[src]'));
  return scripts.find((s) => s.src === import.meta.url) ?? scripts.find((s) => /\/edge-recs\.js(\?|#|$)/.test(s.src)) ?? null;
}

try {
  // A second copy of the loader on the page (two snippets, a tag manager adding one) must not double-count.
  if (!window.edgeRecs) window.edgeRecs = startLoader(window, ownScript()?.dataset ?? {}, import.meta.url);
} catch (e) {
  // The merchant's page must never see an exception from us.
  if (__EDGE_RECS_DEV__) console.warn('edge-recs: could not start', e);
}
