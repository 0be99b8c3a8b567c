import path from 'node:path';
import type { Plugin } from 'esbuild';

/**
 * Vite's `import url from './worker.ts?worker&url'` (`widget/training/run.ts`) for esbuild: the worker's
 * source path from `root`, which the test runner's bundling middleware serves bundled like any other
 * `.ts` request. Used by every esbuild build of widget code in the browser rig (test files and the
 * development widget build).
 */
export function workerUrlPlugin(root: string): Plugin {
  return {
    name: 'edge-recs-worker-url',
    setup(build) {
      build.onResolve({ filter: /\?worker&url$/ }, (args) => ({ path: path.resolve(args.resolveDir, args.path.replace(/\?worker&url$/, '')), namespace: 'worker-url' }));
      build.onLoad({ filter: /.*/, namespace: 'worker-url' }, (args) => ({
        contents: `export default ${JSON.stringify('/' + path.relative(root, args.path).split(path.sep).join('/'))};`,
        loader: 'js',
      }));
    },
  };
}
