// Writes of a whole chat: create (an atomic write of its header), import (an atomic write of the
// whole file), rename (a meta record), and delete (the file moves to the trash; nothing is destroyed).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ChatMetadata, CreateChatInput, FORMAT_NAME, FORMAT_VERSION, MessageId, Title, type ChatSummary, type HeaderRecord, type WriteOptions } from '../../../shared/chat-format.ts';
import { StoreError } from '../../../shared/errors.ts';
import { atomicRewrite, errnoOf, fsyncDir, ioError, mkdirDurable } from '../../durable/durable.ts';
import { stampOf } from '../../durable/guarded-rewrite.ts';
import { branchLinkOf, branchText } from '../branch-chat.ts';
import type { ImportChatInput, ImportStreamInput, ImportStreamOptions, ImportTotals, PreparedImport } from '../import-chat.ts';
import { StreamedFile } from '../../durable/streamed-write.ts';
import { TimeSlicer } from '../time-slices.ts';
import { logged } from '../oplog-sink.ts';
import { serialize } from '../records.ts';
import { assertOpen } from './context.ts';
import { replacedWhileMissing } from './chat-tasks.ts';
import { assertRecordSize, checkRevision, parse, parseOpts } from './inputs.ts';
import { StorePart } from './store-part.ts';

export class ChatWrites extends StorePart {
  async createChat(input: CreateChatInput): Promise<ChatSummary> {
    const { ctx } = this;
    assertOpen(ctx);
    const { characterId, title, metadata } = parse(CreateChatInput, input, 'input');
    const chatId = randomUUID();
    const created = ctx.now();
    const header: HeaderRecord = {
      format: FORMAT_NAME,
      version: FORMAT_VERSION,
      chat_id: chatId,
      character_id: characterId,
      timestamp: created,
      title: title ?? `Chat ${new Date(created).toISOString().slice(0, 16).replace('T', ' ')}`,
      metadata: metadata ?? {},
    };
    assertRecordSize(header, 'the chat header');
    const path = ctx.layout.chatFile(characterId, chatId);
    return this.tasks.onQueue(chatId, async () => {
      try {
        await mkdirDurable(ctx.layout.characterDir(characterId), { fs: ctx.fs });
        await logged(ctx.oplog, 'rewrite', chatId, () => atomicRewrite(ctx.fs, path, serialize(header)), () => Buffer.byteLength(serialize(header)));
      } catch (e) {
        throw ioError(e, 'creating the chat');
      }
      ctx.chats.set(chatId, { characterId, path });
      return this.keeper.summaryOf(await this.logs.log(chatId)); // its log open: acknowledged as the store's own
    }, true);
  }

  /**
   * A whole new chat (header + every message) in one atomic, verified write: all or nothing.
   * Every message is validated first (INVALID_INPUT names its index); a chosen chatId that
   * exists already is a CONFLICT, so a re-import of the same source creates nothing.
   */
  async importChat(input: ImportChatInput): Promise<ChatSummary> {
    const { ctx } = this;
    assertOpen(ctx);
    const { prepareImportSliced } = await import('../import-chat.ts'); // loaded only by callers that import
    // In slices: validating and encoding a big import is seconds of work, and other chats' saves
    // must go on meanwhile. A close() meanwhile stops it (CLOSED).
    const prepared = await prepareImportSliced(input, () => assertOpen(ctx));
    return this.writeWholeChat(prepared, 'importing the chat');
  }

  /**
   * A new chat holding `chatId`'s history up to `messageId` (inclusive), linked to it (header
   * metadata `branch_of`): one read of the parent on its queue (the parent is never written), then
   * one atomic, verified write of the new file (branch-chat.ts): all or nothing.
   */
  async branchChat(chatId: string, messageId: string, options: { title?: string } = {}): Promise<ChatSummary> {
    const mid = parse(MessageId, messageId, 'messageId');
    const title = options.title === undefined ? undefined : parse(Title, options.title, 'title');
    const prepared = await this.tasks.onChat(chatId, async (log) => {
      const parent = log.assertReadable();
      if (log.readOnlyReason === 'newer_format') throw new StoreError('READ_ONLY', `chat ${chatId} is in a newer format: it cannot be branched by this version`, { chatId });
      const at = await log.message(mid); // NOT_FOUND for an unknown or deleted message
      // The live messages after it, newest pages first (none when branching at the newest).
      const drop = new Set<string>();
      let before: string | undefined;
      for (let found = false; !found; ) {
        const page = await log.page(200, before);
        for (let i = page.messages.length - 1; i >= 0 && !found; i--) {
          const m = page.messages[i]!;
          if (m.id === mid) found = true;
          else drop.add(m.id);
        }
        if (!found && (!page.hasMore || page.messages.length === 0)) throw new StoreError('NOT_FOUND', `message ${mid} is not in chat ${chatId}`, { chatId, messageId: mid });
        before = page.messages[0]?.id;
      }
      const parentCount = (await this.keeper.summaryOf(log)).messageCount;
      const bytes = await log.ownBytes(log.size);
      // Renames are meta records the scan folds in; the summary's title is the current one either way.
      const branch = branchText({ bytes, parent: { ...parent, title: log.title ?? parent.title }, drop, at, parentCount, now: this.ctx.now(), ...(title !== undefined ? { title } : {}) });
      assertRecordSize(branch.header, 'the branch header'); // the parent's metadata, merged: still one header line
      return branch;
    }, true);
    return this.writeWholeChat(prepared, 'branching the chat');
  }

