// Main process bundle (Forge supplies entry, cjs format and externals for node builtins).
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    rollupOptions: {
      // Native-ish or fs-heavy deps stay in node_modules rather than the bundle.
      // node:sqlite (the library search) is built into Node 24 and Electron's Node.
      // gpt-tokenizer (the prompt viewer's counts) is loaded on demand from node_modules: bundled, its
      // dynamic import would split main.cjs into chunks.
      external: ['write-file-atomic', 'chokidar', 'ws', 'electron-log', 'electron-log/node', 'node:sqlite', /^gpt-tokenizer(\/|$)/],
    },
  },
});
