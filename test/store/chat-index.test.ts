// The chat index (issue 8 §1) and revisions (§3): listings served from a persisted cache that is
// checked against the files at start-up, and stale writes refused by revision.
// Real files and real processes: other programs change chat files with `sh`, a child writing
// through the store is SIGKILLed, and every listing is compared with a full read of the files.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openChatStore, readFullState, type ChatStore, type IndexProgress } from '../../electron/store/index.ts';
import { PREVIEW_CHARS, type ChatSummary } from '../../shared/chat-format.ts';
import { chatPath, tempDir } from './helpers.ts';
import { Layout } from '../../electron/store/layout.ts';

const here = dirname(fileURLToPath(import.meta.url));
const CHAT_FILE = /^([0-9a-f-]{36})\.jsonl$/;

/** What the listing must say, from a full forward read of every chat file (not the store's index). */
async function truth(dir: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const root = join(dir, 'chats');
  for (const ch of existsSync(root) ? readdirSync(root) : []) {
    for (const name of readdirSync(join(root, ch))) {
      const m = CHAT_FILE.exec(name);
      if (!m) continue;
      const buf = await readFile(join(root, ch, name));
      const state = readFullState(buf);
      if ('error' in state) throw new Error(`${name}: ${state.error}`);
      const last = state.messages.at(-1);
      // updated: the header's times (as written), the last record's, and the newest message's (its last change).
      const lines = buf.toString('utf8').split('\n').filter((l) => l.trim());
      const header = JSON.parse(lines[0]!) as { timestamp: number; updated?: number };
      const lastRecord = lines.length > 1 ? (JSON.parse(lines.at(-1)!) as { timestamp?: number }) : {};
      const updated = Math.max(header.timestamp, header.updated ?? 0, lastRecord.timestamp ?? 0, last ? (last.edited ?? last.timestamp) : 0);
      out.push({
        chatId: m[1],
        characterId: ch,
        title: state.header.title,
        messageCount: state.messages.length,
        created: state.header.timestamp,
        updated,
        preview: last ? last.content.slice(0, PREVIEW_CHARS) : null,
        sizeBytes: buf.length,
        revision: (state.header.revision_base ?? 0) + buf.length - (buf.indexOf(0x0a) + 1),
      });
    }
  }
  return out.sort((a, b) => String(a.chatId).localeCompare(String(b.chatId)));
}

function comparable(list: ChatSummary[]): Record<string, unknown>[] {
  return list
    .map(({ chatId, characterId, title, messageCount, created, updated, preview, sizeBytes, revision }) => ({ chatId, characterId, title, messageCount, created, updated, preview, sizeBytes, revision }))
    .sort((a, b) => a.chatId.localeCompare(b.chatId));
}

async function listEverything(s: ChatStore, characters: string[]): Promise<ChatSummary[]> {
  return (await Promise.all(characters.map((c) => s.listChats(c)))).flat();
}

/** A small library: two characters, a few chats each, with edits, deletes and renames. */
async function library(dir: string): Promise<string[]> {
  const s = await openChatStore({ dataDir: dir });
  const ids: string[] = [];
  for (const ch of ['alice', 'bob']) {
    for (let i = 0; i < 3; i++) {
      const { chatId } = await s.createChat({ characterId: ch, title: `${ch} ${i}` });
      ids.push(chatId);
      const ms = await s.appendMessages(chatId, [1, 2, 3].map((k) => ({ role: 'user' as const, content: `${ch}-${i}-${k}` })));
      if (i === 1) await s.updateMessage(chatId, ms[2]!.id, { content: 'edited last' });
      if (i === 2) await s.deleteMessage(chatId, ms[2]!.id); // the preview moves back one message
      if (i === 0) await s.renameChat(chatId, `renamed ${ch}`);
    }
  }
  await s.close();
  return ids;
}

function sh(script: string, ...args: string[]): void {
  execFileSync('sh', ['-c', script, 'sh', ...args]);
}

async function reopenAndCheck(dir: string): Promise<{ progress: IndexProgress[]; list: ChatSummary[] }> {
  const progress: IndexProgress[] = [];
  const s = await openChatStore({ dataDir: dir, onIndexProgress: (p) => progress.push(p) });
  try {
    const characters = existsSync(join(dir, 'chats')) ? readdirSync(join(dir, 'chats')) : [];
    const list = await listEverything(s, characters);
    expect(comparable(list)).toEqual(await truth(dir));
    const all = await s.listAllChats();
    expect(comparable(all)).toEqual(await truth(dir));
    expect(progress.at(-1)?.ready).toBe(true);
    return { progress, list };
  } finally {
    await s.close();
  }
}