  /** Writes a new chat's whole file at once (import, branch): a chat id that exists is a CONFLICT. */
  private writeWholeChat(prepared: PreparedImport, what: string): Promise<ChatSummary> {
    const { ctx } = this;
    const { chat_id: chatId, character_id: characterId } = prepared.header;
    const path = ctx.layout.chatFile(characterId, chatId);
    // onQueue checks `closed` again as it queues: a close() that began while the module loaded
    // waits only for what is queued, so nothing is acknowledged after it resolved (issue 14).
    return this.tasks.onQueue(chatId, async () => {
      // Listed, or a file not listed yet (an import the app died before listing): never replaced.
      if (ctx.chats.has(chatId) || (await ctx.fs.stat(path).then(() => true, () => false))) throw new StoreError('CONFLICT', `chat ${chatId} already exists`, { chatId, reason: 'exists' });
      try {
        await mkdirDurable(ctx.layout.characterDir(characterId), { fs: ctx.fs });
        await atomicRewrite(ctx.fs, path, prepared.data);
      } catch (e) {
        throw ioError(e, what);
      }
      const { header, messageCount, preview, updated, lastId, lastStamp } = prepared;
      // The revision rule of ChatLog: the bytes after the header line (a new file has no revision_base).
      const revision = prepared.data.length - (prepared.data.indexOf(0x0a) + 1);
      return this.listImported(path, header, { messageCount, preview, updated, lastId, lastStamp }, prepared.data.length, revision);
    }, true);
  }

  /**
   * importChat for a chat of any size: the messages are checked and written as they come, into a
   * temp file beside the chat (StreamedFile; a small chat stays in memory), which is fsync'd, read
   * back and renamed into place at the end: all or nothing still, in bounded memory. A failure, a close() or a cancel
   * (opts.signal: CANCELLED) removes the temp file; a kill leaves it to the next open, which
   * removes it (a rewrite's temp name).
   */
  async importChatStream(input: ImportStreamInput, opts: ImportStreamOptions = {}): Promise<ChatSummary> {
    const { ctx } = this;
    assertOpen(ctx);
    const { ImportEncoder } = await import('../import-chat.ts');
    const enc = ImportEncoder.of(input);
    const { chat_id: chatId, character_id: characterId } = enc.header;
    const path = ctx.layout.chatFile(characterId, chatId);
    const check = () => {
      assertOpen(ctx);
      if (opts.signal?.aborted) throw new StoreError('CANCELLED', 'the import was cancelled; nothing was written');
    };
    check();
    const exists = async () => ctx.chats.has(chatId) || (await ctx.fs.stat(path).then(() => true, () => false));
    // Before the work, and again at the rename (on the chat's queue).
    if (await exists()) throw new StoreError('CONFLICT', `chat ${chatId} already exists`, { chatId, reason: 'exists' });
    try {
      await mkdirDurable(ctx.layout.characterDir(characterId), { fs: ctx.fs });
    } catch (e) {
      throw ioError(e, 'importing the chat');
    }
    const file = new StreamedFile(ctx.fs, path);
    try {
      const slicer = new TimeSlicer({ check });
      file.write(enc.headerLine);
      const headerBytes = file.size;
      for await (const batch of input.messages) {
        for (const m of batch) {
          file.write(enc.add(m));
          if (slicer.due()) await slicer.turn();
        }
        if (file.full) await file.drain().catch((e: unknown) => Promise.reject(ioError(e, 'importing the chat')));
        opts.onProgress?.(enc.count, file.size);
        check();
      }
      const size = file.size;
      await file.finish(check).catch((e: unknown) => Promise.reject(ioError(e, 'importing the chat')));
      return await this.tasks.onQueue(chatId, async () => {
        if (await exists()) throw new StoreError('CONFLICT', `chat ${chatId} already exists`, { chatId, reason: 'exists' });
        check();
        try {
          await file.renameIntoPlace();
        } catch (e) {
          throw ioError(e, 'importing the chat');
        }
        return this.listImported(path, enc.header, enc.finish(), size, size - headerBytes);
      }, true);
    } finally {
      await file.discard(); // nothing once it was renamed
    }
  }

