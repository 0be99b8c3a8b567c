import { defineConfig } from 'vitest/config';

/**
 * Node-side tests (`vitest run`, part of `npm test`). Browser tests (`*.browser.test.ts`,
 * `test/browser/`) run in real Chromium through `wtr` instead; see web-test-runner.config.mjs.
 *
 * This file takes precedence over a `vite.config.ts`: the widget's build settings (library mode,
 * chunks) do not apply to Node tests, and keeping them apart stops a build change from changing how
 * tests resolve modules.
 */
export default defineConfig({
  test: {
    environment: 'node',
    // Forks, not threads: tfjs and the WASM backend keep process-wide state (registered backends, the
    // engine's tensor registry) that is simplest to isolate per process.
    pool: 'forks',
    // The machine has 2 cores; more workers only contend.
    maxWorkers: 2,
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.browser.test.ts', 'test/browser/**'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'core/**/*.test.ts',
            'edge-server/**/*.test.ts',
            'model-export/**/*.test.ts',
            'demo/**/*.test.ts',
            'widget/**/*.test.ts',
            'test/node/**/*.test.ts',
            'test/reliability/**/*.test.ts',
            'test/abuse/**/*.test.ts',
            'test/contract/**/*.test.ts',
            'test/integration/**/*.test.ts',
            // Benchmarks' own pieces (their tables, arguments, merging); the benchmarks themselves never run in tests.
            'bench/**/*.test.ts',
          ],
          // tfjs on the CPU backend of a 2-core machine: a model forward pass or a training step can take
          // seconds, above vitest's 5 s default.
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Starts the edge server and demo, trains or loads a model: minutes are normal on this machine.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
