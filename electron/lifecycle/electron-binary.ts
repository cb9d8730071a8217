// Finds an Electron executable without importing the `electron` package (whose
// index.js tries to download one and throws offline). Mirrors its lookup:
// ELECTRON_OVERRIDE_DIST_PATH, else node_modules/electron/dist/<path.txt>.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const PLATFORM_PATH: Partial<Record<NodeJS.Platform, string>> = {
  darwin: 'Electron.app/Contents/MacOS/Electron',
  win32: 'electron.exe',
  linux: 'electron',
  freebsd: 'electron',
  openbsd: 'electron',
};

export function findElectronBinary(root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const pkgDir = path.join(root, 'node_modules', 'electron');
  let rel: string | undefined;
  try {
    rel = readFileSync(path.join(pkgDir, 'path.txt'), 'utf8').trim();
  } catch {
    rel = undefined;
  }
  const candidate = env.ELECTRON_OVERRIDE_DIST_PATH
    ? path.join(env.ELECTRON_OVERRIDE_DIST_PATH, rel ?? PLATFORM_PATH[process.platform] ?? 'electron')
    : rel
      ? path.join(pkgDir, 'dist', rel)
      : undefined;
  return candidate && existsSync(candidate) ? candidate : undefined;
}

export const NO_ELECTRON_HELP =
  'No Electron binary is installed (node_modules/electron has no dist/ or path.txt: Electron 45 downloads its ' +
  'binary from GitHub on first use, and this machine could not fetch it). CardShark will run in your browser ' +
  'instead, with the same data folder and the same features. To get the desktop app, either run ' +
  '`npx install-electron` on a machine with network access to GitHub, or set ELECTRON_OVERRIDE_DIST_PATH ' +
  'to a folder that holds an Electron 45 build, then run `npm start` again.';
