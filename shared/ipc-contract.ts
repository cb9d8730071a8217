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
  READ_ONLY_REASONS,
  SearchLimit,
  SearchOffset,
  SearchQuery,
  Title,
  type ChatPage,
  type ChatSummary,
  type Message,
} from './chat-format.ts';
import { ERROR_CODES, type ErrorInfo } from './errors.ts';
import { CardBytes, CardDataPatch, CharacterCard } from './character-card.ts';

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
  hidden: z.boolean().optional(),
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
  readOnlyReason: z.enum(READ_ONLY_REASONS).optional(),
  sizeBytes: z.number(),
  revision: z.number(),
  branchOf: z.object({ chatId: z.string(), messageId: z.string(), title: z.string() }).optional(),
});

export const ChatPageOut: z.ZodType<ChatPage> = z.object({
  header: HeaderRecord,
  messages: z.array(MessageOut),
  hasMore: z.boolean(),
  hasNewer: z.boolean().optional(),
  readOnly: z.boolean(),
  readOnlyReason: z.enum(READ_ONLY_REASONS).optional(),
  warnings: z.array(
    z.object({
      kind: z.enum(['quarantined_line', 'torn_tail', 'repaired', 'orphan_change']),
      message: z.string(),
      offset: z.number().optional(),
      quarantinePath: z.string().optional(),
    }),
  ),
  revision: z.number(),
});

const TrashId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.\d{1,16}$/).refine((s) => !s.includes('..'), 'bad trash id');

// Each part's schemas live in their own file; re-exported for one import path.
export * from './recovery-contract.ts';
import { BackupId, BackupOut, ChatTrashId, RepairResultOut, TrashedChatOut, ValidationReportOut } from './recovery-contract.ts';
export * from './search-contract.ts';
import { LibrarySearchLimit, LibrarySearchOut, SearchResultOut } from './search-contract.ts';
export * from './character-contract.ts';
import { Character, CharacterName, DeletedCharacter, ImportCharacterResult, OnCardConflict, PreviousCard, PreviousCardId } from './character-contract.ts';
export * from './settings-contract.ts';
import { AppSettingsOut, AppSettingsPatch, ConnectionTestOut, GenerationSettingsOut, GenerationSettingsPatch } from './settings-contract.ts';
export * from './prompt-contract.ts';
import { AuthorsNoteSchema, PromptPreviewOut } from './prompt-contract.ts';
export * from './persona-contract.ts';
import { PERSONA_CHANNELS } from './persona-contract.ts';

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
/** On every chat mutation: a stale one gets CONFLICT (details.reason 'revision', details.revision) and nothing is written. */
const ExpectedRevision = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional();
const Ok = z.object({ ok: z.literal(true) });
const StreamId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/);

// ---------- the channel map ----------

function channel<Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res) {
  return { request, response };
}

/** A chat file picked or dropped in the app crosses IPC as bytes (base64), as large as a card file may be. */
export const ChatFileBytes = CardBytes;
export const ChatImportResult = z.object({
  chats: z.array(
    z.object({
      chatId: ChatId,
      characterId: CharacterId,
      title: z.string(),
      messageCount: z.number().int().min(0),
      /** already_imported: the same file was imported before; nothing was written. */
      status: z.enum(['created', 'already_imported']),
      /** Lines of the file that could not be imported (reported by number in main's log). */
      linesNotImported: z.number().int().min(0),
    }),
  ),
  /** Chats in the file that could not be imported at all, with the reason. */
  failed: z.array(z.string()),
});
export type ChatImportResult = z.infer<typeof ChatImportResult>;

/**
 * A chat file of any size crosses IPC in chunks of this many bytes (base64 on the wire), each
 * acknowledged before the next. 1 MiB, not 4: each chunk is a few times its size in strings and
 * buffers in main until the GC gets to them; 4 MiB chunks put the host's peak of a
 * 1,000,000-message upload ~25 MB higher, and sent no faster.
 */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;
/** The largest chat file the app takes in one upload (the import itself is streamed: memory stays bounded). */
export const MAX_UPLOAD_BYTES = 16 * 1024 * 1024 * 1024;
const UploadId = z.string().regex(/^[0-9a-f]{32}$/);
const UploadChunk = z
  .string()
  .max(Math.ceil(UPLOAD_CHUNK_BYTES / 3) * 4 + 4, `a chunk is larger than ${UPLOAD_CHUNK_BYTES / 1048576} MiB`)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');

