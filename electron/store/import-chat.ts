// Validation and serialisation of a whole imported chat (store.importChat). Every message goes
// through the shared zod schemas before a byte is written; the result is one text, written by
// the store in a single atomic rewrite, so an import is all or nothing.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  ChatId,
  ChatMetadata,
  CharacterId,
  EpochMs,
  FORMAT_NAME,
  FORMAT_VERSION,
  LIMITS,
  MessageRecord,
  PREVIEW_CHARS,
  Title,
  type HeaderRecord,
  type Message,
} from '../../shared/chat-format.ts';
import { StoreError } from '../../shared/errors.ts';
import type { FullState } from './compaction.ts';
import { NumberSet } from './number-set.ts';
import { serialize } from './records.ts';
import { runAtOnce, runSliced, type Steps } from './time-slices.ts';

export const ImportChatInput = z.strictObject({
  /** A chosen id (e.g. derived from the source's hash, so a re-import is recognised); else a fresh UUID v4. */
  chatId: ChatId.optional(),
  characterId: CharacterId,
  title: Title,
  metadata: ChatMetadata.optional(),
  /** Creation time of the chat, epoch ms. */
  created: EpochMs,
  /** Message first appearances (MessageRecord), in order: an array, or any iterable (read once, as it is written). */
  messages: z.custom<Iterable<unknown>>((v) => typeof v === 'object' && v !== null && Symbol.iterator in v, 'messages must be an array or an iterable'),
});
export type ImportChatInput = z.input<typeof ImportChatInput>;

/** An import written as it is read: the messages come in batches, from any async source. */
export type ImportStreamInput = Omit<ImportChatInput, 'messages'> & {
  /** Message first appearances (MessageRecord), in order, in batches (one per block of the source). */
  messages: AsyncIterable<Iterable<unknown>>;
};

export interface ImportStreamOptions {
  /** Stops the import (CANCELLED): no chat and no temp file are left. */
  signal?: AbortSignal;
  /** After each batch: messages and bytes written so far. */
  onProgress?: (messagesWritten: number, bytesWritten: number) => void;
}

export interface PreparedImport {
  header: HeaderRecord;
  /** The whole file, UTF-8: encoded once, line by line, with no 60 MB intermediate string. */
  data: Buffer;
  messageCount: number;
  preview: string | null;
  updated: number;
  /** The newest message's id and `edited ?? timestamp` (the chat index keeps them: IndexEntry). */
  lastId: string | null;
  lastStamp: number;
}

function invalid(field: string, message: string, index?: number): StoreError {
  return new StoreError('INVALID_INPUT', `${field}: ${message}`, index === undefined ? { field } : { field, index });
}

/** Throws INVALID_INPUT (naming the message index and field) or TOO_LARGE; never touches the disk. */
export function prepareImport(input: unknown): PreparedImport {
  return runAtOnce(prepareSteps(input));
}

/**
 * The same, handing the event loop back every few ms (a 20 MiB import is seconds of work):
 * `check` runs between slices and may throw to stop it (the store closed).
 */
export function prepareImportSliced(input: unknown, check?: () => void): Promise<PreparedImport> {
  return runSliced(prepareSteps(input), check ? { check } : {});
}

/** prepareImport as steps: one per message (the messages may be parsed lazily as they are read). */
function* prepareSteps(input: unknown): Steps<PreparedImport> {
  const r = ImportChatInput.safeParse(input);
  if (!r.success) throw inputIssue(r.error.issues[0]);
  const enc = new ImportEncoder(r.data);
  // Lines are encoded as they are made, so each string dies young (a 100k-message import would
  // otherwise keep 100k strings alive until one big join).
  const out = new ChunkWriter();
  out.write(enc.headerLine);
  for (const raw of r.data.messages) {
    out.write(enc.add(raw));
    yield;
  }
  return { ...enc.finish(), header: enc.header, data: out.finish() };
}

