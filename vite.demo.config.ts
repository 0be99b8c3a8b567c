import { defineConfig } from 'vite';

/** The demo shop's front-end, built apart from the widget so the two share no chunk. */
export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'dist/demo',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: false,
    rollupOptions: {
      input: { app: 'demo/app/index.ts' },
      output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    },
  },
});
