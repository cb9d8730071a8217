// The shape of the settings file: today's generation settings plus the storage knobs.
// Ranges come from the IPC contract, so the file and the renderer are held to the same rules.
import { z } from 'zod';
import { AutosaveIntervalMs, BackupRetention, QuitFlushTimeoutMs } from '../../shared/settings-contract.ts';
import { DEFAULT_GENERATION_SETTINGS as DEFAULT_GENERATION, GenerationSettings } from '../generation/generation-settings.ts';

export const AppSettings = GenerationSettings.extend({
  /** How often engineer-facing debouncers (drafts, stream checkpoints) write; read live. */
  autosaveIntervalMs: AutosaveIntervalMs,
  /** Backups kept per chat; read when the store opens (applies from the next start). */
  backupRetention: BackupRetention,
  /** How long a quit waits for the flush before asking the user (Electron) or giving up (Node). */
  quitFlushTimeoutMs: QuitFlushTimeoutMs,
});
export type AppSettings = z.infer<typeof AppSettings>;

export const DEFAULT_APP_SETTINGS: AppSettings = {
  ...DEFAULT_GENERATION,
  autosaveIntervalMs: 1_000,
  backupRetention: 5,
  quitFlushTimeoutMs: 5_000,
};

/**
 * Every key of `json` that is valid on its own, over the defaults: one bad field must not
 * cost the others (above all the API key). `bad` names the keys that were present but invalid.
 */
export function salvageSettings(json: unknown): { values: AppSettings; bad: string[] } {
  const values: Record<string, unknown> = { ...DEFAULT_APP_SETTINGS };
  const bad: string[] = [];
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    for (const [key, field] of Object.entries(AppSettings.shape)) {
      if (!Object.hasOwn(json, key)) continue;
      const r = field.safeParse((json as Record<string, unknown>)[key]);
      if (r.success) values[key] = r.data;
      else bad.push(key);
    }
  }
  return { values: values as AppSettings, bad };
}
