/**
 * Event capture that runs in the loader, from the first moment: one delegated click listener for
 * `data-edge-recs-*` attributes and the GA4 `dataLayer` bridge. Both hand raw events to `report`; the engine
 * validates them when it has loaded. Nothing here may throw into the merchant's code.
 */
import { consentOf, fromAttributes, fromDataLayer, type ConsentSignal } from './translate.ts';
import type { EventOrigin } from './event-sources.ts';

export type Report = (name: unknown, params: unknown, source: EventOrigin) => void;

/**
 * One click listener on `document` for every element with `data-edge-recs-event`, present or added later.
 * Capture phase, so a shop script that stops propagation cannot hide the click; `composedPath()`, so
 * annotated elements inside open shadow roots count too. The innermost annotated element wins.
 * @returns a function that removes the listener.
 */
export function captureClicks(doc: Document, report: Report, warn: (m: string) => void): () => void {
  const onClick = (event: Event): void => {
    try {
      for (const node of event.composedPath()) {
        const el = node as Partial<Element>;
        if (typeof el.getAttribute !== 'function' || el.getAttribute('data-edge-recs-event') === null) continue;
        const { name, params } = fromAttributes(el as Element);
        report(name, params, 'attribute');
        return;
      }
    } catch (e) {
      if (__EDGE_RECS_DEV__) warn(`could not read a data-edge-recs-event click: ${String(e)}`);
    }
  };
  doc.addEventListener('click', onClick, true);
  return () => doc.removeEventListener('click', onClick, true);
}

/**
 * Bridges GA4 e-commerce pushes to the tracker with no merchant code: creates `window.dataLayer` if
 * missing, replays what was pushed before the loader ran, and wraps `dataLayer.push` so later pushes are
 * seen too. The wrapper calls the original push first and returns its result, and swallows its own
 * errors, so the merchant's tags (and a Tag Manager that wraps `push` again after us) work exactly as
 * before. Google Consent Mode commands (`gtag('consent', ...)`) in the same layer go to `onConsent`.
 * @returns a function that restores the previous `push` (if nobody wrapped ours since).
 */
export function bridgeDataLayer(win: Window, report: Report, warn: (m: string) => void, onConsent: (signal: ConsentSignal) => void = () => undefined): () => void {
  const host = win as Window & { dataLayer?: unknown };
  if (host.dataLayer === undefined) host.dataLayer = [];
  const layer = host.dataLayer;
  if (!Array.isArray(layer)) {
    if (__EDGE_RECS_DEV__) warn('window.dataLayer is not an array, so GA4 e-commerce pushes are not picked up');
    return () => undefined;
  }
  const forward = (entry: unknown): void => {
    try {
      const event = fromDataLayer(entry);
      if (event) report(event.name, event.params, 'datalayer');
      const consent = consentOf(entry);
      if (consent) onConsent(consent);
    } catch (e) {
      if (__EDGE_RECS_DEV__) warn(`could not read a dataLayer entry: ${String(e)}`);
    }
  };
  for (const entry of Array.from(layer as unknown[])) forward(entry);
  const previous = layer.push;
  const push = function (this: unknown, ...entries: unknown[]): number {
    const result = previous.apply(this, entries);
    for (const entry of entries) forward(entry);
    return result;
  };
  layer.push = push;
  return () => {
    if (layer.push === push) layer.push = previous;
  };
}

/**
 * Runs `task` once the page has painted and the main thread is idle, so the widget's code never competes
 * with the shop's first render. The timeouts keep a busy page, or a background tab (which gets no
 * animation frames), from postponing it for long.
 */
export function afterFirstPaint(win: Window, task: () => void): void {
  let started = false;
  const idle = (): void => {
    if (started) return;
    started = true;
    if (typeof win.requestIdleCallback === 'function') win.requestIdleCallback(task, { timeout: 2000 });
    else win.setTimeout(task, 50);
  };
  const painted = (): void => {
    // A task queued from an animation frame runs after that frame is painted.
    win.requestAnimationFrame(() => win.setTimeout(idle, 0));
    win.setTimeout(idle, 1000);
  };
  if (win.document.readyState === 'loading') win.document.addEventListener('DOMContentLoaded', painted, { once: true });
  else painted();
}
