/**
 * The script-tag loader as merchants use it, in real Chromium, against the real edge server (see
 * `test/support/browser/edge-server.ts`): each test opens a shop page whose `<head>` holds the widget's
 * script tag, and checks what reaches IndexedDB and what the `<edge-recs>` elements render. Every test
 * runs twice: on the production build (`dist/edge-recs.js`, what `npm run build` ships, with no
 * development warnings) and on a development build (with them).
 */
import { deepEqual, equal, ok } from '../../test/support/browser/assert.ts';
import { afterEach, beforeEach, describe, it } from '../../test/support/browser/mocha.ts';
import {
  BUILDS,
  brief,
  cardIds,
  dbExists,
  deleteDb,
  nextRender,
  openShop,
  storedAtLeast,
  storedEvents,
  until,
  type ShopFrame,
  type ShopOptions,
} from '../../test/support/browser/shop-frame.ts';
import { OUT_OF_STOCK } from '../../test/support/browser/shop-fixture.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const build of BUILDS) {
  describe(`loader, ${build} build`, () => {
    let shop: ShopFrame | undefined;
    const open = async (options: Omit<ShopOptions, 'build'> = {}): Promise<ShopFrame> => (shop = await openShop({ build, ...options }));
    /** The engine has loaded and the model has either started or failed: no background re-render is still due. */
    const settled = async (s: ShopFrame): Promise<void> => {
      await s.api.ready();
      await until(() => s.api.state.status !== 'loading', 'the model never finished loading');
    };
    const element = (s: ShopFrame, attrs: Record<string, string>): HTMLElement => {
      const el = s.doc.createElement('edge-recs');
      for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
      return el;
    };

    beforeEach(async () => {
      await deleteDb();
      sessionStorage.clear();
    });

    afterEach(async () => {
      shop?.close();
      shop = undefined;
      sessionStorage.clear();
      await deleteDb();
    });

    it('queues track() calls made before the engine has loaded and stores them once it has', async () => {
      const s = await open({
        after: `<script type="module">
          window.__stateAtCall = edgeRecs.state.status;
          window.__chunksAtCall = performance.getEntriesByType('resource').filter((e) => e.name.includes('/chunks/app-')).length;
          edgeRecs.track('view_item', { items: [{ item_id: 'p03' }] });
        </script>`,
      });
      const at = s.win as unknown as { __stateAtCall: string; __chunksAtCall: number };
      equal(at.__stateAtCall, 'loading', 'engine state when the page called track()');
      equal(at.__chunksAtCall, 0, 'engine chunks fetched before first paint');
      ok(Array.isArray(s.win.dataLayer), 'the loader creates window.dataLayer when the page has none');
      await s.api.ready();
      deepEqual(brief(await storedAtLeast(1, 'the queued event never reached IndexedDB')), ['view_item:p03'], 'stored events');
      deepEqual(s.errors, [], 'page errors');
    });

    it('stores track() events in IndexedDB, and forget() erases them', async () => {
      const s = await open();
      await s.api.ready();
      s.api.track('add_to_cart', { items: [{ item_id: 'p05', price: 15, quantity: 2, item_category: 'Beauty > Hair' }] });
      const events = await storedAtLeast(1, 'track() never reached IndexedDB');
      deepEqual(events.map((e) => [e.name, e.items]), [['add_to_cart', [{ item_id: 'p05', item_category: 'Beauty > Hair', price: 15, quantity: 2 }]]], 'stored event');
      await s.api.forget();
      deepEqual(await storedEvents(), [], 'events after forget()');
    });

    it('records clicks on data-edge-recs-* elements through one delegated listener, inside shadow roots too', async () => {
      const s = await open({
        body: `<a href="#p02" data-edge-recs-event="select_item" data-edge-recs-item-id="p02" data-edge-recs-price="12.50"
          data-edge-recs-category="Beauty > Hair"><span id="inner">Product 2</span></a><div id="host"></div>`,
      });
      const root = s.doc.getElementById('host')!.attachShadow({ mode: 'open' });
      root.innerHTML = `<button data-edge-recs-event="add_to_cart" data-edge-recs-item-id="p04" data-edge-recs-quantity="2"><b>Add</b></button>`;
      // Before the engine has loaded: the clicks are queued.
      s.doc.getElementById('inner')!.click();
      root.querySelector('b')!.click();
      await s.api.ready();
      const events = await storedAtLeast(2, 'both clicks stored');
      deepEqual(
        events.map((e) => [e.name, e.items]),
        [
          ['select_item', [{ item_id: 'p02', item_category: 'Beauty > Hair', price: 12.5 }]],
          ['add_to_cart', [{ item_id: 'p04', quantity: 2 }]],
        ],
        'stored events',
      );
      deepEqual(s.errors, [], 'page errors');
    });

    it('bridges GA4 dataLayer pushes made before and after the loader, and the merchant\'s own push keeps working', async () => {
      const s = await open({
        // gtag.js pushes `arguments`; then a tag manager wraps push, as GTM does, before the widget loads.
        before: `<script>
          window.dataLayer = window.dataLayer || [];
          function gtag() { dataLayer.push(arguments); }
          gtag('event', 'view_item', { currency: 'EUR', items: [{ item_id: 'p01', item_name: 'Product 1', price: '11.00' }] });
          gtag('event', 'begin_checkout', { items: [{ item_id: 'p01' }] });
          window.__merchantSeen = [];
          const push = dataLayer.push;
          dataLayer.push = function (...entries) { window.__merchantSeen.push(...entries); return push.apply(this, entries); };
        </script>`,
      });
      const layer = s.win.dataLayer!;
      const seen = (s.win as unknown as { __merchantSeen: unknown[] }).__merchantSeen;
      const before = layer.length;
      equal(layer.push({ ecommerce: null }), before + 1, "push's return value (the new length)");
      layer.push({ event: 'add_to_cart', ecommerce: { currency: 'EUR', value: 26, items: [{ item_id: 'p06', price: 13, quantity: '2' }] } });
      layer.push({ event: 'page_view' });
      // An entry that throws when read must not reach the merchant's code as our exception.
      layer.push({
        get event(): string {
          throw new Error('hostile getter');
        },
      });
      equal(seen.length, 4, "pushes the merchant's own wrapper saw");
      equal(layer.length, before + 4, 'dataLayer length');
      await s.api.ready();
      const events = await until(async () => ((await storedEvents()).length >= 2 ? storedEvents() : undefined), 'dataLayer events stored');
      await sleep(200);
      deepEqual(
        (await storedEvents()).map((e) => [e.name, e.items]),
        [
          ['view_item', [{ item_id: 'p01', price: 11 }]],
          ['add_to_cart', [{ item_id: 'p06', price: 13, quantity: 2 }]],
        ],
        'stored events',
      );
      equal(events.length, 2, 'stored event count');
      deepEqual(s.errors, [], 'page errors');
    });

    it('drops invalid events from every source without throwing, warning only in development builds', async () => {
      const s = await open({ body: `<button id="bad" data-edge-recs-event="add-to-cart" data-edge-recs-item-id="p01">Add</button>` });
      s.api.track('bogus', { items: [{ item_id: 'p01' }] });
      s.api.track('view_item', { items: [] });
      s.api.track('add_to_cart', { items: [{ item_id: 'p01', price: -1 }] });
      (s.api.track as (...args: unknown[]) => void)();
      s.doc.getElementById('bad')!.click();
      s.win.dataLayer!.push({ event: 'add_to_cart', ecommerce: { items: [{ item_name: 'no id' }] } });
      s.api.track('view_item', { items: [{ item_id: 'p07' }] });
      await s.api.ready();
      await storedAtLeast(1, 'the valid event was stored');
      await sleep(100);
      deepEqual(brief(await storedEvents()), ['view_item:p07'], 'stored events');
      deepEqual(s.errors, [], 'page errors');
      const warnings = s.warnings.join('\n');
      if (build === 'prod') {
        deepEqual(s.warnings, [], 'production builds warn about nothing');
      } else {
        for (const expected of [
          'edgeRecs.track("bogus") dropped: event name must be one of view_item',
          'edgeRecs.track("view_item") dropped: view_item: params.items must hold 1-200 items',
          'add_to_cart.items[0].price must be a non-negative number (got -1)',
          'edgeRecs.track("undefined") dropped',
          'data-edge-recs-event="add-to-cart" dropped: event name must be one of',
          'dataLayer event "add_to_cart" dropped: add_to_cart.items[0].item_id must be 1-128 characters after trimming (inner whitespace counts as one space), without control, format or private-use characters (got undefined)',
        ]) {
          ok(warnings.includes(expected), `a warning containing ${JSON.stringify(expected)}; got:\n${warnings}`);
        }
      }
    });

    it('stores one action reported through two sources once, and repeats from one source each time', async () => {
      const s = await open({
        // The shop reports the add itself too, as many do: a data attribute and a GA4 push for one click.
        body: `<button id="add" data-edge-recs-event="add_to_cart" data-edge-recs-item-id="p08"
          onclick="dataLayer.push({ event: 'add_to_cart', ecommerce: { items: [{ item_id: 'p08', quantity: 1 }] } })">Add</button>`,
      });
      await s.api.ready();
      s.win.dataLayer!.push({ event: 'view_item', ecommerce: { items: [{ item_id: 'p08' }] } });
      s.api.track('view_item', { items: [{ item_id: 'p08' }] });
      s.doc.getElementById('add')!.click();
      s.doc.getElementById('add')!.click();
      await until(async () => (await storedEvents()).length >= 3, 'events stored');
      await sleep(200);
      deepEqual(brief(await storedEvents()), ['view_item:p08', 'add_to_cart:p08', 'add_to_cart:p08'], 'stored events');
    });

    it('renders <edge-recs> elements added after load, and re-renders when item-id, count or placement change', async () => {
      const s = await open();
      await settled(s);
      equal(s.api.state.status, 'ready', `model state (${JSON.stringify(s.api.state)})`);
      const el = element(s, { placement: 'similar', 'item-id': 'p01', count: '3' });
      let rendered = nextRender(el);
      s.doc.body.append(el);
      let ids = await rendered;
      equal(ids.length, 3, 'cards');
      equal(el.getAttribute('state'), 'ready', 'state of a row ranked by the model');
      ok(!ids.includes('p01') && !ids.includes(OUT_OF_STOCK), `never the current or an out-of-stock item (got ${ids.join(', ')})`);
      deepEqual(cardIds(el), ids, 'cards in the shadow DOM');

      rendered = nextRender(el);
      el.setAttribute('item-id', 'p02');
      ids = await rendered;
      ok(!ids.includes('p02') && ids.length === 3, `re-ranked for item p02 (got ${ids.join(', ')})`);

      rendered = nextRender(el);
      el.setAttribute('count', '5');
      equal((await rendered).length, 5, 'cards after count="5"');

      rendered = nextRender(el);
      el.setAttribute('placement', 'trending');
      // Until the server publishes aggregates, trending is the catalog's order, minus the current item.
      deepEqual(await rendered, ['p01', 'p03', 'p04', 'p05', 'p06'], 'trending cards');
      equal(el.getAttribute('state'), 'fallback', 'state of a catalog-order row');
      deepEqual(s.errors, [], 'page errors');
    });

    it('with data-consent="required" writes nothing to IndexedDB until consent(), then keeps what came before', async () => {
      const s = await open({ attrs: { 'data-consent': 'required' } });
      s.api.track('view_item', { items: [{ item_id: 'p02' }] });
      await settled(s);
      s.api.track('add_to_cart', { items: [{ item_id: 'p03' }] });
      deepEqual(brief(await s.api.events()), ['view_item:p02', 'add_to_cart:p03'], 'events held in memory');
      await sleep(200);
      equal(await dbExists(), false, 'IndexedDB database exists before consent');
      await s.api.consent();
      deepEqual(brief(await storedEvents()), ['view_item:p02', 'add_to_cart:p03'], 'stored after consent');
      s.api.track('view_item', { items: [{ item_id: 'p04' }] });
      await until(async () => (await storedEvents()).length === 3, 'an event after consent is stored');
    });

    it('shows recently viewed items newest first, each once, without the current item', async () => {
      const s = await open();
      await settled(s);
      const empty = element(s, { placement: 'recently-viewed' });
      const first = nextRender(empty);
      s.doc.body.append(empty);
      deepEqual(await first, [], 'no history, no cards (never filled with items the shopper did not view)');
      equal(empty.getAttribute('state'), 'empty', 'state with no history');

      const t = Date.now() - 10_000;
      s.api.track('view_item', { ts: t, items: [{ item_id: 'p01' }] });
      s.api.track('view_item', { ts: t + 1, items: [{ item_id: 'p02' }] });
      s.api.track('view_item', { ts: t + 2, items: [{ item_id: 'p03' }] });
      s.api.track('add_to_cart', { ts: t + 3, items: [{ item_id: 'p04' }] });
      s.api.track('view_item', { ts: t + 4, items: [{ item_id: 'p02' }] });
      await until(async () => (await storedEvents()).length === 5, 'views stored');
      const onProduct = element(s, { placement: 'recently-viewed', 'item-id': 'p03' });
      const rendered = nextRender(onProduct);
      s.doc.body.append(onProduct);
      deepEqual(await rendered, ['p02', 'p01'], 'recently viewed on the page of p03');
      equal(onProduct.getAttribute('state'), 'ready', 'state');
      await until(() => cardIds(empty).join() === 'p02,p03,p01', 'the row without item-id follows every new view');
    });

    it('refreshes on route changes (pushState, popstate) without patching history, and stops once removed', async () => {
      const s = await open();
      await settled(s);
      const pushState = s.win.history.pushState;
      // Count the popstate listeners the element holds on the shop's window.
      const popstate = new Set<unknown>();
      const { addEventListener: add, removeEventListener: remove } = s.win;
      s.win.addEventListener = function (this: Window, ...args: Parameters<Window['addEventListener']>) {
        if (args[0] === 'popstate') popstate.add(args[1]);
        add.apply(this, args);
      } as Window['addEventListener'];
      s.win.removeEventListener = function (this: Window, ...args: Parameters<Window['removeEventListener']>) {
        if (args[0] === 'popstate') popstate.delete(args[1]);
        remove.apply(this, args);
      } as Window['removeEventListener'];
      const el = element(s, { placement: 'for-you', count: '4' });
      let rendered = nextRender(el);
      s.doc.body.append(el);
      await rendered;
      equal(popstate.size, 1, 'popstate listeners while the element is in the page');

      rendered = nextRender(el);
      s.win.history.pushState({}, '', '#route-2');
      await rendered;
      rendered = nextRender(el);
      s.win.history.back();
      await rendered;
      equal(s.win.history.pushState, pushState, 'history.pushState is not wrapped');

      rendered = nextRender(el);
      s.api.refresh();
      await rendered;

      el.remove();
      equal(popstate.size, 0, 'popstate listeners after the element was removed');
      let after = 0;
      el.addEventListener('edge-recs:render', () => after++);
      const other = element(s, { placement: 'for-you', count: '4' });
      const otherFirst = nextRender(other);
      s.doc.body.append(other);
      await otherFirst;
      const otherAgain = nextRender(other);
      s.api.track('view_item', { items: [{ item_id: 'p05' }] });
      s.win.history.pushState({}, '', '#route-3');
      s.win.dispatchEvent(new PopStateEvent('popstate'));
      s.api.refresh();
      await otherAgain;
      await sleep(200);
      equal(after, 0, 'renders of a removed element');
    });

    it('hands events still queued at pagehide to the next page of the tab', async () => {
      // A product link clicked at once: the page goes away before the engine has loaded. The pagehide is
      // dispatched in the same task as the click, so the engine cannot have loaded in between.
      const first = await open({
        after: `<script type="module">
          edgeRecs.track('select_item', { items: [{ item_id: 'p09' }] });
          dispatchEvent(new PageTransitionEvent('pagehide'));
          window.__handedOff = sessionStorage.getItem('edge-recs:queued');
        </script>`,
      });
      ok((first.win as unknown as { __handedOff: string | null }).__handedOff?.includes('p09'), 'the queued event was handed to sessionStorage');
      first.close();
      const next = await open();
      await next.api.ready();
      deepEqual(brief(await storedAtLeast(1, 'the handed-off event was stored')), ['select_item:p09'], 'stored events');
      equal(sessionStorage.getItem('edge-recs:queued'), null, 'the hand-off is consumed');
    });

    it('reads the script tag attributes, using the default for each invalid one and warning only in development builds', async () => {
      const s = await open({
        attrs: {
          'data-server': 'ftp://recs.example',
          'data-model': 'Bad Name',
          'data-locale': 'not a locale!',
          'data-consent': 'maybe',
          'data-public-key': 'not-a-key',
          'data-backend': 'tpu',
        },
      });
      const { config } = s.api;
      equal(config.server, location.origin, 'server');
      equal(config.model, 'default', 'model');
      equal(config.locale, Intl.getCanonicalLocales(navigator.language)[0], 'locale (the browser language)');
      equal(config.consent, 'required', 'consent (an unknown value fails closed)');
      deepEqual(config.trusted, [], 'trusted keys');
      equal(config.backend, undefined, 'backend');
      deepEqual(s.errors, [], 'page errors');
      if (build === 'prod') {
        deepEqual(s.warnings, [], 'production builds warn about nothing');
      } else {
        for (const [attr, choices] of [
          ['data-server', 'http(s) URL'],
          ['data-model', 'must match'],
          ['data-locale', 'BCP 47'],
          ['data-consent', 'granted, required'],
          ['data-public-key', 'keyId:base64'],
          ['data-backend', 'webgpu, webgl, wasm, cpu'],
        ] as const) {
          ok(
            s.warnings.some((w) => w.includes(attr) && w.includes(choices)),
            `a warning naming ${attr} and its valid values (${choices}); got:\n${s.warnings.join('\n')}`,
          );
        }
      }
    });

    it('accepts valid script tag attributes', async () => {
      const key = `0123456789abcdef:${btoa(String.fromCharCode(...new Uint8Array(32).fill(7)))}`;
      const s = await open({
        attrs: { 'data-server': `${location.origin}/`, 'data-model': 'default', 'data-locale': 'de-de', 'data-consent': 'granted', 'data-backend': 'cpu', 'data-public-key': key },
      });
      const { config } = s.api;
      equal(config.server, location.origin, 'server, trailing slash removed');
      equal(config.locale, 'de-DE', 'locale, canonicalized');
      equal(config.consent, 'granted', 'consent');
      equal(config.backend, 'cpu', 'backend');
      deepEqual(config.trusted, [{ keyId: key.split(':')[0], publicKey: key.split(':')[1] }], 'trusted keys');
      ok(!s.warnings.some((w) => w.includes('data-')), `no attribute warnings; got:\n${s.warnings.join('\n')}`);
    });
  });
}
