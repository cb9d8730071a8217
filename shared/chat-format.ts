// The CardShark chat file format, version 1 (see docs/FORMAT.md).
// One JSONL file per chat: line 1 is the header, every later line is a record.
// A record is either a message's first appearance (no `op` key) or a change
// to an earlier message or to the chat (`op` key). Later changes supersede
// earlier ones; logical message order is the order of first appearance.
import { z } from 'zod';
import { MAX_NESTING, plainDataIssue } from './plain-data.ts';

export const FORMAT_NAME = 'cardshark-chat';
export const FORMAT_VERSION = 1;

/** Limits that keep one bad call from bloating a chat or the process. */
export const LIMITS = {
  contentChars: 1_000_000,
  titleChars: 200,
  idChars: 128,
  extraJsonChars: 256_000,
  swipes: 1_000,
  pageSize: 1_000,
  /** Serialised size of one message record with all its swipes and extra: the store refuses larger (TOO_LARGE). */
  recordBytes: 4 * 1024 * 1024,
  metadataJsonChars: 64_000,
} as const;

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** Ids double as file and folder names, so they are restricted to a safe alphabet. */
export const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const ChatId = z.string().regex(UUID_V4, 'chat id must be a lowercase UUID v4');
export const CharacterId = z
  .string()
  .min(1)
  .max(LIMITS.idChars)
  .regex(SAFE_ID, 'character id may hold only letters, digits, "_", "-" and "."')
  .refine((s) => !s.includes('..'), 'character id may not contain ".."');
export const MessageId = z
  .string()
  .min(1)
  .max(LIMITS.idChars)
  .regex(SAFE_ID, 'message id may hold only letters, digits, "_", "-" and "."');
/** The largest epoch-ms a Date can hold. */
export const MAX_EPOCH_MS = 8_640_000_000_000_000;
export const EpochMs = z.number().int().min(0).max(MAX_EPOCH_MS);
export const Role = z.enum(['user', 'assistant', 'system']);
export const MessageStatus = z.enum(['complete', 'streaming', 'interrupted', 'error']);
export const Content = z.string().max(LIMITS.contentChars);
export const Title = z.string().trim().min(1).max(LIMITS.titleChars);
/** Serialised length (only called on plain data, which always serialises). */
function jsonLength(x: unknown): number {
  return JSON.stringify(x).length;
}

/**
 * A free-form object: plain JSON data, nested at most MAX_NESTING levels, and (when given) at
 * most `maxChars` characters of JSON. Used for inputs and for records read from disk alike, so
 * a line no reader could hand out is quarantined instead of failing the whole chat.
 */
function freeForm(what: string, maxChars = Infinity) {
  return z.record(z.string(), z.unknown()).superRefine((x, ctx) => {
    const issue = plainDataIssue(x);
    if (issue) ctx.addIssue({ code: 'custom', message: `${what} must be plain JSON data: ${issue}` });
    else if (maxChars !== Infinity && jsonLength(x) > maxChars) ctx.addIssue({ code: 'custom', message: `${what} is too large (over ${maxChars} characters of JSON)` });
  });
}

/**
 * Unknown keys of a record are kept (forward compatibility), so they get the same limit: the
 * whole record is plain data nested at most one level more than a free-form field.
 */
function boundedRecord(x: object, ctx: { addIssue: (i: { code: 'custom'; message: string }) => void }): void {
  const issue = plainDataIssue(x, MAX_NESTING + 1);
  if (issue) ctx.addIssue({ code: 'custom', message: `record must be plain JSON data: ${issue}` });
}

/** Fields carried through from imports (SillyTavern's `extra`, gen times...). Never dropped. */
export const Extra = freeForm('extra', LIMITS.extraJsonChars);
/** Small chat metadata; kept small so the header line stays cheap to read. */
export const ChatMetadata = freeForm('metadata', LIMITS.metadataJsonChars);

export const HeaderRecord = z.looseObject({
  format: z.literal(FORMAT_NAME),
  version: z.number().int().min(1),
  chat_id: ChatId,
  character_id: CharacterId,
  /** Creation time, epoch ms. */
  timestamp: EpochMs,
  title: Title,
  metadata: freeForm('metadata').default({}),
  /** Written by compaction: the newest record time folded in (renames, edits, deletes). */
  updated: EpochMs.optional(),
  /**
   * Written by compaction: the chat's revision is `revision_base` (default 0) plus the bytes after
   * the header line, so it keeps increasing across a rewrite that makes the file smaller (FORMAT.md).
   */
  revision_base: z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).optional(),
}).superRefine(boundedRecord);
export type HeaderRecord = z.infer<typeof HeaderRecord>;