function inputIssue(issue: z.core.$ZodIssue | undefined): StoreError {
  return invalid(issue?.path.length ? `input.${issue.path.join('.')}` : 'input', issue?.message ?? 'invalid');
}

/** What an import leaves to know about the chat once every message is written (the summary's facts). */
export interface ImportTotals {
  messageCount: number;
  preview: string | null;
  updated: number;
  lastId: string | null;
  lastStamp: number;
}

/**
 * The header of an imported chat, then each message checked (zod, ids unique, swipes consistent,
 * size) and serialised to its line, one at a time: what prepareImport writes into memory and
 * importChatStream into a temp file. Holds only the ids seen (to refuse a duplicate).
 */
export class ImportEncoder {
  readonly header: HeaderRecord;
  readonly headerLine: string;
  private readonly created: number;
  /** Ids seen. The importer's generated `imp-<line>` ids are kept as numbers (a 1M-message import holds 1M of them). */
  private readonly ids = new Set<string>();
  private readonly lineIds = new NumberSet();
  private last: MessageRecord | undefined;
  private i = -1;

  constructor(input: Omit<z.output<typeof ImportChatInput>, 'messages'>) {
    const { chatId, characterId, title, metadata, created } = input;
    this.created = created;
    this.header = {
      format: FORMAT_NAME,
      version: FORMAT_VERSION,
      chat_id: chatId ?? randomUUID(),
      character_id: characterId,
      timestamp: created,
      title,
      metadata: metadata ?? {},
    };
    this.headerLine = serialize(this.header);
  }

  /** The header fields of an import (all but the messages), checked: INVALID_INPUT names the field. */
  static of(input: object): ImportEncoder {
    const { messages: _messages, ...fields } = input as Record<string, unknown>;
    const r = ImportChatInput.omit({ messages: true }).safeParse(fields);
    if (!r.success) throw inputIssue(r.error.issues[0]);
    return new ImportEncoder(r.data);
  }

  get count(): number {
    return this.i + 1;
  }

  /** The message's line (with its newline); INVALID_INPUT or TOO_LARGE naming its index. */
  add(raw: unknown): string {
    const i = ++this.i;
    const where = `messages[${i}]`;
    const m = MessageRecord.safeParse(raw);
    if (!m.success) {
      const issue = m.error.issues[0];
      throw invalid(issue?.path.length ? `${where}.${issue.path.join('.')}` : where, issue?.message ?? 'invalid', i);
    }
    const rec = m.data;
    if (!this.claim(rec.id)) throw invalid(`${where}.id`, `duplicate message id ${rec.id}`, i);
    if (rec.swipes) {
      if (rec.swipe_id === undefined || rec.swipe_id >= rec.swipes.length) throw invalid(`${where}.swipe_id`, 'out of range', i);
      if (rec.swipes[rec.swipe_id] !== rec.content) throw invalid(`${where}.content`, 'must equal the selected swipe', i);
    } else if (rec.swipe_id !== undefined) throw invalid(`${where}.swipe_id`, 'needs swipes', i);
    if (rec.edited !== undefined && !EpochMs.safeParse(rec.edited).success) throw invalid(`${where}.edited`, 'must be epoch ms', i);
    // `id` first (zod keeps the shape's key order): the store's line classifier reads it from the prefix.
    const line = serialize(rec);
    // UTF-8 takes at most 3 bytes per UTF-16 unit: only a long line needs its bytes counted.
    if (line.length * 3 > LIMITS.recordBytes && Buffer.byteLength(line) - 1 > LIMITS.recordBytes) {
      throw new StoreError('TOO_LARGE', `${where} is larger than ${LIMITS.recordBytes / 1048576} MiB`, { field: where, index: i });
    }
    this.last = rec;
    return line;
  }

  /** False when the id was seen before. */
  private claim(id: string): boolean {
    const n = /^imp-[1-9]\d{0,14}$/.test(id) ? Number(id.slice(4)) : -1;
    if (n >= 0 ? this.lineIds.has(n) : this.ids.has(id)) return false;
    if (n >= 0) this.lineIds.add(n);
    else this.ids.add(id);
    return true;
  }

