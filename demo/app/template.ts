/**
 * The demo shop's one HTML page: a single-page app, so every shop route serves it and `index.ts` renders
 * the route. It lives in a module rather than an `.html` file so that the Node server (under tsx) and the
 * tests both read it with a plain import, with no loader for `?raw` imports.
 *
 * The CSS is inline so the first paint is already styled; the app script loads after the widget's
 * snippet, so `window.edgeRecs` exists by the time the app reports its first event.
 */

/** Where the server puts the widget's `<script>` tag; must stay in `<head>`, before the app script. */
export const SNIPPET_PLACEHOLDER = '<!--edge-recs-snippet-->';

/** The shop's HTML with `SNIPPET_PLACEHOLDER` still in it. */
export const SHOP_TEMPLATE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<meta name="description" content="A demo shop with privacy-first, on-device product recommendations by EdgeRecs.">
<title>EdgeRecs Demo Shop</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%234338ca'/%3E%3Cpath d='M9 21l7-11 7 11z' fill='%23fff'/%3E%3C/svg%3E">
${SNIPPET_PLACEHOLDER}
<script type="module" src="/demo/app.js"></script>
<style>
:root {
  --ink: #161a23; --muted: #5d6676; --line: #e6e8ee; --bg: #f7f7f4; --card: #fff;
  --accent: #4338ca; --accent-ink: #fff; --accent-soft: #eef0ff; --sale: #c2410c; --ok: #15803d; --warn: #b45309;
  --radius: 16px; --shadow: 0 1px 2px rgb(16 24 40 / .06), 0 1px 3px rgb(16 24 40 / .08);
  --shadow-lift: 0 10px 24px -8px rgb(16 24 40 / .18);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: var(--bg); line-height: 1.5; -webkit-font-smoothing: antialiased;
}
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; flex-direction: column; }
a { color: inherit; }
img { display: block; max-width: 100%; height: auto; }
h1, h2, h3 { line-height: 1.2; letter-spacing: -0.02em; margin: 0; }
button, input, select { font: inherit; color: inherit; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; border-radius: 6px; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.skip-link { position: absolute; left: 12px; top: -48px; z-index: 10; padding: 8px 14px; border-radius: 8px; background: var(--ink); color: #fff; }
.skip-link:focus { top: 12px; }
.wrap { width: 100%; max-width: 1200px; margin: 0 auto; padding: 0 20px; }

.site-header { position: sticky; top: 0; z-index: 5; background: rgb(255 255 255 / .92); backdrop-filter: saturate(1.6) blur(12px); border-bottom: 1px solid var(--line); }
.bar { display: flex; align-items: center; gap: 16px; height: 64px; }
.logo { display: flex; align-items: center; gap: 10px; text-decoration: none; font-weight: 750; font-size: 1.1rem; letter-spacing: -0.02em; }
.logo b { color: var(--accent); font-weight: inherit; }
.logo svg { flex: none; }
.privacy-pill { margin: 0 0 0 auto; display: flex; align-items: center; gap: 6px; padding: 5px 12px; border-radius: 999px; background: #ecfdf3; color: #166534; font-size: .82rem; font-weight: 550; }
.cart-link { display: flex; align-items: center; gap: 8px; padding: 8px 14px; border-radius: 999px; text-decoration: none; font-weight: 600; border: 1px solid var(--line); background: var(--card); }
.cart-link:hover { border-color: #cfd3dc; }
.badge { min-width: 1.6em; padding: 0 7px; border-radius: 999px; background: var(--accent); color: var(--accent-ink); font-size: .78rem; line-height: 1.6; text-align: center; font-variant-numeric: tabular-nums; }
.badge[data-empty] { background: #d5d9e2; color: var(--ink); }
.cats { border-top: 1px solid var(--line); }
.cats ul { display: flex; gap: 4px; margin: 0 auto; padding: 6px 20px; list-style: none; overflow-x: auto; scrollbar-width: none; max-width: 1200px; }
.cats a { display: block; padding: 6px 12px; border-radius: 999px; color: var(--muted); text-decoration: none; white-space: nowrap; font-size: .92rem; font-weight: 500; }
.cats a:hover { color: var(--ink); background: #f1f2f5; }
.cats a[aria-current="page"] { color: var(--accent); background: var(--accent-soft); }

main { flex: 1; width: 100%; max-width: 1200px; margin: 0 auto; padding: 28px 20px 72px; min-height: 100vh; box-sizing: border-box; }
/* The page renders in the browser: the footer starts below the fold, so the content it makes room for moves nothing on screen (CLS). */
main:focus { outline: none; }
main > * + section { margin-top: 48px; }
h2[id] { scroll-margin-top: 140px; }
.section-head { display: flex; flex-wrap: wrap; align-items: end; justify-content: space-between; gap: 8px 16px; margin-bottom: 16px; }
.section-head h2 { font-size: 1.35rem; }
.section-head p { margin: 4px 0 0; color: var(--muted); font-size: .92rem; }
.muted { color: var(--muted); }
.crumbs { display: flex; flex-wrap: wrap; gap: 6px; margin: 0 0 18px; padding: 0; list-style: none; color: var(--muted); font-size: .88rem; }
.crumbs li + li::before { content: "/"; margin-right: 6px; color: #b3b9c5; }
.crumbs a { text-decoration: none; }
.crumbs a:hover { text-decoration: underline; }

.hero { display: grid; grid-template-columns: 1.2fr 1fr; gap: 32px; align-items: center; padding: 44px; border-radius: 28px;
  background: radial-gradient(circle at 85% 15%, #fde7f3 0, transparent 45%), radial-gradient(circle at 10% 90%, #e0f2fe 0, transparent 50%), linear-gradient(135deg, #eef0ff, #fff8ee); }
.hero h1 { font-size: clamp(1.7rem, 4vw, 3rem); letter-spacing: -0.035em; }
.hero p { margin: 14px 0 24px; max-width: 52ch; color: #3f4756; font-size: 1.08rem; }
.hero .actions { display: flex; flex-wrap: wrap; gap: 12px; }
.hero-art { position: relative; height: 260px; }
.hero-art img { position: absolute; width: 46%; border-radius: 20px; box-shadow: var(--shadow-lift); }
.hero-art img:nth-child(1) { left: 4%; top: 14%; transform: rotate(-7deg); }
.hero-art img:nth-child(2) { left: 29%; top: 0; z-index: 1; }
.hero-art img:nth-child(3) { right: 2%; top: 18%; transform: rotate(6deg); }

.button { display: inline-flex; align-items: center; justify-content: center; gap: 8px; min-height: 46px; padding: 0 22px; border: 1px solid transparent; border-radius: 12px;
  background: var(--accent); color: var(--accent-ink); font-weight: 650; text-decoration: none; cursor: pointer; transition: background .15s, transform .05s; }
.button:hover { background: #3730a3; }
.button:active { transform: translateY(1px); }
.button.secondary { background: var(--card); color: var(--ink); border-color: var(--line); }
.button.secondary:hover { border-color: #c8cdd8; }
.button.block { width: 100%; }
.button:disabled { background: #c9cdd6; color: #4b5260; cursor: not-allowed; }
.link-button { padding: 4px 0; border: 0; background: none; color: var(--muted); text-decoration: underline; cursor: pointer; font-size: .9rem; }
.link-button:hover { color: var(--ink); }

.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 14px; }
.tile { display: flex; align-items: center; gap: 14px; padding: 16px; border-radius: var(--radius); text-decoration: none; background: linear-gradient(135deg, var(--light), var(--mid)); color: var(--tile-ink); transition: transform .15s, box-shadow .15s; }
.tile:hover { transform: translateY(-2px); box-shadow: var(--shadow-lift); }
.tile svg { flex: none; width: 48px; height: 48px; }
.tile strong { display: block; font-size: 1.02rem; }
.tile span { display: block; font-size: .82rem; opacity: .85; }

.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 18px; margin: 0; padding: 0; list-style: none; }
.card { position: relative; display: flex; flex-direction: column; height: 100%; padding: 10px 10px 14px; border-radius: var(--radius); background: var(--card); box-shadow: var(--shadow); text-decoration: none; transition: transform .15s, box-shadow .15s; }
.card:hover { transform: translateY(-2px); box-shadow: var(--shadow-lift); }
.card img { width: 100%; aspect-ratio: 1; border-radius: 11px; }
.card .brand { margin-top: 12px; color: var(--muted); font-size: .75rem; font-weight: 600; letter-spacing: .06em; text-transform: uppercase; }
.card .title { margin-top: 2px; font-weight: 600; font-size: .95rem; line-height: 1.3; }
.card .meta { margin-top: auto; padding-top: 10px; display: flex; align-items: baseline; justify-content: space-between; gap: 8px; flex-wrap: wrap; }
.flag { position: absolute; top: 18px; left: 18px; padding: 2px 9px; border-radius: 999px; background: var(--sale); color: #fff; font-size: .75rem; font-weight: 700; }
.price { font-weight: 700; font-variant-numeric: tabular-nums; }
.price.sale { color: var(--sale); }
.was { margin-left: 6px; color: var(--muted); font-weight: 400; font-size: .88em; text-decoration: line-through; }
.stock { font-size: .78rem; font-weight: 600; }
.stock.low { color: var(--warn); }
.stock.out { color: var(--muted); }
.stock.later { color: var(--accent); }

.list-tools { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; justify-content: space-between; margin: 20px 0; }
.chips { display: flex; flex-wrap: wrap; gap: 8px; margin: 0; padding: 0; list-style: none; }
.chips a { display: block; padding: 6px 14px; border-radius: 999px; border: 1px solid var(--line); background: var(--card); font-size: .88rem; text-decoration: none; }
.chips a:hover { border-color: #c8cdd8; }
.chips a[aria-current="true"] { background: var(--ink); border-color: var(--ink); color: #fff; }
.sort { display: flex; align-items: center; gap: 8px; font-size: .9rem; color: var(--muted); }
.sort select { padding: 7px 10px; border-radius: 10px; border: 1px solid var(--line); background: var(--card); }
.page-head { display: flex; align-items: center; gap: 18px; padding: 24px; border-radius: 22px; background: linear-gradient(135deg, var(--light), var(--mid)); color: var(--tile-ink); }
.page-head svg { width: 64px; height: 64px; flex: none; }
.page-head h1 { font-size: 2rem; }
.page-head p { margin: 4px 0 0; opacity: .85; }

.product { display: grid; grid-template-columns: minmax(280px, 1fr) minmax(300px, 1fr); gap: 48px; align-items: start; }
.product .media { position: sticky; top: 130px; border-radius: 24px; overflow: hidden; box-shadow: var(--shadow); }
.product .media img { width: 100%; aspect-ratio: 1; }
.product .brand { margin: 0; color: var(--muted); font-weight: 600; letter-spacing: .06em; text-transform: uppercase; font-size: .82rem; }
.product h1 { margin: 6px 0 14px; font-size: clamp(1.7rem, 3vw, 2.3rem); }
.product .price-row { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; font-size: 1.6rem; }
.save { padding: 2px 10px; border-radius: 999px; background: #fff1e8; color: var(--sale); font-size: .85rem; font-weight: 700; }
.availability { display: flex; align-items: center; gap: 8px; margin: 14px 0 22px; font-weight: 550; }
.availability::before { content: ""; width: 9px; height: 9px; border-radius: 50%; background: currentColor; }
.availability.in { color: var(--ok); }
.availability.low { color: var(--warn); }
.availability.out { color: var(--muted); }
.availability.later { color: var(--accent); }
.buy { display: flex; gap: 12px; align-items: stretch; flex-wrap: wrap; }
.buy .button { flex: 1; min-width: 180px; }
.qty { display: inline-flex; align-items: center; border: 1px solid var(--line); border-radius: 12px; background: var(--card); }
.qty button { width: 40px; height: 44px; border: 0; background: none; cursor: pointer; font-size: 1.15rem; border-radius: 12px; }
.qty button:hover:not(:disabled) { background: #f1f2f5; }
.qty button:disabled { color: #b3b9c5; cursor: not-allowed; }
.qty input { width: 44px; border: 0; background: none; text-align: center; font-variant-numeric: tabular-nums; -moz-appearance: textfield; appearance: textfield; }
.qty input::-webkit-inner-spin-button, .qty input::-webkit-outer-spin-button { -webkit-appearance: none; margin: 0; }
.qty.small button { width: 32px; height: 34px; font-size: 1rem; }
.qty.small input { width: 34px; }
.added { min-height: 1.5em; margin: 12px 0 0; color: var(--ok); font-weight: 550; }
.perks { display: grid; gap: 10px; margin: 28px 0 0; padding: 20px 0 0; list-style: none; border-top: 1px solid var(--line); color: #3f4756; font-size: .93rem; }
.perks li { display: flex; gap: 10px; }
.perks li::before { content: "✓"; color: var(--ok); font-weight: 700; }

.cart { display: grid; grid-template-columns: 1fr 340px; gap: 32px; align-items: start; }
[data-cart-body] { margin-top: 20px; }
.lines { margin: 0; padding: 0; list-style: none; border-radius: var(--radius); background: var(--card); box-shadow: var(--shadow); }
.line { display: grid; grid-template-columns: 88px 1fr auto; gap: 16px; align-items: center; padding: 16px; }
.line + .line { border-top: 1px solid var(--line); }
.line img { width: 88px; height: 88px; border-radius: 12px; }
.line .title { font-weight: 600; text-decoration: none; }
.line .title:hover { text-decoration: underline; }
.line .controls { display: flex; align-items: center; gap: 14px; margin-top: 8px; }
.line .total { font-weight: 700; text-align: right; font-variant-numeric: tabular-nums; }
.summary { position: sticky; top: 130px; padding: 22px; border-radius: var(--radius); background: var(--card); box-shadow: var(--shadow); }
.summary h2 { font-size: 1.15rem; margin-bottom: 14px; }
.summary dl { display: grid; grid-template-columns: 1fr auto; gap: 8px; margin: 0 0 18px; }
.summary dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
.summary .grand { padding-top: 10px; border-top: 1px solid var(--line); font-weight: 750; font-size: 1.1rem; }
.summary .note { margin: 12px 0 0; color: var(--muted); font-size: .84rem; text-align: center; }
.empty { display: grid; justify-items: center; gap: 12px; padding: 56px 20px; border-radius: var(--radius); background: var(--card); box-shadow: var(--shadow); text-align: center; }
.empty p { margin: 0; color: var(--muted); }

.recs { padding: 24px; border-radius: 24px; background: var(--card); box-shadow: var(--shadow); }
.recs .tag { display: inline-flex; align-items: center; gap: 6px; padding: 3px 10px; border-radius: 999px; background: #ecfdf3; color: #166534; font-size: .78rem; font-weight: 600; white-space: nowrap; }
edge-recs { display: block; min-height: 120px; --edge-recs-card-width: 215px; --edge-recs-radius: 14px; --edge-recs-focus: var(--accent); --edge-recs-card-bg: #fafafa; }

.notice { padding: 48px 20px; text-align: center; }
.notice h1 { font-size: 1.8rem; margin-bottom: 8px; }
.notice p { margin: 0 0 20px; color: var(--muted); }
.skeleton { display: grid; gap: 18px; }
.skeleton div { height: 180px; border-radius: var(--radius); background: linear-gradient(90deg, #eceef2, #f6f7f9, #eceef2); background-size: 200% 100%; animation: shimmer 1.4s infinite; }
@keyframes shimmer { to { background-position: -200% 0; } }

.site-footer { border-top: 1px solid var(--line); background: var(--card); color: var(--muted); font-size: .88rem; }
.site-footer .wrap { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: center; justify-content: space-between; padding-top: 22px; padding-bottom: 22px; }
.site-footer p { margin: 0; max-width: 70ch; }
.toast { position: fixed; left: 50%; bottom: 24px; z-index: 20; transform: translate(-50%, 20px); padding: 12px 18px; border-radius: 12px; background: var(--ink); color: #fff; font-weight: 550; box-shadow: var(--shadow-lift); opacity: 0; pointer-events: none; transition: opacity .2s, transform .2s; }
.toast[data-show] { opacity: 1; transform: translate(-50%, 0); }

@media (max-width: 900px) {
  .hero { grid-template-columns: 1fr; padding: 28px 24px; }
  .recs { padding: 18px; }
  .hero-art { display: none; }
  .product, .cart { grid-template-columns: 1fr; gap: 28px; }
  .product .media, .summary { position: static; }
  .privacy-pill { display: none; }
  .cart-link { margin-left: auto; }
}
@media (max-width: 560px) {
  .grid { grid-template-columns: repeat(2, 1fr); gap: 12px; }
  edge-recs { --edge-recs-card-width: 130px; --edge-recs-gap: 12px; }
  .line { grid-template-columns: 64px 1fr; }
  .line img { width: 64px; height: 64px; }
  .line .total { grid-column: 2; text-align: left; }
  .cart-link span:not(.badge, .visually-hidden) { display: none; }
}
@media (prefers-reduced-motion: reduce) { *, *::before, *::after { transition: none !important; animation: none !important; } }
</style>
</head>
<body>
<a class="skip-link" href="#app">Skip to content</a>
<header class="site-header">
  <div class="wrap bar">
    <a class="logo" href="/">
      <svg width="30" height="30" viewBox="0 0 32 32" aria-hidden="true"><rect width="32" height="32" rx="9" fill="#4338ca"/><path d="M9 21l7-11 7 11z" fill="#fff"/><circle cx="16" cy="21" r="2.5" fill="#a5b4fc"/></svg>
      <span>EdgeRecs <b>Demo Shop</b></span>
    </a>
    <p class="privacy-pill"><svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true"><path d="M4 7V5a4 4 0 0 1 8 0v2h1v8H3V7zm2 0h4V5a2 2 0 0 0-4 0z" fill="currentColor"/></svg>Recommendations computed on your device</p>
    <a class="cart-link" href="/cart">
      <svg width="20" height="20" viewBox="0 0 24 24" aria-hidden="true"><path d="M6 7h12l-1 13H7zM9 7a3 3 0 0 1 6 0" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/></svg>
      <span>Cart</span><span class="badge" data-testid="cart-count" data-empty>0</span><span class="visually-hidden" data-cart-noun> items</span>
    </a>
  </div>
  <nav class="cats" aria-label="Categories"><ul></ul></nav>
</header>
<main id="app" tabindex="-1" aria-busy="true">
  <div class="skeleton" aria-hidden="true"><div></div><div></div></div>
  <p class="visually-hidden">Loading the shop…</p>
  <noscript><p>The demo shop needs JavaScript.</p></noscript>
</main>
<footer class="site-footer">
  <div class="wrap">
    <p>EdgeRecs demo: your browsing history is kept in this browser, and recommendations are ranked on your device, not on a server.</p>
    <button type="button" class="link-button" data-action="profile" data-testid="open-profile">Your recommendation profile</button>
    <button type="button" class="link-button" data-action="forget">Forget my history on this device</button>
  </div>
</footer>
<div class="toast" role="status" aria-live="polite"></div>
</body>
</html>
`;

/**
 * The shop page with `snippet` (the widget's `<script>` tag, or empty) in place of the placeholder.
 *
 * @example shopPage('<script type="module" src="/widget/edge-recs.js"></script>')
 */
export function shopPage(snippet: string): string {
  // A function replacement: `$&` or `$1` in a snippet must stay literal.
  return SHOP_TEMPLATE.replace(SNIPPET_PLACEHOLDER, () => snippet);
}
