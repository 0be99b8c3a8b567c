import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vite';

const WASM_DIR = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** Ships tfjs' WASM binaries beside the loader; the widget points `setWasmPaths` at its own folder. */
function tfjsWasm(): Plugin {
  return {
    name: 'edge-recs:tfjs-wasm',
    generateBundle() {
      for (const file of WASM_FILES) this.emitFile({ type: 'asset', fileName: file, source: readFileSync(`${WASM_DIR}/${file}`) });
    },
  };
}

/**
 * The widget build: `dist/edge-recs.js` is the script-tag loader (stable name, short cache); tfjs, each
 * backend and the model runtime are lazy chunks with content hashes (immutable cache).
 */
export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: false,
    sourcemap: true,
    rollupOptions: {
      input: { 'edge-recs': 'widget/index.ts' },
      preserveEntrySignatures: false,
      output: {
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  plugins: [tfjsWasm()],
});
