// Where the data lives: --data-dir DIR, else CARDSHARK_DATA_DIR, else the platform's
// app-data folder (what Electron's userData is for "CardShark"). Both modes share it.
import os from 'node:os';
import path from 'node:path';

export const APP_NAME = 'CardShark';

export function dataDirFromArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--data-dir' && argv[i + 1]) return path.resolve(argv[i + 1]!);
    if (a.startsWith('--data-dir=')) return path.resolve(a.slice('--data-dir='.length));
  }
  return env.CARDSHARK_DATA_DIR ? path.resolve(env.CARDSHARK_DATA_DIR) : undefined;
}

/** The same folder Electron's app.getPath('userData') gives for APP_NAME. */
export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_NAME);
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), APP_NAME);
}
