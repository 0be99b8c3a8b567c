// Bytes of the widget build as served: identity, gzip and brotli, from the `.gz` / `.br` copies that
// `npm run build` writes beside each file (vite.config.ts `precompressed`). Run after the build:
//   node bench/widget-bytes.mjs [dist]
// Prints every file over 1 KB and the totals; a file without a copy counts at its own size. The first
// visit loads the loader, its chunks and one WASM binary, not all three.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const dist = process.argv[2] ?? 'dist';
const walk = (dir) => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]));
const size = (path) => (existsSync(path) ? statSync(path).size : null);
const rows = walk(dist)
  .filter((f) => !/\.(br|gz|map)$/.test(f) && !f.startsWith(join(dist, 'demo')))
  .map((f) => ({ file: relative(dist, f), identity: size(f), gzip: size(`${f}.gz`) ?? size(f), br: size(`${f}.br`) ?? size(f) }));
const kb = (n) => (n / 1024).toFixed(1).padStart(7);
for (const r of rows.sort((a, b) => b.identity - a.identity)) if (r.identity >= 1024) console.log(`${r.file.padEnd(48)} ${kb(r.identity)} ${kb(r.gzip)} ${kb(r.br)} KB`);
const sum = (key, pick = () => true) => rows.filter(pick).reduce((s, r) => s + r[key], 0);
const js = (r) => r.file.endsWith('.js');
const simd = (r) => r.file === 'tfjs-backend-wasm-simd.wasm';
console.log(`${'the whole build\'s JavaScript (a first visit loads part)'.padEnd(48)} ${kb(sum('identity', js))} ${kb(sum('gzip', js))} ${kb(sum('br', js))} KB`);
console.log(`${'+ the SIMD WASM binary Chromium loads'.padEnd(48)} ${kb(sum('identity', (r) => js(r) || simd(r)))} ${kb(sum('gzip', (r) => js(r) || simd(r)))} ${kb(sum('br', (r) => js(r) || simd(r)))} KB`);
console.log('(columns: identity, gzip -9, brotli -q 11)');
