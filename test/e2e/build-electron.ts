// Builds the unpackaged Electron app into .vite/ the way Forge's Vite plugin lays it
// out (build/main.cjs, build/preload.cjs, renderer/main_window/), without Forge, so
// the _electron spec can launch `electron .` from the repo.
import { builtinModules } from 'node:module';
import path from 'node:path';
import { build } from 'vite';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
// gpt-tokenizer: loaded on demand from node_modules (bundled, its dynamic import would split main.cjs).
const external = ['electron', ...builtinModules.flatMap((m) => [m, `node:${m}`]), 'write-file-atomic', 'chokidar', 'ws', /^gpt-tokenizer(\/|$)/];

const common = { root: ROOT, configFile: false as const, logLevel: 'warn' as const, define: { MAIN_WINDOW_VITE_NAME: JSON.stringify('main_window') } };

/** Only the main bundle and the card worker beside it (the fake-electron lifecycle test loads them in plain Node). */
export async function buildElectronMain(outDir = path.join(ROOT, '.vite/build')): Promise<string> {
  for (const [entry, fileName] of [['electron/entry/main.ts', 'main.cjs'], ['electron/cards/card-worker.ts', 'card-worker.cjs']] as const) {
    await build({
      ...common,
      resolve: { conditions: ['node'] },
      build: {
        outDir,
        emptyOutDir: false,
        minify: false,
        lib: { entry: path.join(ROOT, entry), formats: ['cjs'], fileName: () => fileName },
        rollupOptions: { external },
      },
    });
  }
  return path.join(outDir, 'main.cjs');
}

export async function buildElectronApp(): Promise<void> {
  await buildElectronMain();
  await build({
    ...common,
    build: {
      outDir: '.vite/build',
      emptyOutDir: false,
      minify: false,
      rollupOptions: { external, input: path.join(ROOT, 'electron/entry/preload.ts'), output: { format: 'cjs', entryFileNames: 'preload.cjs' } },
    },
  });
  await build({ configFile: path.join(ROOT, 'vite.renderer.config.ts'), logLevel: 'warn', build: { outDir: path.join(ROOT, '.vite/renderer/main_window'), emptyOutDir: true } });
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) await buildElectronApp();
