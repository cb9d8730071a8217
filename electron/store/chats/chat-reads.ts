// The store's reads: listings (from the chat index, one stat per chat), a chat's summary, a page
// of its messages, and a search. Each read of a chat revalidates its open log against the file.
import { relative } from 'node:path';
import { CharacterId, LoadOptions, SearchLimit, SearchOffset, SearchQuery, type ChatPage, type ChatSummary } from '../../../shared/chat-format.ts';
import { isStoreError } from '../../../shared/errors.ts';
import { ScannedChat } from '../line-scan.ts';
import type { ChatLog } from '../log/chat-log.ts';
import type { ChatFileView } from '../positions/position-cache.ts';
import { StaleIndex } from '../positions/position-file.ts';
import { searchChatFile, type SearchResult } from '../search.ts';
import { windowPage, type WindowPage } from '../window-page.ts';
import { assertOpen } from './context.ts';
import { parse } from './inputs.ts';
import { StorePart } from './store-part.ts';

export class ChatReads extends StorePart {
  async listChats(characterId: string): Promise<ChatSummary[]> {
    const { ctx } = this;
    assertOpen(ctx);
    const id = parse(CharacterId, characterId, 'characterId');
    const out: ChatSummary[] = [];
    const check: Promise<void>[] = [];
    for (const [chatId, loc] of ctx.chats) {
      if (loc.characterId !== id) continue;
      const e = ctx.index.get(chatId);
      // Served from the index; one stat per chat notices a file changed (also in place: its mtime) or deleted outside the app
      // (chats not indexed yet are summarised now, before the listing returns).
      check.push(
        (async () => {
          if (e?.file.ino !== undefined) {
            const st = await ctx.fs.stat(loc.path, { bigint: true }).catch(() => null);
            if (st && Number(st.size) === e.file.size && String(st.ino) === e.file.ino && (e.file.mtimeNs === undefined || String(st.mtimeNs) === e.file.mtimeNs)) {
              out.push({ ...e.summary });
              return;
            }
          }
          // A chat that cannot even be opened (EACCES, EIO) is still listed, never hidden.
          const summary = await this.keeper.indexOne(chatId);
          if (summary) out.push(summary); // null: deleted while we listed
        })(),
      );
    }
    await Promise.all(check);
    return out.sort((a, b) => b.updated - a.updated || (a.chatId < b.chatId ? -1 : 1));
  }

  /**
   * Every chat of every character, from the index. It waits for the background indexing started at
   * open (a missing or damaged index: progress via `onIndexProgress`), then serves the index as it
   * is, without checking the files (the watcher keeps it current through refreshChat).
   */
  async listAllChats(): Promise<ChatSummary[]> {
    const { ctx } = this;
    assertOpen(ctx);
    await this.keeper.whenIndexed();
    const out: ChatSummary[] = [];
    for (const [chatId] of ctx.chats) {
      const e = ctx.index.get(chatId);
      const summary = e ? { ...e.summary } : await this.keeper.indexOne(chatId);
      if (summary) out.push(summary);
    }
    return out.sort((a, b) => b.updated - a.updated || (a.chatId < b.chatId ? -1 : 1));
  }

  async getChat(chatId: string): Promise<ChatSummary> {
    return this.tasks.onChat(chatId, (log) => this.keeper.summaryOf(log), true);
  }

  /** The chat's metadata as it is now (the header's, with later meta records applied). */
  async getChatMetadata(chatId: string): Promise<Record<string, unknown>> {
    return this.tasks.onChat(chatId, async (log) => {
      log.assertReadable();
      return log.metadata();
    }, true);
  }

  async loadChat(chatId: string, options: LoadOptions = {}): Promise<ChatPage> {
    const { ctx } = this;
    const opts = parse(LoadOptions, options, 'options');
    return this.tasks.onChat(chatId, async (log) => {
      const header = log.assertReadable();
      const anchor = opts.around ?? opts.after;
      const { messages, hasMore, hasNewer } = anchor === undefined
        ? { ...(await log.page(opts.limit ?? 50, opts.before)), hasNewer: undefined }
        : await this.pageAt(log, anchor, opts.limit ?? 50, opts.around !== undefined ? 'around' : 'after');
      // The header record as written at creation; the current title is in the summary (getChat).
      // Quarantine paths are given relative to the data directory: absolute paths stay in main.
      const warnings = log.warnings.map((w) => (w.quarantinePath ? { ...w, quarantinePath: relative(ctx.layout.dataDir, w.quarantinePath) } : { ...w }));
      for (const m of messages) ctx.live.present(log.chatId, m);
      if (anchor === undefined) ctx.positions.prepare(this.viewOf(log)); // a big chat without an index gets one in the background, for jumps
      return { header: structuredClone(header), messages, hasMore, ...(hasNewer !== undefined ? { hasNewer } : {}), readOnly: log.status !== 'ok', ...(log.readOnlyReason ? { readOnlyReason: log.readOnlyReason } : {}), warnings, revision: log.revision };
    }, true);
  }

  /** The chat file as `log` read it: what its position index must describe. */
  private viewOf(log: ChatLog): ChatFileView {
    const { dev, ino, mtimeNs } = log.fileState();
    return { chatId: log.chatId, path: log.path, dev, ino, mtimeNs, size: log.size };
  }

  /**
   * A page around (or after) a message: from the position index if it is usable, else from a
   * scan of the file, which then becomes the index (saved in the background).
   */
  private async pageAt(log: ChatLog, anchor: string, limit: number, mode: 'around' | 'after'): Promise<WindowPage> {
    const { ctx } = this;
    const view = this.viewOf(log);
    const indexed = await ctx.positions.open(view).catch(() => null);
    if (indexed) {
      try {
        return await windowPage(indexed, log.chatId, anchor, limit, mode);
      } catch (e) {
        // A stale index, or an id it does not know: the scan below decides.
        if (!(e instanceof StaleIndex) && !(isStoreError(e) && e.code === 'NOT_FOUND')) throw e;
      } finally {
        void indexed.close().catch(() => {}); // the page does not wait for its handles to close
      }
    }
    const chat = await ScannedChat.open(ctx.fs, log.path, log.size);
    try {
      const page = await windowPage(chat, log.chatId, anchor, limit, mode);
      await ctx.positions.remember(view, chat.table).catch(() => {});
      return page;
    } finally {
      await chat.close();
    }
  }

  async searchChat(chatId: string, query: string, limit?: number, offset?: number): Promise<SearchResult> {
    const q = parse(SearchQuery, query, 'query');
    const n = parse(SearchLimit.optional(), limit, 'limit');
    const at = parse(SearchOffset.optional(), offset, 'offset');
    // Revalidated like a load: a search must see what is in the file now. Its scan of the whole
    // file becomes the position index, for the jumps to the matches that follow.
    return this.tasks.onChat(chatId, (log) => {
      log.assertReadable();
      const view = this.viewOf(log);
      return searchChatFile(this.ctx.fs, log.path, log.size, q, n, at, (table) => this.ctx.positions.remember(view, table).catch(() => {}));
    }, true);
  }
}