  finish(): ImportTotals {
    const last = this.last;
    const lastTime = last ? (typeof last.edited === 'number' ? last.edited : last.timestamp) : 0;
    return {
      messageCount: this.count,
      preview: last ? last.content.slice(0, PREVIEW_CHARS) : null,
      updated: Math.max(this.created, lastTime),
      lastId: last?.id ?? null,
      lastStamp: lastTime,
    };
  }
}

/** A UUID v4-shaped chat id from a SHA-256 (hex): the same hash always gives the same id. */
export function chatIdFromHash(sha256Hex: string): string {
  const h = sha256Hex;
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The import of a chat file found in a character folder that cannot be listed as it is (a sync
 * tool's conflict copy, a copy whose id is taken): its messages as a new chat whose id is derived
 * from the file's bytes (`sha256`), so the same bytes always land on the same id: a second import
 * of them is a CONFLICT, and after a crash the chat itself says the bytes were imported.
 */
export function fileImportInput(state: FullState, o: { characterId: string; fileName: string; sha256: string; created: number }): ImportChatInput {
  return {
    chatId: chatIdFromHash(o.sha256),
    characterId: o.characterId,
    title: `${state.header.title} (from ${o.fileName})`.slice(0, LIMITS.titleChars),
    metadata: { imported_from: o.fileName, imported_sha256: o.sha256 },
    created: o.created,
    messages: state.messages.map(copyableMessage),
  };
}

/**
 * A message as a reader hands it out (FullState, ChatLog), in the form an import accepts: whatever
 * the store can read, it can copy, and a copy shows what a reader shows and drops no text. A
 * content that differs from its selected swipe (a hand-edited file) becomes a swipe of its own,
 * selected (or replaces the selected one when there is no room for another); a swipe_id without
 * swipes is dropped; an `edited` that is not a time is dropped. Nothing streams into a copy: a
 * reply that was streaming is interrupted.
 */
export function copyableMessage(m: Message): Message {
  const out: Message = { ...m };
  if (out.status === 'streaming') out.status = 'interrupted';
  if (out.edited !== undefined && !EpochMs.safeParse(out.edited).success) delete out.edited;
  if (!out.swipes) {
    delete out.swipe_id;
    return out;
  }
  const sel = Math.min(out.swipe_id ?? out.swipes.length - 1, out.swipes.length - 1);
  out.swipe_id = sel;
  if (out.swipes[sel] === out.content) return out;
  if (out.swipes.length < LIMITS.swipes) {
    out.swipes = [...out.swipes, out.content];
    out.swipe_id = out.swipes.length - 1;
  } else {
    out.swipes = out.swipes.map((s, i) => (i === sel ? out.content : s));
  }
  return out;
}

/**
 * Encodes each line straight into 4 MiB chunks (measured fastest: no joins, no byte counting;
 * a line is written where 3 bytes per UTF-16 unit are free, the most UTF-8 can need).
 */
class ChunkWriter {
  private static readonly SIZE = 4 * 1024 * 1024;
  private readonly chunks: Buffer[] = [];
  private cur = Buffer.allocUnsafe(ChunkWriter.SIZE);
  private at = 0;
  private total = 0;

  write(text: string): void {
    const worst = text.length * 3;
    if (this.at + worst > this.cur.length) {
      this.chunks.push(this.cur.subarray(0, this.at));
      this.cur = Buffer.allocUnsafe(Math.max(ChunkWriter.SIZE, worst));
      this.at = 0;
    }
    const n = this.cur.write(text, this.at, 'utf8');
    this.at += n;
    this.total += n;
  }

  finish(): Buffer {
    this.chunks.push(this.cur.subarray(0, this.at));
    return Buffer.concat(this.chunks, this.total);
  }
}