/** Method name → schemas. The wire channel name is `cs:<method>`. */
export const CHANNELS = {
  listCharacters: channel(Empty, z.array(Character)),
  createCharacter: channel(z.strictObject({ name: CharacterName }), Character),
  getActiveCharacter: channel(Empty, z.object({ characterId: z.string().nullable() })),
  setActiveCharacter: channel(z.strictObject({ characterId: CharacterId }), Ok),
  /** The full card (V2 field names). */
  getCharacter: channel(z.strictObject({ id: CharacterId }), CharacterCard),
  updateCharacter: channel(z.strictObject({ id: CharacterId, card: CardDataPatch }), CharacterCard),
  /** A PNG (chara/ccv3 chunks) or JSON card file's bytes. A card whose own id is here already: see OnCardConflict (default 'new'). */
  importCharacter: channel(
    z.strictObject({ fileName: z.string().max(500).optional(), bytesBase64: CardBytes, onConflict: OnCardConflict.optional() }),
    ImportCharacterResult,
  ),
  /** The cards an import replaced (newest first), kept whole with their pictures. */
  listPreviousCards: channel(z.strictObject({ id: CharacterId }), z.array(PreviousCard)),
  /** Puts a previous card back; the current one becomes a previous card in turn ('replaced'), or nothing changes ('unchanged'). */
  restorePreviousCard: channel(z.strictObject({ id: CharacterId, versionId: PreviousCardId }), ImportCharacterResult),
  exportCharacter: channel(
    z.strictObject({ id: CharacterId, format: z.enum(['png', 'json']) }),
    z.object({ fileName: z.string(), mime: z.enum(['image/png', 'application/json']), bytesBase64: z.string() }),
  ),
  /** A small PNG (at most 96 px) as a data: URL, or null when the character has no picture. */
  getCharacterAvatar: channel(z.strictObject({ id: CharacterId }), z.object({ dataUrl: z.string().startsWith('data:image/png;base64,').nullable() })),
  /** Card and chats to the trash; nothing destroyed. */
  deleteCharacter: channel(z.strictObject({ id: CharacterId }), Ok),
  listDeletedCharacters: channel(Empty, z.array(DeletedCharacter)),
  restoreCharacter: channel(z.strictObject({ trashId: TrashId }), Character),

  listChats: channel(z.strictObject({ characterId: CharacterId }), z.array(ChatSummaryOut)),
  createChat: channel(CreateChatInput, ChatSummaryOut),
  getChat: channel(z.strictObject({ chatId: ChatId }), ChatSummaryOut),
  loadChat: channel(z.strictObject({ chatId: ChatId, options: LoadOptions.optional() }), ChatPageOut),
  /** Find in chat: searched by main over the whole file; the total, and a page of `limit` (≤500) matches with ids from `offset` in chat order (default: the newest). */
  searchChat: channel(z.strictObject({ chatId: ChatId, query: SearchQuery, limit: SearchLimit.optional(), offset: SearchOffset.optional() }), SearchResultOut),
  /** Every chat, title and character name: words, "a phrase", word* (a prefix); case and accents ignored. */
  searchLibrary: channel(z.strictObject({ query: SearchQuery, limit: LibrarySearchLimit.optional() }), LibrarySearchOut),
  renameChat: channel(z.strictObject({ chatId: ChatId, title: Title, expectedRevision: ExpectedRevision }), ChatSummaryOut),
  deleteChat: channel(z.strictObject({ chatId: ChatId, expectedRevision: ExpectedRevision }), Ok),
  /** "Branch from here": a new chat with the history up to `messageId` (inclusive), linked to its parent (summary.branchOf). */
  branchChat: channel(z.strictObject({ chatId: ChatId, messageId: MessageId, title: Title.optional() }), ChatSummaryOut),
  getActiveChat: channel(z.strictObject({ characterId: CharacterId }), z.object({ chatId: z.string().nullable() })),
  setActiveChat: channel(z.strictObject({ characterId: CharacterId, chatId: ChatId }), Ok),

  /** A SillyTavern, legacy CardShark or v1 chat file; its chats go to `characterId` when given. Idempotent. */
  importChatFile: channel(z.strictObject({ fileName: z.string().min(1).max(500), bytesBase64: ChatFileBytes, characterId: CharacterId.optional() }), ChatImportResult),
  /** A chat file of any size: start, send every chunk in order (each call answered before the next), finish (the import runs, with `import:progress`); Cancel at any time leaves nothing. */
  importUploadStart: channel(z.strictObject({ fileName: z.string().min(1).max(500), size: z.number().int().min(0).max(MAX_UPLOAD_BYTES), characterId: CharacterId.optional() }), z.object({ uploadId: UploadId, chunkBytes: z.number().int() })),
  importUploadChunk: channel(z.strictObject({ uploadId: UploadId, offset: z.number().int().min(0), bytesBase64: UploadChunk }), z.object({ received: z.number().int() })),
  importUploadFinish: channel(z.strictObject({ uploadId: UploadId }), ChatImportResult),
  importUploadCancel: channel(z.strictObject({ uploadId: UploadId }), Ok),
  /**
   * Electron only (capabilities.pickChatFile): main shows the system's open dialog and reads the file
   * picked from its path (the renderer sends no bytes and names no path). `picked` is null when the
   * user closed the dialog; else the file is ready to import: importUploadFinish runs the import
   * (with `import:progress`), importUploadCancel drops it. The browser host answers INVALID_INPUT
   * (details.reason 'unavailable'): there the file is sent in chunks.
   */
  importPickedChat: channel(z.strictObject({ characterId: CharacterId.optional() }), z.object({ picked: z.object({ uploadId: UploadId, fileName: z.string(), size: z.number().int().min(0) }).nullable() })),
  exportChat: channel(z.strictObject({ chatId: ChatId, format: z.enum(['st', 'v1']) }), z.object({ fileName: z.string(), mime: z.literal('application/jsonl'), bytesBase64: z.string() })),

  appendMessage: channel(z.strictObject({ chatId: ChatId, message: NewMessageInput, expectedRevision: ExpectedRevision }), MessageOut),
  /** One durable write for the whole batch; all-or-nothing (imports, fixtures). */
  appendMessages: channel(z.strictObject({ chatId: ChatId, messages: z.array(NewMessageInput).min(1).max(LIMITS.pageSize), expectedRevision: ExpectedRevision }), z.array(MessageOut)),
  updateMessage: channel(z.strictObject({ chatId: ChatId, messageId: MessageId, patch: MessagePatch, expectedRevision: ExpectedRevision }), MessageOut),
  deleteMessage: channel(z.strictObject({ chatId: ChatId, messageId: MessageId, expectedRevision: ExpectedRevision }), Ok),

  generate: channel(GenerateRequest, z.object({ streamId: z.string() })),
  /** Writes the user's next message into the composer (impersonate:chunk / impersonate:end); nothing is stored in the chat. Stop with stopGeneration. */
  impersonate: channel(z.strictObject({ chatId: ChatId }), z.object({ streamId: z.string() })),
  stopGeneration: channel(z.strictObject({ streamId: StreamId }), z.object({ stopped: z.boolean() })),
  /** Streams running now (after a reload or reconnect the UI shows them again, with Stop). */
  listStreams: channel(Empty, z.array(StreamInfo)),

  getDraft: channel(z.strictObject({ chatId: ChatId }), z.object({ text: z.string() })),
  /** Kept in main at once; written debounced, or now with `flush` (chat switch, page hidden). */
  setDraft: channel(z.strictObject({ chatId: ChatId, text: DraftText, flush: z.boolean().optional() }), Ok),
  getGenerationSettings: channel(Empty, GenerationSettingsOut),
  setGenerationSettings: channel(GenerationSettingsPatch, GenerationSettingsOut),
  /** A small request (GET <base>/models) to the saved endpoint, under the same URL policy as generation. */
  testConnection: channel(Empty, ConnectionTestOut),
  /** The chat's author's note (empty text when it has none). */
  getAuthorsNote: channel(z.strictObject({ chatId: ChatId }), AuthorsNoteSchema),
  /** Stored with the chat (a meta record): it has the store's guarantees. */
  setAuthorsNote: channel(z.strictObject({ chatId: ChatId, note: AuthorsNoteSchema, expectedRevision: ExpectedRevision }), ChatSummaryOut),
  /** What the next reply's request would send (the prompt viewer). */
  previewPrompt: channel(z.strictObject({ chatId: ChatId }), PromptPreviewOut),
  getAppSettings: channel(Empty, AppSettingsOut),

  /** Full validation of a chat file: problems with line, byte range and kind, and the repair plan. */
  validateChat: channel(z.strictObject({ chatId: ChatId }), ValidationReportOut),
  /** Quarantine, backup, atomic rewrite; READ_ONLY for a newer format. */
  repairChat: channel(z.strictObject({ chatId: ChatId }), RepairResultOut),
  listBackups: channel(z.strictObject({ chatId: ChatId }), z.array(BackupOut)),
  /** The current state is backed up first: `undoBackupId` restores it. */
  restoreBackup: channel(z.strictObject({ chatId: ChatId, backupId: BackupId }), z.object({ undoBackupId: z.string().nullable() })),
  listDeletedChats: channel(Empty, z.array(TrashedChatOut)),
  /** The copy `trashId` names, else the newest. A copy named while its chat id is live comes back under a new id (the summary's). */
  undeleteChat: channel(z.strictObject({ chatId: ChatId, trashId: ChatTrashId.optional() }), ChatSummaryOut),
  setAppSettings: channel(AppSettingsPatch, AppSettingsOut),
  ...PERSONA_CHANNELS,
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
  /**
   * A chat changed (in this or another window, or outside the app). `revision` is the chat's
   * revision after the change (also in `summary`); `messages` are the messages added or changed, in
   * their new state, `deletedIds` the messages deleted. Without either, a window showing the chat
   * reloads it if `revision` is newer than what it shows.
   */
  'chat:changed': z.object({
    chatId: z.string(),
    characterId: z.string(),
    summary: ChatSummaryOut.optional(),
    revision: z.number().optional(),
    messages: z.array(MessageOut).optional(),
    deletedIds: z.array(z.string()).optional(),
    /** 'external': another program changed the file (the watcher saw it); an open chat reloads. */
    source: z.enum(['app', 'external']).optional(),
  }),
  /** `nextChatId`: the character's chat now active (the next most recent), or null when none is left. */
  'chat:removed': z.object({ chatId: z.string(), characterId: z.string(), source: z.enum(['app', 'external']).optional(), nextChatId: z.string().nullable().optional() }),
  /** The chat index is being rebuilt in the background (a missing or stale index.json): chats indexed so far, of all. */
  'index:progress': z.object({ done: z.number(), total: z.number(), ready: z.boolean() }),
  'characters:changed': z.object({}),
  /** A persona was added, changed or removed, the default or a chat's choice changed. */
  'personas:changed': z.object({ chatId: z.string().optional() }),
  /** An upload's progress: its bytes received ('upload'), then the import's reading and writing. */
  'import:progress': z.object({ uploadId: z.string(), fileName: z.string(), phase: z.string(), bytesRead: z.number(), bytesTotal: z.number(), messagesWritten: z.number() }),
  notice: z.object({ level: z.enum(['info', 'warning', 'error']), code: z.string().optional(), message: z.string() }),
  /** This process lost the data-folder lock (another CardShark took the folder over): it saves nothing more until restarted. */
  'store:lock-lost': z.object({ message: z.string() }),
  /** A stream is bound to its chat at birth; the chat id never changes afterwards. */
  'stream:start': z.object({ streamId: z.string(), chatId: z.string(), mode: StreamMode, messageId: z.string().optional(), text: z.string().optional() }),
  'stream:chunk': z.object({ streamId: z.string(), chatId: z.string(), delta: z.string() }),
  /** Impersonate: text for the composer of `chatId` (never written to the chat file). */
  'impersonate:chunk': z.object({ streamId: z.string(), chatId: z.string(), delta: z.string() }),
  'impersonate:end': z.object({ streamId: z.string(), chatId: z.string(), status: z.enum(['complete', 'stopped', 'error']), text: z.string(), error: ErrorInfoSchema.optional() }),
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
export interface ApiCapabilities {
  /** importPickedChat works: main opens a file dialog and reads the picked file itself (Electron). */
  readonly pickChatFile: boolean;
}
export type CardsharkApi = {
  [K in ChannelName]: (request: RequestOf<K>) => Promise<Result<ResponseOf<K>>>;
} & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe;
  /** 'electron' or 'browser': for diagnostics only, the UI must not branch on it. */
  readonly transport: 'electron' | 'browser';
  /** What this host can do beyond the channels every host serves: the UI branches on these. */
  readonly capabilities: ApiCapabilities;
};