describe('the chat index', () => {
  it('is written on close and serves the next listing without re-reading any chat', async () => {
    const dir = tempDir();
    await library(dir);
    expect(existsSync(new Layout(dir).indexFile)).toBe(true);
    const { progress } = await reopenAndCheck(dir);
    expect(progress[0]).toEqual({ done: 6, total: 6, ready: true });
  });

  it('is kept current by every write (no reopen): counts, previews, titles, revisions', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    const { chatId } = await s.createChat({ characterId: 'alice', title: 't' });
    const a = await s.appendMessage(chatId, { role: 'user', content: 'one' });
    const b = await s.appendMessage(chatId, { role: 'assistant', content: 'two' });
    await s.updateMessage(chatId, b.id, { content: 'two, edited' });
    await s.updateMessage(chatId, a.id, { addSwipe: 'one again' });
    await s.appendText(chatId, b.id, ' and more');
    await s.renameChat(chatId, 'new title');
    await s.deleteMessage(chatId, b.id);
    expect(comparable(await s.listChats('alice'))).toEqual(await truth(dir));
    await s.compactChat(chatId);
    expect(comparable(await s.listChats('alice'))).toEqual(await truth(dir));
    await s.close();
  });

  it('deleted: rebuilt from the files, with progress events, nothing lost', async () => {
    const dir = tempDir();
    await library(dir);
    await rm(new Layout(dir).indexFile);
    const { progress } = await reopenAndCheck(dir);
    expect(progress[0]).toEqual({ done: 0, total: 6, ready: false });
    expect(progress.map((p) => p.done)).toEqual([...progress.map((p) => p.done)].sort((x, y) => x - y));
    expect(existsSync(new Layout(dir).indexFile)).toBe(true); // and written again
  });

  it.each([
    ['garbage', 'not json {{{'],
    ['truncated', '{"format":"cardshark-index","version":1,"chats":[{"summ'],
    ['another version', '{"format":"cardshark-index","version":99,"chats":[]}'],
    ['entries of the wrong shape', '{"format":"cardshark-index","version":1,"chats":[{"summary":{"chatId":1}},null,7]}'],
  ])('corrupt (%s): rebuilt, listing right', async (_what, text) => {
    const dir = tempDir();
    await library(dir);
    await writeFile(new Layout(dir).indexFile, text);
    const { progress } = await reopenAndCheck(dir);
    expect(progress[0]!.done).toBe(0);
  });

  it('lying (an entry whose numbers are wrong but whose file identity is stale): the file wins', async () => {
    const dir = tempDir();
    await library(dir);
    const doc = JSON.parse(await readFile(new Layout(dir).indexFile, 'utf8'));
    for (const e of doc.chats) {
      e.summary.messageCount = 999;
      e.file.size += 1;
    }
    await writeFile(new Layout(dir).indexFile, JSON.stringify(doc));
    await reopenAndCheck(dir);
  });

  it('chat files changed by other programs while the app is closed: appended, replaced, deleted, added', async () => {
    const dir = tempDir();
    const ids = await library(dir);
    const line = (id: string, content: string) => `${JSON.stringify({ id, role: 'user', content, timestamp: 1_800_000_000_000 })}\n`;
    // Appended to in place (same inode).
    sh('printf %s "$2" >> "$1"', chatPath(dir, 'alice', ids[0]!), line('ext-1', 'appended by another program'));
    // Replaced the way editors save: a copy with one more line, renamed over the original.
    sh('cp "$1" "$1.tmp" && printf %s "$2" >> "$1.tmp" && mv "$1.tmp" "$1"', chatPath(dir, 'alice', ids[1]!), line('ext-2', 'replaced by an editor'));
    // Deleted.
    sh('rm "$1"', chatPath(dir, 'bob', ids[3]!));
    // Added: a new chat file under a character.
    const added = randomUUID();
    const header = { format: 'cardshark-chat', version: 1, chat_id: added, character_id: 'bob', timestamp: 1_700_000_000_000, title: 'dropped in', metadata: {} };
    sh('printf %s "$2" > "$1"', chatPath(dir, 'bob', added), JSON.stringify(header) + '\n' + line('x1', 'hello') + line('x2', 'from a sync tool'));
    const { progress, list } = await reopenAndCheck(dir);
    // Only what changed was re-read: 3 of 6 entries kept (6 chats: one deleted, one added).
    expect(progress[0]).toEqual({ done: 3, total: 6, ready: false });
    expect(list.find((c) => c.chatId === added)).toMatchObject({ title: 'dropped in', messageCount: 2, preview: 'from a sync tool' });
    expect(list.some((c) => c.chatId === ids[3])).toBe(false);
    expect(list.find((c) => c.chatId === ids[0])).toMatchObject({ preview: 'appended by another program', messageCount: 4 });
  });

  it('a change outside the app while it runs: listChats notices it (stat), refreshChat takes new and deleted files in', async () => {
    const dir = tempDir();
    const ids = await library(dir);
    const s = await openChatStore({ dataDir: dir });
    expect((await s.listChats('alice')).length).toBe(3);
    const line = `${JSON.stringify({ id: 'ext', role: 'user', content: 'appended while open', timestamp: 1_800_000_000_000 })}\n`;
    sh('printf %s "$2" >> "$1"', chatPath(dir, 'alice', ids[0]!), line);
    expect(comparable(await s.listChats('alice'))).toEqual((await truth(dir)).filter((c) => c.characterId === 'alice'));
    const added = randomUUID();
    const header = { format: 'cardshark-chat', version: 1, chat_id: added, character_id: 'alice', timestamp: 1_700_000_000_000, title: 'new', metadata: {} };
    sh('printf %s "$2" > "$1"', chatPath(dir, 'alice', added), JSON.stringify(header) + '\n');
    expect(await s.refreshChat(added)).toBeNull(); // unknown without its character
    expect(await s.refreshChat(added, 'alice')).toMatchObject({ chatId: added, title: 'new', messageCount: 0 });
    sh('rm "$1"', chatPath(dir, 'alice', ids[1]!));
    expect(await s.refreshChat(ids[1]!)).toBeNull();
    expect(comparable(await s.listAllChats())).toEqual(await truth(dir));
    await s.close();
  });

  it('SIGKILL of a process mid-writes leaves a stale index that the next start-up corrects', async () => {
    for (let round = 0; round < 4; round++) {
      const dir = tempDir();
      const child = spawn(process.execPath, [join(here, 'index-child.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
      });
      await new Promise((r) => setTimeout(r, 300 + round * 250)); // several index flushes (every 20 ms) and ~hundreds of writes
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      expect(existsSync(new Layout(dir).indexFile)).toBe(true); // it was flushed while writing
      await reopenAndCheck(dir);
      await reopenAndCheck(dir); // and the corrected index is right too
    }
  }, 60_000);
});