/** A message's first appearance. `content` is always the selected swipe's text. */
export const MessageRecord = z
  .looseObject({
    id: MessageId,
    role: Role,
    content: Content,
    timestamp: EpochMs,
    name: z.string().max(LIMITS.titleChars).optional(),
    swipes: z.array(Content).min(1).max(LIMITS.swipes).optional(),
    swipe_id: z.number().int().min(0).optional(),
    status: MessageStatus.optional(),
    extra: Extra.optional(),
    /** Left out of the prompt (shown dimmed). Absent: see isHidden (an imported SillyTavern `is_system`). */
    hidden: z.boolean().optional(),
  })
  .refine((m) => !('op' in m), 'a message record has no op')
  .superRefine(boundedRecord);
export type MessageRecord = z.infer<typeof MessageRecord>;

const opBase = { id: MessageId, timestamp: EpochMs };
export const EditOp = z.looseObject({
  op: z.literal('edit'),
  ...opBase,
  content: Content.optional(),
  status: MessageStatus.optional(),
  name: z.string().max(LIMITS.titleChars).optional(),
  extra: Extra.optional(),
  hidden: z.boolean().optional(),
}).superRefine(boundedRecord);
export const SwipeAddOp = z.looseObject({ op: z.literal('swipe_add'), ...opBase, content: Content, status: MessageStatus.optional() }).superRefine(boundedRecord);
export const SwipeSelectOp = z.looseObject({ op: z.literal('swipe_select'), ...opBase, index: z.number().int().min(0) }).superRefine(boundedRecord);
export const DeleteOp = z.looseObject({ op: z.literal('delete'), ...opBase }).superRefine(boundedRecord);
/** Appends `text` to the selected swipe (a streamed reply's checkpoint: only the new text is written). */
export const AppendTextOp = z.looseObject({ op: z.literal('append_text'), ...opBase, text: Content, status: MessageStatus.optional() }).superRefine(boundedRecord);
export const MetaOp = z.looseObject({
  op: z.literal('meta'),
  timestamp: EpochMs,
  title: Title.optional(),
  metadata: freeForm('metadata').optional(),
}).superRefine(boundedRecord);
export const MessageOp = z.discriminatedUnion('op', [EditOp, SwipeAddOp, SwipeSelectOp, DeleteOp, AppendTextOp]);
export type MessageOp = z.infer<typeof MessageOp>;
export type MetaOp = z.infer<typeof MetaOp>;
export const ChangeRecord = z.discriminatedUnion('op', [EditOp, SwipeAddOp, SwipeSelectOp, DeleteOp, AppendTextOp, MetaOp]);
export type ChangeRecord = z.infer<typeof ChangeRecord>;

/** A message as the store hands it out: the base record with every change applied. */
export interface Message {
  id: string;
  role: z.infer<typeof Role>;
  content: string;
  timestamp: number;
  name?: string;
  swipes?: string[];
  swipe_id?: number;
  status?: z.infer<typeof MessageStatus>;
  extra?: Record<string, unknown>;
  /** Time of the newest change applied to this message, when it was changed after creation. */
  edited?: number;
  /** Hidden from the prompt (Hide / Unhide); see isHidden for messages that never said. */
  hidden?: boolean;
  [key: string]: unknown;
}

// ---- Inputs accepted by the store's public API (validated at the boundary) ----

export const CreateChatInput = z.strictObject({
  characterId: CharacterId,
  title: Title.optional(),
  metadata: ChatMetadata.optional(),
});
export type CreateChatInput = z.infer<typeof CreateChatInput>;

export const NewMessageInput = z.strictObject({
  /** A client-chosen id makes retries idempotent-safe: a duplicate id is refused with CONFLICT. */
  id: MessageId.optional(),
  role: Role,
  content: Content,
  timestamp: EpochMs.optional(),
  name: z.string().max(LIMITS.titleChars).optional(),
  swipes: z.array(Content).min(1).max(LIMITS.swipes).optional(),
  swipe_id: z.number().int().min(0).optional(),
  status: MessageStatus.optional(),
  extra: Extra.optional(),
});
export type NewMessageInput = z.infer<typeof NewMessageInput>;

