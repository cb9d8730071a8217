// The store's reads: listings (from the chat index, one stat per chat), a chat's summary, a page
// of its messages, and a search. Each read of a chat revalidates its open log against the file.
import { relative } from 'node:path';
import { CharacterId, LoadOptions, SearchLimit, SearchQuery, type ChatPage, type ChatSummary } from '../../../shared/chat-format.ts';
import { searchChatFile, type SearchResult } from '../search.ts';
import { windowPage } from '../window-page.ts';
import type { ChatTasks } from './chat-tasks.ts';
import { assertOpen, type StoreContext } from './context.ts';
import type { IndexKeeper } from './index-keeper.ts';
import { parse } from './inputs.ts';

export class ChatReads {
  private readonly ctx: StoreContext;
  private readonly tasks: ChatTasks;
  private readonly keeper: IndexKeeper;

  constructor(ctx: StoreContext, tasks: ChatTasks, keeper: IndexKeeper) {
    this.ctx = ctx;
    this.tasks = tasks;
    this.keeper = keeper;
  }

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
        : await windowPage(ctx.fs, log.path, log.size, log.chatId, anchor, opts.limit ?? 50, opts.around !== undefined ? 'around' : 'after');
      // The header record as written at creation; the current title is in the summary (getChat).
      // Quarantine paths are given relative to the data directory: absolute paths stay in main.
      const warnings = log.warnings.map((w) => (w.quarantinePath ? { ...w, quarantinePath: relative(ctx.layout.dataDir, w.quarantinePath) } : { ...w }));
      for (const m of messages) ctx.live.present(log.chatId, m);
      return { header: structuredClone(header), messages, hasMore, ...(hasNewer !== undefined ? { hasNewer } : {}), readOnly: log.status !== 'ok', ...(log.readOnlyReason ? { readOnlyReason: log.readOnlyReason } : {}), warnings, revision: log.revision };
    }, true);
  }

  async searchChat(chatId: string, query: string, limit?: number): Promise<SearchResult> {
    const q = parse(SearchQuery, query, 'query');
    const n = parse(SearchLimit.optional(), limit, 'limit');
    // Revalidated like a load: a search must see what is in the file now.
    return this.tasks.onChat(chatId, (log) => {
      log.assertReadable();
      return searchChatFile(this.ctx.fs, log.path, log.size, q, n);
    }, true);
  }
}
