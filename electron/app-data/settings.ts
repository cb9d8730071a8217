// Generation settings, main-side only. The API key is never sent to the renderer.
// Stored in <dataDir>/app/settings.json (mode 0600 is not enforced by write-file-atomic
// on every platform; a keychain is out of scope for this issue).
import path from 'node:path';
import { z } from 'zod';
import { ProviderKind, type GenerationSettingsOut, type GenerationSettingsPatch } from '../../shared/ipc-contract.ts';
import { jsonFile } from './json-file.ts';
import { assertBaseUrl } from '../generation/url-policy.ts';

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

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export function publicSettings(s: GenerationSettings): GenerationSettingsOut {
  return { provider: s.provider, baseUrl: s.baseUrl, model: s.model, hasApiKey: s.apiKey.length > 0, paceMs: s.paceMs };
}

/** `overrides` (from env/CLI) win over the file, e.g. a fast demo pace for tests. */
export function openSettings(dataDir: string, overrides: Partial<GenerationSettings> = {}): SettingsStore {
  // Keep every field that is still valid (above all the key) when one is not.
  const salvage = (json: unknown) => {
    if (typeof json !== 'object' || json === null) return undefined;
    const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
    for (const [k, field] of Object.entries(GenerationSettings.shape)) {
      const r = field.safeParse((json as Record<string, unknown>)[k]);
      if (r.success) out[k] = r.data;
    }
    return out as GenerationSettings;
  };
  const file = jsonFile(path.join(dataDir, 'app', 'settings.json'), GenerationSettings, () => DEFAULT_SETTINGS, salvage);
  return {
    async get() {
      return { ...(await file.read()), ...overrides };
    },
    async update(patch) {
      // Refused before anything is written: INVALID_INPUT naming what is wrong.
      if (patch.baseUrl !== undefined) assertBaseUrl(patch.baseUrl);
      for (const k of Object.keys(patch)) delete overrides[k as keyof GenerationSettings];
      const next = await file.update((cur) => {
        const merged = { ...cur, ...patch };
        // The key belongs to the server it was entered for: pointing the base URL elsewhere
        // without entering a key again drops it, so no one can redirect it to their own server.
        if (patch.apiKey === undefined && originOf(merged.baseUrl) !== originOf(cur.baseUrl)) merged.apiKey = '';
        return merged;
      });
      return { ...next, ...overrides };
    },
  };
}
