// App settings: one file per device, <dataDir>/devices/<id>/app/config.json, behind one small interface.
// Before the library (conf / electron-store) sees the file we validate it ourselves:
// a damaged file is kept as config.json.damaged-<ms>, every valid key is salvaged,
// and start-up goes on with a notice instead of a crash or a silent reset.
// The first open also migrates the old app/settings.json (generation settings) once.
import { chmodSync, existsSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { fsyncDirSync as fsyncDir } from '../durable/durable.ts';
import { deviceFile } from '../app-data/device-files.ts';
import { AppSettings, salvageSettings } from './schema.ts';
import type { OpenSettingsBackend, SettingsBackend } from './backend.ts';

export { AppSettings, DEFAULT_APP_SETTINGS } from './schema.ts';

export const SETTINGS_NAME = 'config';
/** The pre-settings-module file of generation settings; migrated once, then kept as a backup. */
export const LEGACY_NAME = 'settings.json';

export interface AppSettingsStore {
  /** The current settings, from memory (cheap: fine as a getter called on every debounce). */
  get(): AppSettings;
  /** Validates, writes the whole file (atomic, 0600), returns the new settings. Throws on I/O errors. */
  update(patch: Partial<AppSettings>): AppSettings;
  /** What opening found: a damaged file kept aside, a migration. Shown in the UI. */
  readonly notices: readonly string[];
  readonly path: string;
}

type Found = { kind: 'missing' } | { kind: 'ok'; json: unknown } | { kind: 'damaged'; json: unknown; why: string };

function inspect(file: string): Found {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return { kind: 'damaged', json: undefined, why: 'it is not valid JSON' };
  }
  const { bad } = salvageSettings(json);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { kind: 'damaged', json, why: 'it is not a JSON object' };
  return bad.length ? { kind: 'damaged', json, why: `invalid ${bad.join(', ')}` } : { kind: 'ok', json };
}

/** Renames `file` aside (kept, never deleted) and makes the copy owner-only: it may hold the key. */
function keepAside(file: string, suffix: string): string {
  const to = `${file}.${suffix}-${Date.now()}`;
  renameSync(file, to);
  if (process.platform !== 'win32') chmodSync(to, 0o600);
  fsyncDir(path.dirname(file));
  return to;
}

/**
 * The settings `openAppSettings(dataDir, …).get()` would give, read without the file library (conf
 * and its JSON-schema compiler cost a command-line start ~0.2 s) and without writing anything: no
 * default file made, nothing migrated or kept aside (the app does that at its next start). For the
 * CLI, which only reads settings. Throws what reading the file throws, as opening it would.
 */
export function readAppSettings(dataDir: string): AppSettings {
  const found = inspect(deviceFile(dataDir, 'settings'));
  if (found.kind !== 'missing') return salvageSettings(found.json).values; // damaged: what open would salvage and write
  const old = inspect(deviceFile(dataDir, 'oldSettings'));
  return salvageSettings(old.kind === 'missing' ? undefined : old.json).values;
}

export function openAppSettings(dataDir: string, openBackend: OpenSettingsBackend): AppSettingsStore {
  // This device's own file (made owner-only: it holds the API key), moved from app/ at the first start.
  const file = deviceFile(dataDir, 'settings');
  const dir = path.dirname(file);
  const legacy = deviceFile(dataDir, 'oldSettings');
  const notices: string[] = [];
  let initial: AppSettings | undefined; // values to write once the backend is open
  let migrateFrom: string | undefined;

  const found = inspect(file);
  if (found.kind === 'damaged') {
    const kept = keepAside(file, 'damaged');
    const { values, bad } = salvageSettings(found.json);
    initial = values;
    const lost = bad.length ? `; ${bad.join(', ')} reset to defaults` : '';
    notices.push(`The settings file was damaged (${found.why}). It was kept as ${path.basename(kept)}; the valid settings were recovered${lost}.`);
  } else if (found.kind === 'missing') {
    const old = inspect(legacy);
    if (old.kind !== 'missing') {
      initial = salvageSettings(old.json).values;
      migrateFrom = legacy;
      if (old.kind === 'damaged') notices.push(`The old generation settings were damaged (${old.why}); the valid ones were carried over.`);
    }
  }

  let backend: SettingsBackend;
  try {
    backend = openBackend({ cwd: dir, configName: SETTINGS_NAME });
  } catch (e) {
    // The file changed between our check and the library's read (another process, a sync tool):
    // keep what is there and start from what we salvaged.
    console.error('settings: the library refused the file:', e);
    if (!existsSync(file)) throw e; // not the file's fault (permissions, a folder in the way): report it
    const kept = keepAside(file, 'damaged');
    notices.push(`The settings file could not be read. It was kept as ${path.basename(kept)}; defaults are in use.`);
    backend = openBackend({ cwd: dir, configName: SETTINGS_NAME });
  }
  // The library renames its temp file into place; the rename is durable once the folder is fsync'd.
  const write = (values: Record<string, unknown>) => {
    backend.set(values);
    fsyncDir(dir);
  };
  if (initial) write(initial);
  if (migrateFrom) {
    // Only after the new file is written: a crash before this leaves both, and the new one wins.
    const kept = keepAside(migrateFrom, 'migrated');
    notices.push(`Generation settings moved to ${SETTINGS_NAME}.json; the old file was kept as ${path.basename(kept)}.`);
  }

  // The file may lack keys added since it was written: fill them from the defaults, in memory.
  let current = salvageSettings(backend.store).values;
  return {
    get: () => current,
    update(patch) {
      const next = AppSettings.parse({ ...current, ...patch });
      write(next);
      current = next;
      return current;
    },
    notices,
    path: backend.path,
  };
}
