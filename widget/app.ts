/**
 * The lazily loaded half of the widget (a chunk of its own, fetched by the loader after first paint): the
 * engine (catalog, on-device profile store, ranking, copy, analytics), `<edge-recs>` and
 * `<edge-recs-profile>`, with Lit and idb. tfjs and one backend load later still, from `runtime/`, once the
 * catalog is in.
 *
 * Nothing here is imported by the loader except as a type, so this chunk never imports the loader back:
 * the loader's URL is stable and short-cached while chunks are content-hashed and immutable.
 */
import { CSSResult } from 'lit';
import { EdgeRecsElement } from './element/element.ts';
import { Engine, type EngineOptions } from './engine/engine.ts';
import { readConfigBlocks } from './ranking/merchant.ts';
import { EdgeRecsProfileElement, openProfileDialog } from './element/profile-panel.ts';
import { yieldToPage } from './runtime/yield.ts';

/**
 * Starts the page's engine with the page's `<script data-edge-recs-config>` blocks and earlier
 * `configure()` calls, and defines the elements (in the next task), which upgrades every one already in the page.
 */
export function start(options: EngineOptions): Engine {
  const merchant = [...readConfigBlocks(document, options.warn), ...(options.merchant ?? [])];
  const engine = new Engine({ ...options, merchant });
  engine.openProfile = () => openProfileDialog(document, engine.config.locale);
  EdgeRecsElement.engine = engine;
  EdgeRecsProfileElement.engine = engine;
  // The elements' upgrade (a first render each) in tasks after the engine's start, one step per task: the
  // rows keep the space the loader reserved meanwhile, and no task is long.
  void yieldToPage()
    .then(() => {
      // The row's class finalized (reading `observedAttributes` does it) and its styles parsed into the
      // stylesheet every row adopts, before any row is upgraded.
      void EdgeRecsElement.observedAttributes;
      for (const style of EdgeRecsElement.elementStyles) if (style instanceof CSSResult) void style.styleSheet;
      return yieldToPage();
    })
    .then(() => {
      if (!customElements.get('edge-recs')) customElements.define('edge-recs', EdgeRecsElement);
      return yieldToPage();
    })
    .then(() => {
      if (!customElements.get('edge-recs-profile')) customElements.define('edge-recs-profile', EdgeRecsProfileElement);
    });
  return engine;
}
