// The IPC contract between the renderer and main: every channel, its request and
// response schema, the events main pushes, and the typed API the renderer sees.
// Pure TypeScript + zod: no node:, DOM or electron imports (both sides import it).
import { z } from 'zod';
import {
  CharacterId,
  ChatId,
  CreateChatInput,
  EpochMs,
  HeaderRecord,
  LIMITS,
  LoadOptions,
  MessageId,
  MessagePatch,
  NewMessageInput,
  Title,
  type ChatPage,
  type ChatSummary,
  type Message,
} from './chat-format.ts';
import { ERROR_CODES, type ErrorInfo } from './errors.ts';

// ---------- response shapes (typed against the store's own interfaces) ----------

export const MessageOut: z.ZodType<Message> = z.looseObject({
  id: z.string(),
  role: z.enum(['user', 'assistant', 'system']),
  content: z.string(),
  timestamp: z.number(),
  name: z.string().optional(),
  swipes: z.array(z.string()).optional(),
  swipe_id: z.number().optional(),
  status: z.enum(['complete', 'streaming', 'interrupted', 'error']).optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
  edited: z.number().optional(),
});

export const ChatSummaryOut: z.ZodType<ChatSummary> = z.object({
  chatId: z.string(),
  characterId: z.string(),
  title: z.string(),
  messageCount: z.number(),
  created: z.number(),
  updated: z.number(),
  preview: z.string().nullable(),
  status: z.enum(['ok', 'corrupt', 'read_only']),
  sizeBytes: z.number(),
});

export const ChatPageOut: z.ZodType<ChatPage> = z.object({
  header: HeaderRecord,
  messages: z.array(MessageOut),
  hasMore: z.boolean(),
  readOnly: z.boolean(),
  warnings: z.array(
    z.object({
      kind: z.enum(['quarantined_line', 'torn_tail', 'repaired', 'orphan_change']),
      message: z.string(),
      offset: z.number().optional(),
      quarantinePath: z.string().optional(),
    }),
  ),
});

export const CharacterName = z.string().trim().min(1).max(LIMITS.titleChars);
export const Character = z.object({ id: CharacterId, name: CharacterName, created: EpochMs });
export type Character = z.infer<typeof Character>;

export const ProviderKind = z.enum(['demo', 'openai']);
/** What the renderer may see of the generation settings: never the API key itself. */
export const GenerationSettingsOut = z.object({
  provider: ProviderKind,
  baseUrl: z.string(),
  model: z.string(),
  hasApiKey: z.boolean(),
  /** Demo generator pace, milliseconds between chunks. */
  paceMs: z.number(),
});
export type GenerationSettingsOut = z.infer<typeof GenerationSettingsOut>;

export const GenerationSettingsPatch = z.strictObject({
  provider: ProviderKind.optional(),
  baseUrl: z.url({ protocol: /^https?$/ }).max(2_000).optional(),
  model: z.string().max(200).optional(),
  /** Write-only. An empty string clears the key. */
  apiKey: z.string().max(1_000).optional(),
  paceMs: z.number().int().min(0).max(10_000).optional(),
});
export type GenerationSettingsPatch = z.infer<typeof GenerationSettingsPatch>;

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

/** regenerate / swipe add a new swipe to `messageId`; new appends a new assistant reply; continue appends to the last message. */
export const GenerateRequest = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('new'), chatId: ChatId }),
  z.strictObject({ mode: z.literal('swipe'), chatId: ChatId, messageId: MessageId }),
  z.strictObject({ mode: z.literal('continue'), chatId: ChatId, messageId: MessageId }),
]);
export type GenerateRequest = z.infer<typeof GenerateRequest>;

export const StreamMode = z.enum(['new', 'swipe', 'continue']);
/** A running stream: the message it writes into and the text it holds so far (for continue, with the old text). */
export const StreamInfo = z.object({ streamId: z.string(), chatId: z.string(), mode: StreamMode, messageId: z.string(), text: z.string() });
export type StreamInfo = z.infer<typeof StreamInfo>;

/** A composer draft is at most one message long. */
export const DraftText = z.string().max(LIMITS.contentChars);

const Empty = z.strictObject({});
const Ok = z.object({ ok: z.literal(true) });
const StreamId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/);

// ---------- the channel map ----------

function channel<Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res) {
  return { request, response };
}

