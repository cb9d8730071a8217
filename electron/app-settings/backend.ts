// The one seam between our settings logic and the file library: conf in plain Node,
// electron-store (conf plus Electron's app data) in the Electron main process.
export interface SettingsBackend {
  /** Absolute path of the file. */
  readonly path: string;
  /** What the file holds now. */
  readonly store: Record<string, unknown>;
  /** Writes these keys (atomically, whole file), keeping any others. */
  set(values: Record<string, unknown>): void;
}

export type OpenSettingsBackend = (where: { cwd: string; configName: string }) => SettingsBackend;

/**
 * Options both libraries get. We validate the file ourselves before either opens it, so
 * conf's own clearing (no backup, whole file) is never what handles a damaged file;
 * 0600 because the file holds the API key (conf applies it on every write, POSIX only).
 */
export const BACKEND_OPTIONS = {
  clearInvalidConfig: false,
  accessPropertiesByDotNotation: false,
  configFileMode: 0o600,
} as const;
