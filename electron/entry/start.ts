// `npm start`: the desktop app when an Electron binary exists (via Electron Forge),
// otherwise one paragraph on how to get one, then the browser host.
// `npm run web` (`--web`): always the browser host. It runs in this process, so its own
// signal handlers flush; a spawned Forge gets every signal passed on, and we exit with it.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { findElectronBinary, NO_ELECTRON_HELP } from '../lifecycle/electron-binary.ts';
import { EXIT_SIGNALS } from '../lifecycle/exit-signals.ts';
import { exitWithParent } from '../lifecycle/parent-watch.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
exitWithParent();
const web = process.argv.includes('--web');
const args = process.argv.slice(2).filter((a) => a !== '--web');

if (!web && findElectronBinary(ROOT)) {
  const forge = path.join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'electron-forge.cmd' : 'electron-forge');
  const child = spawn(forge, ['start', ...(args.length ? ['--', ...args] : [])], { stdio: 'inherit', cwd: ROOT });
  for (const sig of EXIT_SIGNALS) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 1)));
} else {
  if (!web) console.log(`\n${NO_ELECTRON_HELP}\n`);
  await build({ configFile: path.join(ROOT, 'vite.renderer.config.ts'), mode: 'web', logLevel: 'warn' });
  await import('../host/cli.ts'); // prints the URL; reads --data-dir/--port from argv
}
