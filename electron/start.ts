// `npm start`: the desktop app when an Electron binary exists (via Electron Forge),
// otherwise one paragraph on how to get one, then the browser host.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { build } from 'vite';
import { findElectronBinary, NO_ELECTRON_HELP } from './electron-binary.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);

if (findElectronBinary(ROOT)) {
  const forge = path.join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'electron-forge.cmd' : 'electron-forge');
  const child = spawn(forge, ['start', ...(args.length ? ['--', ...args] : [])], { stdio: 'inherit', cwd: ROOT });
  child.on('exit', (code) => process.exit(code ?? 1));
} else {
  console.log(`\n${NO_ELECTRON_HELP}\n`);
  await build({ configFile: path.join(ROOT, 'vite.renderer.config.ts'), mode: 'web', logLevel: 'warn' });
  await import('./host/cli.ts'); // prints the URL; reads --data-dir/--port from argv
}
