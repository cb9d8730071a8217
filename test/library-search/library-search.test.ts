// The library search is a cache of the chat files: after any mix of appends, edits, deletes,
// imports, renames, chat deletions, changes by other programs (with the app open or closed) and
// restarts (the index kept, deleted or damaged), it answers exactly what a full scan of the files
// answers (brute-force.ts).
import { appendFileSync, closeSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openChatStore, readFullState } from '../../electron/store/index.ts';
import { compactedText } from '../../electron/store/compaction.ts';
import type { ChatStore } from '../../electron/store/types.ts';
import { librarySearchFile, openLibrarySearch, type LibrarySearch } from '../../electron/library-search/index.ts';
import { chatPath, tempDir } from '../store/helpers.ts';
import { bruteForce } from './brute-force.ts';

const VOCAB = ['lantern', 'Lantern', 'LANTERNS', 'café', 'cafe', 'CAFÉ', 'zoë', 'Zoe', 'naïve', 'river', 'stone', 'x1', 'über', 'uber', 'crème', 'brûlée'];
const SEP = [' ', ', ', '. ', '\n', ' "', '" ', "'", ' - '];
const CHARACTERS = ['alice', 'bob'];
const NAMES = new Map([['alice', 'Zoë Stone'], ['bob', 'River']]);
const QUERIES = ['lantern', 'LANTERN', 'lanterns', 'cafe', 'café', 'zoe', 'naive', 'river', 'stone', 'x1', 'uber', 'creme brulee', '"creme brulee"', '"river stone"', 'lant*', 'caf*', 'ub*', 'zo* stone', '"stone lantern"', 'naïve river'];

const text = fc.array(fc.tuple(fc.constantFrom(...VOCAB), fc.constantFrom(...SEP)), { minLength: 1, maxLength: 8 }).map((ws) => ws.map(([w, s]) => w + s).join('').trim() || 'x1');

type Cmd =
  | { kind: 'create'; character: number; title: string }
  | { kind: 'append'; chat: number; text: string }
  | { kind: 'appendText'; chat: number; msg: number; text: string }
  | { kind: 'edit'; chat: number; msg: number; text: string }
  | { kind: 'delete'; chat: number; msg: number }
  | { kind: 'import'; character: number; texts: string[] }
  | { kind: 'rename'; chat: number; title: string }
  | { kind: 'deleteChat'; chat: number }
  | { kind: 'compact'; chat: number }
  | { kind: 'outsideAppend'; chat: number; text: string }
  | { kind: 'outsideRewrite'; chat: number; msg: number; text: string }
  | { kind: 'outsideInPlace'; chat: number }
  | { kind: 'outsideDuplicate'; chat: number; msg: number; text: string }
  | { kind: 'restart'; index: 'keep' | 'delete' | 'corrupt'; whileClosed: { chat: number; text: string } | null };

const idx = fc.nat({ max: 50 });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('create' as const), character: fc.nat({ max: 1 }), title: text }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), chat: idx, text }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('appendText' as const), chat: idx, msg: idx, text }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('edit' as const), chat: idx, msg: idx, text }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), chat: idx, msg: idx }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('import' as const), character: fc.nat({ max: 1 }), texts: fc.array(text, { minLength: 1, maxLength: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rename' as const), chat: idx, title: text }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteChat' as const), chat: idx }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), chat: idx }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('outsideAppend' as const), chat: idx, text }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('outsideRewrite' as const), chat: idx, msg: idx, text }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('outsideInPlace' as const), chat: idx }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('outsideDuplicate' as const), chat: idx, msg: idx, text }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('restart' as const),
      index: fc.constantFrom('keep' as const, 'delete' as const, 'corrupt' as const),
      whileClosed: fc.option(fc.record({ chat: idx, text }), { nil: null }),
    }),
  },
);

let outsideIds = 0;
/** Another program's message line (its own id: ids are never reused). */
function foreignLine(content: string): string {
  return `${JSON.stringify({ id: `ext-${++outsideIds}-${Date.now()}`, role: 'user', content, timestamp: Date.now() })}\n`;
}

class World {
  store!: ChatStore;
  lib!: LibrarySearch;
  readonly dataDir = tempDir();

  async open(): Promise<void> {
    this.store = await openChatStore({ dataDir: this.dataDir, indexFlushDelayMs: 50 });
    // Blocks of 300 bytes: big chats' many blocks (and lines longer than a block) in small tests.
    this.lib = openLibrarySearch({ store: this.store, characters: async () => [...NAMES].map(([id, name]) => ({ id, name })), blockBytes: 300 });
  }
  async close(): Promise<void> {
    await this.lib.close();
    await this.store.close();
  }
  async chats() {
    return (await this.store.listAllChats()).sort((a, b) => a.chatId.localeCompare(b.chatId));
  }
  async pick(n: number) {
    const cs = await this.chats();
    return cs.length ? cs[n % cs.length]! : null;
  }
  async pickMessage(chatId: string, n: number) {
    const { messages } = await this.store.loadChat(chatId, { limit: 500 });
    return messages.length ? messages[n % messages.length]! : null;
  }
  path(c: { characterId: string; chatId: string }) {
    return chatPath(this.dataDir, c.characterId, c.chatId);
  }

