// Generation settings, main-side only. The API key is never sent to the renderer.
// Generation owns their schema and defaults; the app settings file embeds them and holds
// the values (electron/app-settings/: <dataDir>/app/config.json, mode 0600 on POSIX; a
// keychain is out of scope).
import { z } from 'zod';
import {
  ApiKey,
  ConnectTimeoutMs,
  ContextTokens,
  IdleTimeoutMs,
  MainPrompt,
  MaxTokens,
  PersonaDescription,
  PersonaName,
  ProviderKind,
  StopSequences,
  Temperature,
  TopP,
  type GenerationSettingsOut,
  type GenerationSettingsPatch,
} from '../../shared/settings-contract.ts';
import { DEFAULT_MAIN_PROMPT } from './prompt/builder.ts';
import { assertBaseUrl } from './url-policy.ts';

export const GenerationSettings = z.object({
  provider: ProviderKind,
  baseUrl: z.string(),
  model: z.string(),
  /** Header-safe (the contract's `ApiKey`): a key the file holds otherwise is dropped at load, with a notice. */
  apiKey: ApiKey,
  paceMs: z.number().int().min(0),
  /** The user persona: `{{user}}` in cards and prompts, and a description sent with the card. */
  personaName: PersonaName,
  personaDescription: PersonaDescription,
  /** The system prompt when a card has none (a card's own may include it as `{{original}}`). */
  mainPrompt: MainPrompt,
  /** Samplers, sent with every OpenAI-compatible request. */
  temperature: Temperature,
  topP: TopP,
  maxTokens: MaxTokens,
  stopSequences: StopSequences,
  /** The model's context window (tokens, estimated): the history is trimmed to fit it. */
  contextTokens: ContextTokens,
  /** An OpenAI-compatible request ends with an error when its answer has not started within this (ms)… */
  connectTimeoutMs: ConnectTimeoutMs,
  /** …or when the answer then sends nothing for this long (ms); the reply so far is kept as interrupted. */
  idleTimeoutMs: IdleTimeoutMs,
});
export type GenerationSettings = z.infer<typeof GenerationSettings>;

export const DEFAULT_GENERATION_SETTINGS: GenerationSettings = {
  provider: 'demo',
  baseUrl: 'http://127.0.0.1:5001/v1',
  model: '',
  apiKey: '',
  paceMs: 30,
  personaName: 'User',
  personaDescription: '',
  mainPrompt: DEFAULT_MAIN_PROMPT,
  temperature: 0.8,
  topP: 0.95,
  maxTokens: 300,
  stopSequences: [],
  contextTokens: 8192,
  connectTimeoutMs: 60_000,
  idleTimeoutMs: 60_000,
};

export interface GenerationSettingsStore {
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
  // Field by field: the source object holds more (the whole settings file, the key).
  return {
    provider: s.provider,
    baseUrl: s.baseUrl,
    model: s.model,
    hasApiKey: s.apiKey.length > 0,
    paceMs: s.paceMs,
    personaName: s.personaName,
    personaDescription: s.personaDescription,
    mainPrompt: s.mainPrompt,
    temperature: s.temperature,
    topP: s.topP,
    maxTokens: s.maxTokens,
    stopSequences: [...s.stopSequences],
    contextTokens: s.contextTokens,
    connectTimeoutMs: s.connectTimeoutMs,
    idleTimeoutMs: s.idleTimeoutMs,
  };
}

/** The generation part of the app settings, as the generation manager and the binding see it. */
export interface GenerationSettingsSource {
  get(): GenerationSettings;
  update(patch: Partial<GenerationSettings>): GenerationSettings;
}

/** `overrides` (from env/CLI) win over the file, e.g. a fast demo pace for tests. */
export function generationSettings(source: GenerationSettingsSource, overrides: Partial<GenerationSettings> = {}): GenerationSettingsStore {
  overrides = { ...overrides };
  return {
    async get() {
      return { ...source.get(), ...overrides };
    },
    async update(patch) {
      // Refused before anything is written: INVALID_INPUT naming what is wrong.
      if (patch.baseUrl !== undefined) assertBaseUrl(patch.baseUrl);
      for (const k of Object.keys(patch)) delete overrides[k as keyof GenerationSettings];
      const cur = source.get();
      const merged = { ...cur, ...patch };
      // The key belongs to the server it was entered for: pointing the base URL elsewhere
      // without entering a key again drops it, so no one can redirect it to their own server.
      if (patch.apiKey === undefined && originOf(merged.baseUrl) !== originOf(cur.baseUrl)) merged.apiKey = '';
      return { ...source.update(merged), ...overrides };
    },
  };
}
