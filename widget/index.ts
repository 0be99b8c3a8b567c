/**
 * The script-tag loader (`dist/edge-recs.js`): reads its `data-*` settings, installs `window.edgeRecs` and
 * defines `<edge-recs>`. tfjs, a backend and the model load lazily from here, after first paint.
 */
import type { ShopEvent } from '../core/events.ts';
import { readConfig } from './config.ts';
import { EdgeRecsElement } from './element.ts';
import { Engine } from './engine.ts';

/** The page API: `window.edgeRecs`. */
export interface EdgeRecsApi {
  /** Records a GA4 e-commerce event (`view_item`, `add_to_cart`, ...) on this device and re-ranks. */
  track(name: string, params: unknown): void;
  /** Events stored on this device, oldest first. */
  events(): Promise<ShopEvent[]>;
  /** Erases everything EdgeRecs stored on this device. */
  forget(): Promise<void>;
  /** Backend, model version and status. */
  readonly state: Engine['state'];
}

declare global {
  interface Window {
    edgeRecs?: EdgeRecsApi;
  }
}

function install(): void {
  if (window.edgeRecs || customElements.get('edge-recs')) return;
  const warn = (m: string): void => console.warn(`edge-recs: ${m}`);
  const script = document.querySelector<HTMLScriptElement>('script[src*="edge-recs"][data-server], script[src*="edge-recs.js"]');
  const engine = new Engine(readConfig(script, import.meta.url, warn), warn);
  window.edgeRecs = {
    track: (name, params) => void engine.track(name, params).catch(warn),
    events: () => engine.events(),
    forget: () => engine.forget(),
    get state() {
      return engine.state;
    },
  };
  EdgeRecsElement.engine = engine;
  customElements.define('edge-recs', EdgeRecsElement);
}

try {
  install();
} catch (e) {
  // The merchant's page must never see an exception from us.
  console.warn('edge-recs: could not start', e);
}
