// The settings in the IPC contract: generation settings (provider, persona, prompt, samplers;
// never the API key on the way out), "Test connection", and the app settings with their ranges.
// Main validates its own settings files with these same ranges.
import { z } from 'zod';
export const ProviderKind = z.enum(['demo', 'openai']);

/** Ranges of the prompt and sampler settings: the settings file is held to them too. */
export const PersonaName = z.string().trim().min(1).max(100);
export const PersonaDescription = z.string().max(20_000);
export const MainPrompt = z.string().max(20_000);
export const Temperature = z.number().min(0).max(5);
export const TopP = z.number().min(0).max(1);
export const MaxTokens = z.number().int().min(1).max(32_768);
export const StopSequences = z.array(z.string().min(1).max(200)).max(16);
/** The model's context window in tokens: the prompt gets this minus the reply's max tokens. */
export const ContextTokens = z.number().int().min(512).max(1_048_576);
/**
 * The API key goes into an HTTP header: printable ASCII and Latin-1 only. A line break, NUL or
 * other control character would make fetch refuse the header and quote it in its error.
 */
// eslint-disable-next-line no-control-regex
export const HEADER_SAFE = /^[\x20-\x7e\xa0-\xff]*$/;
export const ApiKey = z
  .string()
  .max(1_000)
  .regex(HEADER_SAFE, 'the API key may hold only printable characters: no line breaks, tabs, NUL or other control characters, nothing beyond Latin-1');
/** How long a generation request may wait for the endpoint's answer to start, and then for each next byte (ms). */
export const ConnectTimeoutMs = z.number().int().min(1_000).max(600_000);
export const IdleTimeoutMs = z.number().int().min(1_000).max(600_000);

/** What the renderer may see of the generation settings: never the API key itself. */
export const GenerationSettingsOut = z.object({
  provider: ProviderKind,
  baseUrl: z.string(),
  model: z.string(),
  hasApiKey: z.boolean(),
  /** Demo generator pace, milliseconds between chunks. */
  paceMs: z.number(),
  personaName: z.string(),
  personaDescription: z.string(),
  mainPrompt: z.string(),
  temperature: z.number(),
  topP: z.number(),
  maxTokens: z.number(),
  stopSequences: z.array(z.string()),
  contextTokens: z.number(),
  connectTimeoutMs: z.number(),
  idleTimeoutMs: z.number(),
});
export type GenerationSettingsOut = z.infer<typeof GenerationSettingsOut>;

export const GenerationSettingsPatch = z.strictObject({
  provider: ProviderKind.optional(),
  baseUrl: z.url({ protocol: /^https?$/ }).max(2_000).optional(),
  model: z.string().max(200).optional(),
  /** Write-only. An empty string clears the key. */
  apiKey: ApiKey.optional(),
  paceMs: z.number().int().min(0).max(10_000).optional(),
  personaName: PersonaName.optional(),
  personaDescription: PersonaDescription.optional(),
  mainPrompt: MainPrompt.optional(),
  temperature: Temperature.optional(),
  topP: TopP.optional(),
  maxTokens: MaxTokens.optional(),
  stopSequences: StopSequences.optional(),
  contextTokens: ContextTokens.optional(),
  connectTimeoutMs: ConnectTimeoutMs.optional(),
  idleTimeoutMs: IdleTimeoutMs.optional(),
});
export type GenerationSettingsPatch = z.infer<typeof GenerationSettingsPatch>;

/**
 * "Test connection": one small request to the saved endpoint. `message` is ours (status and the
 * parsed error.message at most), never the raw body.
 */
export const ConnectionTestOut = z.object({
  ok: z.boolean(),
  status: z.number().int().optional(),
  message: z.string().max(500),
  /** Model ids the server lists (first 50), when it answered GET /models. */
  models: z.array(z.string().max(200)).max(50).optional(),
});
export type ConnectionTestOut = z.infer<typeof ConnectionTestOut>;

/** App settings besides generation; the ranges are the contract, main validates its file with them too. */
export const AutosaveIntervalMs = z.number().int().min(100).max(60_000);
export const BackupRetention = z.number().int().min(1).max(100);
export const QuitFlushTimeoutMs = z.number().int().min(1_000).max(120_000);
export const AppSettingsOut = z.object({
  autosaveIntervalMs: AutosaveIntervalMs,
  backupRetention: BackupRetention,
  quitFlushTimeoutMs: QuitFlushTimeoutMs,
  /** What happened when the settings file was opened (a damaged file kept aside, a migration). */
  notices: z.array(z.string().max(1_000)).max(10),
});
export type AppSettingsOut = z.infer<typeof AppSettingsOut>;
export const AppSettingsPatch = z.strictObject({
  autosaveIntervalMs: AutosaveIntervalMs.optional(),
  backupRetention: BackupRetention.optional(),
  quitFlushTimeoutMs: QuitFlushTimeoutMs.optional(),
});
export type AppSettingsPatch = z.infer<typeof AppSettingsPatch>;