describe('revisions', () => {
  it('increase with every write, survive a restart and a compaction, and are derived from the file', async () => {
    const dir = tempDir();
    let s = await openChatStore({ dataDir: dir });
    const c = await s.createChat({ characterId: 'alice' });
    const revs = [c.revision];
    const m = await s.appendMessage(c.chatId, { role: 'user', content: 'hi' });
    revs.push((await s.getChat(c.chatId)).revision);
    await s.updateMessage(c.chatId, m.id, { content: 'hello' });
    revs.push((await s.getChat(c.chatId)).revision);
    await s.renameChat(c.chatId, 'x');
    revs.push((await s.getChat(c.chatId)).revision);
    await s.compactChat(c.chatId); // the file gets smaller; the revision still goes up
    revs.push((await s.getChat(c.chatId)).revision);
    await s.deleteMessage(c.chatId, m.id);
    revs.push((await s.loadChat(c.chatId)).revision);
    for (let i = 1; i < revs.length; i++) expect(revs[i]).toBeGreaterThan(revs[i - 1]!);
    await s.close();
    await rm(new Layout(dir).indexFile); // from the file alone
    s = await openChatStore({ dataDir: dir });
    expect((await s.getChat(c.chatId)).revision).toBe(revs.at(-1));
    expect((await s.listChats('alice'))[0]!.revision).toBe(revs.at(-1));
    await s.close();
  });

  it('a stale expectedRevision gets CONFLICT on every mutation and the file bytes stay unchanged', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    const c = await s.createChat({ characterId: 'alice' });
    const m = await s.appendMessage(c.chatId, { role: 'user', content: 'hi' });
    const stale = (await s.getChat(c.chatId)).revision;
    await s.updateMessage(c.chatId, m.id, { content: 'changed in the other window' }, { expectedRevision: stale }); // current: accepted
    const path = chatPath(dir, 'alice', c.chatId);
    const bytes = await readFile(path);
    const attempts: [string, () => Promise<unknown>][] = [
      ['updateMessage', () => s.updateMessage(c.chatId, m.id, { content: 'stale edit' }, { expectedRevision: stale })],
      ['appendMessage', () => s.appendMessage(c.chatId, { role: 'user', content: 'x' }, { expectedRevision: stale })],
      ['appendMessages', () => s.appendMessages(c.chatId, [{ role: 'user', content: 'x' }], { expectedRevision: stale })],
      ['appendText', () => s.appendText(c.chatId, m.id, 'x', undefined, { expectedRevision: stale })],
      ['deleteMessage', () => s.deleteMessage(c.chatId, m.id, { expectedRevision: stale })],
      ['renameChat', () => s.renameChat(c.chatId, 'stale', { expectedRevision: stale })],
      ['compactChat', () => s.compactChat(c.chatId, { expectedRevision: stale })],
      ['deleteChat', () => s.deleteChat(c.chatId, { expectedRevision: stale })],
    ];
    const current = (await s.getChat(c.chatId)).revision;
    for (const [what, run] of attempts) {
      const err = await run().then(() => null, (e: unknown) => e);
      expect(err, what).toMatchObject({ code: 'CONFLICT', details: { reason: 'revision', revision: current, expectedRevision: stale } });
      expect((await readFile(path)).equals(bytes), what).toBe(true);
    }
    expect((await s.loadChat(c.chatId)).messages.map((x) => x.content)).toEqual(['changed in the other window']);
    await expect(s.appendMessage(c.chatId, { role: 'user', content: 'x' }, { expectedRevision: -1.5 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await s.close();
  });
});