/** Method name → schemas. The wire channel name is `cs:<method>`. */
export const CHANNELS = {
  listCharacters: channel(Empty, z.array(Character)),
  createCharacter: channel(z.strictObject({ name: CharacterName }), Character),
  getActiveCharacter: channel(Empty, z.object({ characterId: z.string().nullable() })),
  setActiveCharacter: channel(z.strictObject({ characterId: CharacterId }), Ok),

  listChats: channel(z.strictObject({ characterId: CharacterId }), z.array(ChatSummaryOut)),
  createChat: channel(CreateChatInput, ChatSummaryOut),
  getChat: channel(z.strictObject({ chatId: ChatId }), ChatSummaryOut),
  loadChat: channel(z.strictObject({ chatId: ChatId, options: LoadOptions.optional() }), ChatPageOut),
  renameChat: channel(z.strictObject({ chatId: ChatId, title: Title }), ChatSummaryOut),
  deleteChat: channel(z.strictObject({ chatId: ChatId }), Ok),
  getActiveChat: channel(z.strictObject({ characterId: CharacterId }), z.object({ chatId: z.string().nullable() })),
  setActiveChat: channel(z.strictObject({ characterId: CharacterId, chatId: ChatId }), Ok),

  appendMessage: channel(z.strictObject({ chatId: ChatId, message: NewMessageInput }), MessageOut),
  /** One durable write for the whole batch; all-or-nothing (imports, fixtures). */
  appendMessages: channel(z.strictObject({ chatId: ChatId, messages: z.array(NewMessageInput).min(1).max(LIMITS.pageSize) }), z.array(MessageOut)),
  updateMessage: channel(z.strictObject({ chatId: ChatId, messageId: MessageId, patch: MessagePatch }), MessageOut),
  deleteMessage: channel(z.strictObject({ chatId: ChatId, messageId: MessageId }), Ok),

  generate: channel(GenerateRequest, z.object({ streamId: z.string() })),
  stopGeneration: channel(z.strictObject({ streamId: StreamId }), z.object({ stopped: z.boolean() })),
  /** Streams running now (after a reload or reconnect the UI shows them again, with Stop). */
  listStreams: channel(Empty, z.array(StreamInfo)),

  getDraft: channel(z.strictObject({ chatId: ChatId }), z.object({ text: z.string() })),
  /** Kept in main at once; written debounced, or now with `flush` (chat switch, page hidden). */
  setDraft: channel(z.strictObject({ chatId: ChatId, text: DraftText, flush: z.boolean().optional() }), Ok),
  getGenerationSettings: channel(Empty, GenerationSettingsOut),
  setGenerationSettings: channel(GenerationSettingsPatch, GenerationSettingsOut),
  getAppSettings: channel(Empty, AppSettingsOut),
  setAppSettings: channel(AppSettingsPatch, AppSettingsOut),
} as const;

export type Channels = typeof CHANNELS;
export type ChannelName = keyof Channels;
export const CHANNEL_NAMES = Object.keys(CHANNELS) as ChannelName[];
export const IPC_PREFIX = 'cs:';
export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && Object.hasOwn(CHANNELS, name);
}

export type RequestOf<K extends ChannelName> = z.input<Channels[K]['request']>;
export type ResponseOf<K extends ChannelName> = z.output<Channels[K]['response']>;

// ---------- the result envelope ----------

export const ErrorInfoSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type Result<T> = { ok: true; data: T } | { ok: false; error: ErrorInfo };
export const ResultEnvelope = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorInfoSchema }),
]);

// ---------- events, main → renderer ----------

export const EVENTS = {
  /** `source: 'external'`: another program changed the file (the watcher saw it); an open chat reloads. */
  'chat:changed': z.object({ chatId: z.string(), characterId: z.string(), summary: ChatSummaryOut.optional(), source: z.enum(['app', 'external']).optional() }),
  /** `nextChatId`: the character's chat now active (the next most recent), or null when none is left. */
  'chat:removed': z.object({ chatId: z.string(), characterId: z.string(), source: z.enum(['app', 'external']).optional(), nextChatId: z.string().nullable().optional() }),
  'characters:changed': z.object({}),
  notice: z.object({ level: z.enum(['info', 'warning', 'error']), code: z.string().optional(), message: z.string() }),
  /** A stream is bound to its chat at birth; the chat id never changes afterwards. */
  'stream:start': z.object({ streamId: z.string(), chatId: z.string(), mode: StreamMode, messageId: z.string().optional(), text: z.string().optional() }),
  'stream:chunk': z.object({ streamId: z.string(), chatId: z.string(), delta: z.string() }),
  'stream:end': z.object({
    streamId: z.string(),
    chatId: z.string(),
    status: z.enum(['complete', 'stopped', 'error']),
    messageId: z.string().optional(),
    message: MessageOut.optional(),
    error: ErrorInfoSchema.optional(),
  }),
} as const;
export type EventName = keyof typeof EVENTS;
export type EventPayload<E extends EventName> = z.output<(typeof EVENTS)[E]>;
export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(EVENTS, name);
}

// ---------- the typed API: the only thing the renderer knows ----------

export type Unsubscribe = () => void;
export type CardsharkApi = {
  [K in ChannelName]: (request: RequestOf<K>) => Promise<Result<ResponseOf<K>>>;
} & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe;
  /** 'electron' or 'browser': for diagnostics only, the UI must not branch on it. */
  readonly transport: 'electron' | 'browser';
};
