/**
 * The lazily loaded half of the widget (a chunk of its own, fetched by the loader after first paint): the
 * engine (catalog, on-device profile store, ranking) and the `<edge-recs>` element, with Lit and idb.
 * tfjs and one backend load later still, from `runtime/`, once the catalog is in.
 *
 * Nothing here is imported by the loader except as a type, so this chunk never imports the loader back:
 * the loader's URL is stable and short-cached while chunks are content-hashed and immutable.
 */
import { EdgeRecsElement } from './element.ts';
import { Engine, type EngineOptions } from './engine.ts';

/** Starts the page's engine and defines `<edge-recs>`, which upgrades every element already in the page. */
export function start(options: EngineOptions): Engine {
  const engine = new Engine(options);
  EdgeRecsElement.engine = engine;
  if (!customElements.get('edge-recs')) customElements.define('edge-recs', EdgeRecsElement);
  return engine;
}
