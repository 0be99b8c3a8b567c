/**
 * Size budget of the script-tag loader, `dist/edge-recs.js`, in gzip bytes (zlib's default level, as web
 * servers compress). It is on every page view's critical path, so it holds only config, the page API,
 * event capture and the lazy start; everything else is in lazy chunks. `npm run build` prints the figure
 * and `test/node/bundle-size.test.ts` fails above it.
 */
export const LOADER_BUDGET_BYTES = 12 * 1024;