export const MessagePatch = z
  .strictObject({
    /** Replaces the text of the selected swipe. */
    content: Content.optional(),
    status: MessageStatus.optional(),
    name: z.string().max(LIMITS.titleChars).optional(),
    /** Shallow-merged into the message's extra. */
    extra: Extra.optional(),
    /** Hides the message from the prompt (true) or shows it again (false). */
    hidden: z.boolean().optional(),
    /** Adds a new swipe with this text and selects it. */
    addSwipe: Content.optional(),
    /** Selects an existing swipe by index. */
    selectSwipe: z.number().int().min(0).optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'patch is empty')
  .refine(
    // `status` may come with addSwipe: a swipe being generated is stored as `streaming` in one write.
    (p) => [p.content !== undefined || (p.status !== undefined && p.addSwipe === undefined) || p.name !== undefined || p.extra !== undefined || p.hidden !== undefined, p.addSwipe !== undefined, p.selectSwipe !== undefined].filter(Boolean).length === 1,
    'a patch either edits fields, adds a swipe (with an optional status), or selects a swipe: one at a time',
  );
export type MessagePatch = z.infer<typeof MessagePatch>;

export const LoadOptions = z.strictObject({
  limit: z.number().int().min(1).max(LIMITS.pageSize).optional(),
  /** Id of a message; the page ends just before it. */
  before: MessageId.optional(),
  /** Id of a message; the page holds it with the messages around it (a jump to a search match). */
  around: MessageId.optional(),
  /** Id of a message; the page starts just after it (paging newer from a jump). */
  after: MessageId.optional(),
}).refine((o) => [o.before, o.around, o.after].filter((x) => x !== undefined).length <= 1, 'use one of before, around and after');
export type LoadOptions = z.infer<typeof LoadOptions>;

export interface ChatSummary {
  chatId: string;
  characterId: string;
  title: string;
  messageCount: number;
  created: number;
  updated: number;
  /** First characters of the newest message, or null for an empty chat. */
  preview: string | null;
  /** ok, or why the chat cannot be written: a damaged header, an unknown format version. */
  status: 'ok' | 'corrupt' | 'read_only';
  /** Set when status is read_only: why (the UI names it, and offers Repair only for a torn line). */
  readOnlyReason?: ReadOnlyReason;
  sizeBytes: number;
  /** Increases with every write to the chat (FORMAT.md, *Revisions*); pass it back as `expectedRevision`. */
  revision: number;
  /** Set for a branch ("Branch from here"): the chat and message it was made from, and that chat's title then. */
  branchOf?: { chatId: string; messageId: string; title: string };
}

/**
 * Why a readable chat is read-only: its header states a newer format version (never written by
 * this app), or its last line is incomplete and another program wrote it (it may still be writing:
 * kept until it is complete, or until the user repairs the chat, which cuts it into quarantine).
 */
export const READ_ONLY_REASONS = ['newer_format', 'incomplete_last_line'] as const;
export type ReadOnlyReason = (typeof READ_ONLY_REASONS)[number];

export interface LoadWarning {
  kind: 'quarantined_line' | 'torn_tail' | 'repaired' | 'orphan_change';
  message: string;
  offset?: number;
  /** Relative to the data directory. */
  quarantinePath?: string;
}

export interface ChatPage {
  header: HeaderRecord;
  messages: Message[];
  /** True when older messages exist before this page. */
  hasMore: boolean;
  /** True when newer messages exist after this page (only `around` and `after` pages can say so). */
  hasNewer?: boolean;
  readOnly: boolean;
  /** Set when readOnly: why. */
  readOnlyReason?: ReadOnlyReason;
  warnings: LoadWarning[];
  /** The chat's revision when this page was read. */
  revision: number;
}

/** Optional on every mutation: a stale revision gets CONFLICT (details.revision: the current one) and nothing is written. */
export interface WriteOptions {
  expectedRevision?: number;
  /**
   * A change of one message (appendText, updateMessage, deleteMessage): the message as the caller
   * last had it (a streamed reply's last checkpoint). If it reads otherwise now (another program
   * changed it, even if a read took in that change since), CONFLICT and nothing is written.
   */
  expectedMessage?: Message;
}

export const PREVIEW_CHARS = 120;

/**
 * Whether a message is left out of the prompt: its own `hidden` when set (Hide / Unhide), else
 * whether it was a hidden SillyTavern message (`is_system: true`, kept in extra.sillytavern by
 * the import), so chats imported before `hidden` existed stay hidden too.
 */
export function isHidden(m: Pick<Message, 'hidden' | 'extra'>): boolean {
  if (typeof m.hidden === 'boolean') return m.hidden;
  const st = m.extra?.sillytavern;
  return typeof st === 'object' && st !== null && (st as Record<string, unknown>).is_system === true;
}

/** Find in chat: the text searched for, and how many matches (a page of them, the newest by default) come back with ids. */
export const SearchQuery = z.string().min(1).max(200);
export const SearchLimit = z.number().int().min(1).max(500);
/** Where a page of matches starts among all of them, in chat order (0: the oldest match). */
export const SearchOffset = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
