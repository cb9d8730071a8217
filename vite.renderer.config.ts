// Renderer build. Forge builds it as main_window (.vite/renderer/main_window);
// `npm run build:renderer` (mode "web") builds it into dist/renderer for the browser host.
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import path from 'node:path';

/** A strict CSP meta tag in built pages only: Vite's dev server needs inline scripts. */
function cspMeta(): Plugin {
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return {
    name: 'cardshark-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: csp }, injectTo: 'head-prepend' }],
  };
}

export default defineConfig(({ mode }) => ({
  root: path.resolve(import.meta.dirname, 'renderer'),
  base: './',
  plugins: [react(), cspMeta()],
  build: {
    sourcemap: true,
    ...(mode === 'web' ? { outDir: path.resolve(import.meta.dirname, 'dist', 'renderer'), emptyOutDir: true } : {}),
  },
}));