  async run(c: Cmd): Promise<void> {
    const { store } = this;
    switch (c.kind) {
      case 'create':
        await store.createChat({ characterId: CHARACTERS[c.character]!, title: c.title.slice(0, 100) });
        return;
      case 'import':
        await store.importChat({ characterId: CHARACTERS[c.character]!, title: 'imported', created: Date.now(), messages: c.texts.map((t, i) => ({ id: `imp-${i}`, role: 'assistant', content: t, timestamp: Date.now() })) });
        return;
      case 'restart': {
        await this.close();
        const chat = c.whileClosed && (await openChatStore({ dataDir: this.dataDir }).then(async (s) => {
          const cs = (await s.listAllChats()).sort((a, b) => a.chatId.localeCompare(b.chatId));
          await s.close();
          return cs.length ? cs[c.whileClosed!.chat % cs.length]! : null;
        }));
        if (chat) appendFileSync(this.path(chat), foreignLine(c.whileClosed!.text)); // another program, while the app is closed
        const file = librarySearchFile(this.dataDir);
        if (c.index === 'delete') writeFileSync(file, '');
        if (c.index === 'corrupt') {
          const bytes = readFileSync(file);
          bytes.fill(0x5a, 100, Math.min(bytes.length, 5000));
          writeFileSync(file, bytes);
        }
        await this.open();
        return;
      }
    }
    const chat = await this.pick(c.chat);
    if (!chat) return;
    const id = chat.chatId;
    switch (c.kind) {
      case 'append':
        await store.appendMessage(id, { role: 'user', content: c.text });
        return;
      case 'rename':
        await store.renameChat(id, c.title.slice(0, 100));
        return;
      case 'deleteChat':
        await store.deleteChat(id);
        return;
      case 'compact':
        await store.compactChat(id);
        return;
      case 'outsideAppend':
        appendFileSync(this.path(chat), foreignLine(c.text));
        await store.refreshChat(id);
        return;
      case 'outsideInPlace': {
        // Another program edits the file in place, same length (same inode, same size): "river" becomes "stone".
        const at = readFileSync(this.path(chat)).indexOf('river');
        if (at === -1) return;
        const fd = openSync(this.path(chat), 'r+');
        writeSync(fd, Buffer.from('stone'), 0, 5, at);
        closeSync(fd);
        await store.refreshChat(id);
        return;
      }
    }
    const m = await this.pickMessage(id, c.msg);
    if (!m) return;
    switch (c.kind) {
      case 'appendText':
        await store.appendText(id, m.id, ` ${c.text}`);
        return;
      case 'edit':
        await store.updateMessage(id, m.id, { content: c.text });
        return;
      case 'delete':
        await store.deleteMessage(id, m.id);
        return;
      case 'outsideDuplicate':
        // A hand-merged file: a second first appearance of an id replaces the message.
        appendFileSync(this.path(chat), `${JSON.stringify({ id: m.id, role: 'assistant', content: c.text, timestamp: Date.now() })}\n`);
        await store.refreshChat(id);
        return;
      case 'outsideRewrite': {
        // Another program rewrites the file (a new inode): one message's text changed.
        const state = readFullState(readFileSync(this.path(chat)));
        if ('error' in state) return;
        const target = state.messages.find((x) => x.id === m.id);
        if (target) target.content = c.text;
        writeFileSync(`${this.path(chat)}.tmp`, compactedText(state));
        renameSync(`${this.path(chat)}.tmp`, this.path(chat));
        await store.refreshChat(id);
        return;
      }
    }
  }

  /** Every query answered by the index as a full scan answers it; FTS5 finds its index true to the rows it indexes. */
  async check(): Promise<void> {
    await this.lib.whenReady();
    const db = new DatabaseSync(librarySearchFile(this.dataDir));
    try {
      db.exec("INSERT INTO msg_fts(msg_fts, rank) VALUES ('integrity-check', 1); INSERT INTO chat_fts(chat_fts) VALUES ('integrity-check')");
    } finally {
      db.close();
    }
    for (const q of QUERIES) {
      const want = await bruteForce(this.store, this.dataDir, NAMES, q);
      const got = await this.lib.search(q, { chats: 1_000, hitsPerChat: 1_000, scan: 100_000 });
      expect(got.truncated, q).toBe(false);
      expect(got.indexing, q).toBe(false);
      const messages = new Set(got.chats.flatMap((c) => c.hits.map((h) => `${c.chatId}/${h.messageId}`)));
      expect([...messages].sort(), q).toEqual([...want.messages].sort());
      const named = got.chats.filter((c) => c.title.highlights.length + c.characterName.highlights.length > 0).map((c) => c.chatId);
      expect(named.sort(), q).toEqual([...want.named].sort());
      for (const c of got.chats) for (const h of c.hits) expect(h.snippet.highlights.length, `${q} in ${h.snippet.text}`).toBeGreaterThan(0);
    }
  }
}

describe('library search: the index answers as a full scan of the files does', () => {
  it('after random appends, edits, deletes, imports, outside changes and restarts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 4, maxLength: 25 }), async (cmds) => {
        const w = new World();
        await w.open();
        try {
          await w.store.createChat({ characterId: 'alice', title: 'first lantern' });
          for (const [i, c] of cmds.entries()) {
            await w.run(c);
            if (i % 8 === 7) await w.check(); // also mid-way, so later changes meet an index that has content
          }
          await w.check();
        } finally {
          await w.close();
        }
      }),
      { numRuns: 30 },
    );
  }, 300_000);
});
