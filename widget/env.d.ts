/**
 * Compile-time switch for development-only code (warnings that name the attribute or event at fault).
 * `vite build` (mode `production`, what `npm run build` ships) defines it as `false`, so the minifier drops
 * every `if (__EDGE_RECS_DEV__) ...` branch and its message strings; development builds and the browser
 * tests (`web-test-runner.config.mjs`) define it as `true`. Always read it inside a function: a bundle
 * that forgot the definition then fails loudly in the code path that needs it, not on import.
 */
declare const __EDGE_RECS_DEV__: boolean;

/** Vite's `?worker&url` import: the URL of the bundled worker script (`web-test-runner.config.mjs` mirrors it). */
declare module '*?worker&url' {
  const url: string;
  export default url;
}
