// What the store does when the watcher reports a change made outside the app (electron/watcher/):
// re-read a changed chat (its tail never cut: the store did not write it), let a chat whose file
// is gone leave the list, and hand out the app's versions of a chat for conflict copies, each with
// whether the file now holds all of it.
import { dirname, join } from 'node:path';
import { CharacterId, ChatId, type ChatSummary, type Message } from '../../../shared/chat-format.ts';
import { StoreError } from '../../../shared/errors.ts';
import { errnoOf } from '../../durable/durable.ts';
import { stampPath } from '../../durable/guarded-rewrite.ts';
import { readFullState } from '../compaction.ts';
import type { AppVersion } from '../types.ts';
import type { StoreContext } from './context.ts';
import type { IndexKeeper } from './index-keeper.ts';
import { parse } from './inputs.ts';
import type { OpenLogs } from './open-logs.ts';
import { holdsVersion } from './own-versions.ts';
import { conflictCopyOf } from '../merge/conflict-names.ts';
import type { OwnWrites } from './own-writes.ts';

export class OutsideChanges {
  private readonly ctx: StoreContext;
  private readonly logs: OpenLogs;
  private readonly own: OwnWrites;
  private readonly keeper: IndexKeeper;

  constructor(ctx: StoreContext, logs: OpenLogs, own: OwnWrites, keeper: IndexKeeper) {
    this.ctx = ctx;
    this.logs = logs;
    this.own = own;
    this.keeper = keeper;
  }

  /**
   * Re-reads one chat after a change outside the app (the watcher calls this): a chat file that is
   * gone leaves the list (null); a new one joins it when its character is given (else null); a
   * changed one is re-read, its tail never cut (the store did not write it), and its index entry
   * recomputed from the file.
   */
  async refreshChat(chatId: string, characterId?: string): Promise<ChatSummary | null> {
    const { ctx, logs, own } = this;
    const id = parse(ChatId, chatId, 'chatId');
    const ch = characterId === undefined ? undefined : parse(CharacterId, characterId, 'characterId');
    if (ctx.closed) throw new StoreError('CLOSED', 'the chat store is closed');
    return ctx.queue.run(id, async () => {
      if (!ctx.chats.has(id)) {
        if (ch === undefined) return null;
        const path = ctx.layout.chatFile(ch, id);
        if (!(await ctx.fs.stat(path).then(() => true, () => false))) return null;
        ctx.chats.set(id, { characterId: ch, path });
      }
      const open = logs.peek(id);
      if (open && (await open.pathState().catch(() => 'gone' as const)) !== 'same') await own.changedOutside(id, open);
      // The watcher compared the app's versions with the file before this (ConflictKeeper).
      await logs.forget(id, 'compared');
      ctx.index.delete(id, true);
      ctx.memos.get(id)?.quarantined.clear(); // offsets may now name other lines
      // refreshChat is called for a change the store did not make: never truncate that file's tail.
      own.markExternal(id);
      own.dropView(id);
      if (await logs.dropIfGone(id)) return null;
      if (!ctx.chats.has(id)) return null;
      try {
        return await this.keeper.summaryOf(await logs.log(id));
      } catch (e) {
        return this.keeper.unreadableSummary(id, e);
      } finally {
        await logs.evictIdle(id);
      }
    });
  }

  /**
   * The app's versions of the chat, oldest first (see own-versions.ts): what it last wrote, and
   * earlier writes of its own the file may have lost, each with whether the file at the chat's path
   * holds all of it. A chat the app did not write since it opened gives what it last read, which
   * counts as held (it holds no write of this run).
   */
  async appVersions(chatId: string): Promise<AppVersion[]> {
    const id = parse(ChatId, chatId, 'chatId');
    return this.ctx.queue.run(id, () =>
      this.compare(id).catch((e: unknown) => {
        // Not compared (a read failed): the kept versions stay for the next comparison (refreshChat keeps them).
        this.own.versions.comparisonFailed(id);
        throw e;
      }),
    );
  }

  /** appVersions, on the chat's queue. */
  private async compare(id: string): Promise<AppVersion[]> {
    const open = this.logs.peek(id);
    const written = await this.own.versions.versions(id, open);
    const loc = this.ctx.chats.get(id);
    // A sync tool's conflict copies of the chat next to it, read before the file: a copy merged
    // meanwhile (not in this process: merges run on this queue) has its lines in the file read after.
    const copies = loc ? await this.conflictCopies(id, dirname(loc.path)) : [];
    // Which file this compares with, stat'd before it is read: only that file may stand for the versions (refreshChat).
    if (loc) this.own.versions.comparing(id, await stampPath(this.ctx.fs, loc.path).catch(() => null));
    // Deleted outside the app: taken as meant, so the file "holds" what the app wrote.
    const file = loc ? await this.ctx.fs.readFile(loc.path).catch((e: unknown) => (errnoOf(e) === 'ENOENT' ? null : Promise.reject(e))) : null;
    const out: AppVersion[] = [];
    let inFile: Map<string, string> | null | undefined;
    let kept: KeptLines | null | undefined;
    // The versions held only by a conflict copy: kept until its merge (OwnVersions.heldOnlyByCopies).
    const viaCopy: string[] = [];
    let openViaCopy = false;
    for (const { bytes, file: keptFile } of written) {
      const itself = file === null || holdsVersion(file, bytes);
      if (!itself && kept === undefined) kept = keptLines(id, file!, copies);
      const v = versionOf(bytes, itself || (!!kept && linesKept(bytes, kept)));
      if (!v) continue;
      if (v.inFile && !itself) {
        v.viaCopy = true;
        if (keptFile) viaCopy.push(keptFile);
        else openViaCopy = true;
      }
      if (!v.inFile && file) {
        inFile ??= messagesOf(file);
        if (inFile) v.missing = missingOnly(v.messages, inFile);
      }
      out.push(v);
    }
    this.own.versions.heldOnlyByCopies(id, viaCopy, openViaCopy);
    if (out.length === 0) {
      const read = this.own.view(id) ?? (await open?.ownBytes().catch(() => undefined));
      const v = read && versionOf(read, true);
      if (v) out.push(v);
    }
    return out;
  }

