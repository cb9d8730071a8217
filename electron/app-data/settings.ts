// Generation settings, main-side only. The API key is never sent to the renderer.
// Stored in <dataDir>/app/settings.json (mode 0600 is not enforced by write-file-atomic
// on every platform; a keychain is out of scope for this issue).
import path from 'node:path';
import { z } from 'zod';
import { ProviderKind, type GenerationSettingsOut, type GenerationSettingsPatch } from '../../shared/ipc-contract.ts';
import { jsonFile } from './json-file.ts';

export const GenerationSettings = z.object({
  provider: ProviderKind,
  baseUrl: z.string(),
  model: z.string(),
  apiKey: z.string(),
  paceMs: z.number().int().min(0),
});
export type GenerationSettings = z.infer<typeof GenerationSettings>;

export const DEFAULT_SETTINGS: GenerationSettings = {
  provider: 'demo',
  baseUrl: 'http://127.0.0.1:5001/v1',
  model: '',
  apiKey: '',
  paceMs: 30,
};

export interface SettingsStore {
  get(): Promise<GenerationSettings>;
  update(patch: GenerationSettingsPatch): Promise<GenerationSettings>;
}

export function publicSettings(s: GenerationSettings): GenerationSettingsOut {
  return { provider: s.provider, baseUrl: s.baseUrl, model: s.model, hasApiKey: s.apiKey.length > 0, paceMs: s.paceMs };
}

/** `overrides` (from env/CLI) win over the file, e.g. a fast demo pace for tests. */
export function openSettings(dataDir: string, overrides: Partial<GenerationSettings> = {}): SettingsStore {
  const file = jsonFile(path.join(dataDir, 'app', 'settings.json'), GenerationSettings, () => DEFAULT_SETTINGS);
  return {
    async get() {
      return { ...(await file.read()), ...overrides };
    },
    async update(patch) {
      for (const k of Object.keys(patch)) delete overrides[k as keyof GenerationSettings];
      const next = await file.update((cur) => ({ ...cur, ...patch }));
      return { ...next, ...overrides };
    },
  };
}
