// Bundles a bench child the way the app ships its main process (Vite, one file, node builtins
// external), so what it measures is the shipped store, not Node's on-the-fly TypeScript stripping
// (which alone adds several MB of RSS to a process that imports .ts sources).
import { builtinModules } from 'node:module';
import path from 'node:path';
import { build } from 'vite';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Writes `<outDir>/<name>.mjs` and returns its path. */
export async function bundleChild(entry: string, outDir: string): Promise<string> {
  const name = path.basename(entry).replace(/\.ts$/, '');
  await build({
    root: ROOT,
    configFile: false,
    logLevel: 'warn',
    resolve: { conditions: ['node'] },
    build: {
      outDir,
      emptyOutDir: false,
      minify: false,
      target: 'node22',
      lib: { entry, formats: ['es'], fileName: () => `${name}.mjs` },
      rollupOptions: {
        external: builtinModules.flatMap((m) => [m, `node:${m}`]),
        // Bundled CommonJS dependencies (write-file-atomic) call require() for builtins, and name __filename (its temp names).
        output: { banner: "import { createRequire as __cardsharkRequire } from 'node:module'; import { fileURLToPath as __cardsharkPath } from 'node:url'; const require = __cardsharkRequire(import.meta.url); const __filename = __cardsharkPath(import.meta.url);" },
      },
    },
  });
  return path.join(outDir, `${name}.mjs`);
}