  /** The bytes of the sync tool's conflict copies of chat `id` in `dir` (Syncthing, Dropbox, Nextcloud, OneDrive names); one gone meanwhile is skipped. */
  private async conflictCopies(id: string, dir: string): Promise<Buffer[]> {
    const names = (await this.ctx.fs.readdir(dir).catch(() => [] as string[])).filter((n) => conflictCopyOf(n) === id);
    const out: Buffer[] = [];
    for (const n of names) {
      const b = await this.ctx.fs.readFile(join(dir, n)).catch(() => null);
      if (b) out.push(b);
    }
    return out;
  }

  /** Whether an earlier version the app wrote is kept that the chat's file may have lost (the watcher compares it before anything else). */
  ownVersionPending(chatId: string): Promise<boolean> {
    return this.own.versions.pending(parse(ChatId, chatId, 'chatId'));
  }

  /** Whether a kept version waits for a comparison that can be made now (not one waiting for a conflict copy's merge, nor one whose comparison failed). */
  ownVersionToCompareNow(chatId: string): Promise<boolean> {
    return this.own.versions.toCompareNow(parse(ChatId, chatId, 'chatId'));
  }

  /** Whether the chat's file is gone; if so the chat leaves the list. */
  async forgetIfGone(chatId: string): Promise<boolean> {
    const id = parse(ChatId, chatId, 'chatId');
    return this.ctx.queue.run(id, async () => {
      if (!this.ctx.chats.has(id)) return false; // not listed (deleted by the app itself meanwhile)
      const gone = await this.logs.dropIfGone(id);
      if (gone) this.own.forget(id);
      return gone;
    });
  }
}

/** The record lines and titles of the chat's file and its conflict copies. */
interface KeptLines {
  lines: Set<string>;
  titles: Set<string>;
}

function recordLines(buf: Buffer): string[] {
  const text = buf.toString('latin1'); // bytes unchanged, as the merge compares them
  return text.slice(text.indexOf('\n') + 1).split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
}

/**
 * The record lines and titles of the chat's file and its conflict copies, only where the copies'
 * merge into the chat can be made: the file and every copy read whole (no unreadable line), each
 * naming this chat. Else null: no copy counts, and what the file lacks gets a conflict-copy chat.
 */
function keptLines(chatId: string, file: Buffer, copies: Buffer[]): KeptLines | null {
  const lines = new Set<string>();
  const titles = new Set<string>();
  for (const f of [file, ...copies]) {
    const state = readFullState(f);
    if ('error' in state || state.invalid.length > 0 || state.header.chat_id !== chatId) return null;
    for (const l of recordLines(f)) lines.add(l);
    titles.add(state.header.title);
  }
  return { lines, titles };
}

/**
 * Whether every record line of a version the app wrote is in the chat's file or in a sync tool's
 * conflict copy of it (which the watcher merges into the chat), under the same title: then nothing
 * of it is lost, whatever the file shows now. This is what a sync tool does when both computers
 * changed the chat (docs/SYNC.md): it moves this computer's file aside as a conflict copy and puts
 * the other's version in place; the copy's merge (merge/merge-chats.ts) keeps the lines of both,
 * so after it the file holds them all. Another program's version that changed one of the app's
 * lines (an edit in place, a stale copy edited) holds no such line anywhere: it still gets a copy.
 */
function linesKept(version: Buffer, kept: KeptLines): boolean {
  const mine = readFullState(version);
  if ('error' in mine || !kept.titles.has(mine.header.title)) return false;
  return recordLines(version).every((l) => kept.lines.has(l));
}

/** The file's messages by id, as JSON (null: not a readable chat). */
function messagesOf(file: Buffer): Map<string, string> | null {
  const state = readFullState(file);
  return 'error' in state ? null : new Map(state.messages.map((m) => [m.id, JSON.stringify(m)]));
}

/** The messages the file lacks by id, if the file holds every other one exactly as the version does. */
function missingOnly(messages: Message[], inFile: Map<string, string>): Message[] | undefined {
  const missing: Message[] = [];
  for (const m of messages) {
    const there = inFile.get(m.id);
    if (there === undefined) missing.push(m);
    else if (there !== JSON.stringify(m)) return undefined;
  }
  return missing;
}

function versionOf(bytes: Buffer, inFile: boolean): AppVersion | null {
  const state = readFullState(bytes);
  return 'error' in state ? null : { title: state.header.title, characterId: state.header.character_id, messages: state.messages, inFile };
}