  /** A chat file the store wrote whole: listed at once, in the index, and known as its own write. */
  private async listImported(path: string, header: HeaderRecord, totals: ImportTotals, sizeBytes: number, revision: number): Promise<ChatSummary> {
    const { ctx } = this;
    const { chat_id: chatId, character_id: characterId } = header;
    ctx.chats.set(chatId, { characterId, path });
    const { messageCount, preview, updated, lastId, lastStamp } = totals;
    const branchOf = branchLinkOf(header.metadata);
    const summary: ChatSummary = { chatId, characterId, title: header.title, messageCount, created: header.timestamp, updated, preview, status: 'ok', sizeBytes, revision, ...(branchOf ? { branchOf } : {}) };
    // The index lists it at once (and index.json at the next flush: a CLI import leaves it current),
    // for exactly the file just written.
    const st = await ctx.fs.stat(path, { bigint: true }).catch(() => null);
    const mine = st !== null && Number(st.size) === sizeBytes;
    const file = mine ? { size: sizeBytes, ino: String(st.ino), mtimeNs: String(st.mtimeNs) } : { size: sizeBytes };
    ctx.index.set({ summary: { ...summary }, lastId, lastStamp, file });
    // The file is the store's own write: the watcher's event for it is not an outside change.
    if (mine) ctx.ownStates.wrote(chatId, stampOf(st));
    return summary;
  }

  /**
   * A rename is a meta record appended to the chat. After another program replaced the file (a sync
   * tool's version from the other computer) it is made again on the file as it is now, when that
   * version left the title as the app had it; a version that renamed the chat too is a CONFLICT.
   */
  async renameChat(chatId: string, title: string, opts?: WriteOptions): Promise<ChatSummary> {
    const t = parse(Title, title, 'title');
    let seen: string | undefined;
    return this.tasks.onChatAgainOnOutsideChange(chatId, async (log, _id, again) => {
      checkRevision(log, parseOpts(opts));
      const now = log.title ?? log.header?.title;
      if (again && now !== seen) throw again.first;
      seen = now;
      const before = this.keeper.currentEntry(log);
      const timestamp = this.ctx.now();
      await log.appendMeta({ op: 'meta', timestamp, title: t });
      await this.keeper.noteWrite(log, before, { title: t, timestamp });
      return this.keeper.summaryOf(log);
    }, 'append');
  }

  /**
   * Sets keys of the chat's metadata (a meta record, like a rename): other keys stay as they are.
   * Small settings only (an author's note): the patch is bounded like a header's metadata.
   */
  async updateChatMetadata(chatId: string, patch: Record<string, unknown>, opts?: WriteOptions): Promise<ChatSummary> {
    const metadata = parse(ChatMetadata, patch, 'metadata');
    if (!Object.keys(metadata).length) throw new StoreError('INVALID_INPUT', 'the metadata patch is empty', { reason: 'empty' });
    return this.tasks.onChat(chatId, async (log) => {
      checkRevision(log, parseOpts(opts));
      const before = this.keeper.currentEntry(log);
      const timestamp = this.ctx.now();
      await log.appendMeta({ op: 'meta', timestamp, metadata });
      await this.keeper.noteWrite(log, before, { timestamp });
      return this.keeper.summaryOf(log);
    }, false, 'append');
  }

  async deleteChat(chatId: string, opts?: WriteOptions): Promise<void> {
    const { ctx, logs } = this;
    return this.tasks.onChat(chatId, async (log, id) => {
      checkRevision(log, parseOpts(opts));
      const trash = ctx.layout.trashDir(log.characterId);
      const target = join(trash, `${id}.${ctx.now()}.jsonl`);
      await logs.forget(id, 'drop');
      await mkdirDurable(trash, { fs: ctx.fs });
      try {
        await ctx.fs.rename(log.path, target);
      } catch (e) {
        if (errnoOf(e) !== 'ENOENT') throw e;
        // Back after a moment (a sync tool's two renames): another version, which the user has not seen.
        if (!(await logs.dropIfGone(id))) throw replacedWhileMissing(id);
        throw new StoreError('NOT_FOUND', `chat ${id} was already deleted outside the app`, { chatId: id });
      }
      // The new entry first: a power cut between the two fsyncs leaves the chat in both places, never in neither.
      await fsyncDir(trash);
      await fsyncDir(ctx.layout.characterDir(log.characterId));
      ctx.chats.delete(id);
      ctx.memos.delete(id);
      ctx.index.delete(id);
      ctx.live.forgetChat(id);
      await ctx.positions.forget(id); // a cache: an undeleted chat gets a new one at its first jump
    }, false, 'rename');
  }
}
