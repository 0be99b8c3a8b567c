/**
 * The demo shop's one HTML page (a single-page app: every route serves it). Kept as a module, not an
 * .html file, so the Node server and the build read it the same way. `snippet` is the widget's script tag.
 */
export function shopPage(snippet: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>EdgeRecs Demo Shop</title>
<link rel="icon" href="data:,">
${snippet}
<script type="module" src="/demo/app.js"></script>
<style>
  :root { --ink: #1f2430; --muted: #667085; --line: #e6e8ee; --bg: #f7f7fa; --accent: #2563eb; --sale: #c2410c;
    font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
  * { box-sizing: border-box; }
  body { margin: 0; }
  a { color: inherit; }
  header { position: sticky; top: 0; z-index: 1; background: #fff; border-bottom: 1px solid var(--line); }
  .bar { max-width: 1180px; margin: 0 auto; padding: 12px 20px; display: flex; align-items: center; gap: 20px; }
  .logo { font-weight: 800; font-size: 1.15rem; text-decoration: none; letter-spacing: -0.01em; }
  .logo span { color: var(--accent); }
  nav.cats { display: flex; gap: 14px; overflow-x: auto; flex: 1; scrollbar-width: none; }
  nav.cats a { text-decoration: none; color: var(--muted); white-space: nowrap; font-size: 0.92rem; }
  nav.cats a:hover, nav.cats a[aria-current="page"] { color: var(--ink); }
  .cart-link { text-decoration: none; font-weight: 600; white-space: nowrap; }
  .badge { display: inline-block; min-width: 1.5em; padding: 0 6px; border-radius: 999px; background: var(--accent); color: #fff; font-size: 0.8rem; text-align: center; }
  main { max-width: 1180px; margin: 0 auto; padding: 24px 20px 64px; }
  h1 { font-size: 1.8rem; margin: 0 0 8px; letter-spacing: -0.02em; }
  h2 { font-size: 1.2rem; margin: 36px 0 14px; }
  .hero { padding: 32px; border-radius: 18px; background: linear-gradient(120deg, #e0ecff, #fdf2f8); }
  .hero p { color: var(--muted); max-width: 60ch; margin: 0; }
  .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 12px; }
  .tile { padding: 16px; border-radius: 12px; background: #fff; border: 1px solid var(--line); text-decoration: none; font-weight: 600; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 16px; }
  .card { background: #fff; border-radius: 12px; padding: 10px; border: 1px solid var(--line); text-decoration: none; display: flex; flex-direction: column; gap: 6px; }
  .card img { width: 100%; aspect-ratio: 1; border-radius: 8px; }
  .card .t { font-weight: 600; font-size: 0.92rem; }
  .price { font-variant-numeric: tabular-nums; }
  .was { text-decoration: line-through; color: var(--muted); margin-left: 6px; font-size: 0.9em; }
  .sale { color: var(--sale); }
  .oos { color: var(--muted); font-size: 0.85rem; }
  .product { display: grid; grid-template-columns: minmax(240px, 420px) 1fr; gap: 32px; align-items: start; }
  .product img { width: 100%; border-radius: 16px; background: #fff; }
  .product .brand { color: var(--muted); }
  .product .big { font-size: 1.6rem; margin: 12px 0; }
  button { font: inherit; border: 0; border-radius: 10px; padding: 12px 20px; background: var(--accent); color: #fff; font-weight: 600; cursor: pointer; }
  button.secondary { background: #fff; color: var(--ink); border: 1px solid var(--line); padding: 6px 12px; }
  button:disabled { background: #a0a7b8; cursor: not-allowed; }
  button:focus-visible, a:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
  table { width: 100%; border-collapse: collapse; background: #fff; border-radius: 12px; overflow: hidden; }
  td, th { padding: 12px; border-bottom: 1px solid var(--line); text-align: left; }
  .note { color: var(--muted); font-size: 0.9rem; }
  edge-recs { --edge-recs-card-width: 170px; }
  @media (max-width: 720px) { .product { grid-template-columns: 1fr; } nav.cats { display: none; } }
</style>
</head>
<body>
<header><div class="bar">
  <a class="logo" href="/">EdgeRecs <span>Demo Shop</span></a>
  <nav class="cats" aria-label="Categories"></nav>
  <a class="cart-link" href="/cart">Cart <span class="badge" data-testid="cart-count">0</span></a>
</div></header>
<main id="app" tabindex="-1"><p class="note">Loading the shop…</p></main>
</body>
</html>`;
}
