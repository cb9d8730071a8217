// A second writer (issue 14): another program writing, editing or half-writing a chat file while
// the store has it, and the store's own crash, with real files and real processes. Faults 1, 3, 4
// and 11: a file the store did not write last is never truncated or rewritten; an outside change
// is never taken for the store's own; a rewrite never drops or redirects another program's bytes;
// any content change moves the revision.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeFs, openChatStore, type ChatStore } from '../../electron/store/index.ts';
import { external } from '../watcher/helpers.ts';
import { chatPath, tempDir } from './helpers.ts';
import { startStoreProcess, stdoutLines, type StoreProcess } from './store-process.ts';
import { Layout } from '../../electron/store/layout.ts';

const SLOW_WRITER = fileURLToPath(new URL('./slow-writer-child.ts', import.meta.url));

const children: ChildProcessWithoutNullStreams[] = [];
const killers: (() => Promise<void>)[] = [];
const stores: ChatStore[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const k of killers.splice(0)) await k();
  for (const s of stores.splice(0)) await s.close().catch(() => {});
});

async function open(dataDir: string, extra: Record<string, unknown> = {}): Promise<ChatStore> {
  const s = await openChatStore({ dataDir, ...extra });
  stores.push(s);
  return s;
}

/** Another program that writes `part1` now and `part2` when told (see slow-writer-child.ts). */
async function slowWriter(path: string, mode: 'create' | 'append', part1: string, part2: string) {
  const child = spawn(process.execPath, [SLOW_WRITER, path, mode, part1, part2]);
  children.push(child);
  const next = stdoutLines(child);
  expect(await next()).toBe('WROTE');
  return {
    async finish() {
      child.stdin.write('go\n');
      expect(await next()).toBe('DONE');
    },
  };
}

/** The store in a child process (see store-child.ts), to be SIGKILLed. */
async function storeChild(dataDir: string, flushMs?: number): Promise<StoreProcess> {
  const p = await startStoreProcess(dataDir, flushMs);
  killers.push(() => p.kill());
  return p;
}

const header = (chatId: string, characterId: string) => `${JSON.stringify({ format: 'cardshark-chat', version: 1, chat_id: chatId, character_id: characterId, timestamp: 1_700_000_000_000, title: 'from elsewhere', metadata: {} })}\n`;
const line = (id: string, content: string, timestamp = 1_700_000_000_001) => `${JSON.stringify({ id, role: 'user', content, timestamp })}\n`;

async function chatWith(dir: string, contents: string[]) {
  const s = await openChatStore({ dataDir: dir });
  const { chatId } = await s.createChat({ characterId: 'c', title: 't' });
  for (const [i, content] of contents.entries()) await s.appendMessage(chatId, { id: `m${i}`, role: 'user', content });
  return { s, chatId, path: chatPath(dir, 'c', chatId) };
}

const sizeOf = async (p: string) => (await stat(p)).size;

describe('fault 1: a file another program is still writing is never truncated', () => {
  it('a new chat file being written is discovered read-only and left whole; once the writer finishes it reads ok, with no hole', async () => {
    const dir = tempDir();
    const s = await open(dir);
    const chatId = randomUUID();
    const path = chatPath(dir, 'c', chatId);
    await mkdir(dirname(path), { recursive: true });
    const second = line('x2', 'the second message, written in two parts');
    const part1 = header(chatId, 'c') + line('x1', 'first') + second.slice(0, 25);
    const writer = await slowWriter(path, 'create', part1, second.slice(25));
    const found = await s.discoverChat(path);
    expect(found).toMatchObject({ kind: 'listed', summary: { chatId, status: 'read_only', messageCount: 1 } });
    expect(await sizeOf(path)).toBe(Buffer.byteLength(part1)); // nothing cut
    await expect(s.appendMessage(chatId, { role: 'user', content: 'mine' })).rejects.toMatchObject({ code: 'READ_ONLY' });
    expect(await sizeOf(path)).toBe(Buffer.byteLength(part1));
    await writer.finish();
    expect(await readFile(path, 'utf8')).toBe(part1 + second.slice(25)); // no hole, no byte lost
    expect(await s.refreshChat(chatId)).toMatchObject({ status: 'ok', messageCount: 2 }); // the watcher re-reads it once settled
    await s.appendMessage(chatId, { id: 'mine', role: 'user', content: 'mine' });
    expect((await s.loadChat(chatId)).messages.map((m) => m.id)).toEqual(['x1', 'x2', 'mine']);
  });

  it("another program's torn tail, read-only in the previous run, is not cut at the next start (clean close)", async () => {
    const dir = tempDir();
    const { s, chatId, path } = await chatWith(dir, ['one', 'two']);
    stores.push(s);
    const third = line('ext', 'appended by another program in two parts');
    const writer = await slowWriter(path, 'append', third.slice(0, 30), third.slice(30));
    const size = await sizeOf(path);
    expect(await s.getChat(chatId)).toMatchObject({ status: 'read_only', messageCount: 2 });
    await s.close();
    const again = await open(dir);
    expect(await again.getChat(chatId)).toMatchObject({ status: 'read_only', messageCount: 2 });
    expect(await sizeOf(path)).toBe(size);
    await writer.finish();
    expect(await again.refreshChat(chatId)).toMatchObject({ status: 'ok', messageCount: 3 });
    expect((await readFile(path, 'utf8')).endsWith(third)).toBe(true);
  });

  it("another program's torn tail, read-only in a run that then crashed (SIGKILL), is not cut at the next start", async () => {
    const dir = tempDir();
    const { s, chatId, path } = await chatWith(dir, ['one', 'two']);
    await s.close();
    const app = await storeChild(dir, 20);
    expect(await app.call('appendMessage', chatId, { id: 'three', role: 'user', content: 'three' })).toMatchObject({ ok: { id: 'three' } });
    const fourth = line('ext', 'appended by another program in two parts');
    const writer = await slowWriter(path, 'append', fourth.slice(0, 30), fourth.slice(30));
    const size = await sizeOf(path);
    expect(await app.call('getChat', chatId)).toMatchObject({ ok: { status: 'read_only', messageCount: 3 } });
    // Killed once its chat index (flushed every 20 ms) no longer counts the file as the app's own write.
    const ownWrites = async () => (JSON.parse(await readFile(new Layout(dir).indexFile, 'utf8')).writes ?? {}) as Record<string, unknown>;
    for (let i = 0; chatId in (await ownWrites()); i++) {
      if (i > 500) throw new Error('the store process never flushed its chat index');
      await new Promise((r) => setTimeout(r, 10));
    }
    await app.kill();
    const again = await open(dir);
    expect(await again.getChat(chatId)).toMatchObject({ status: 'read_only', messageCount: 3 });
    expect(await sizeOf(path)).toBe(size);
    await writer.finish();
    expect(await again.refreshChat(chatId)).toMatchObject({ status: 'ok', messageCount: 4 });
  });

  it("the store's own torn tail after its own crash is still cut at the next start, and the chat stays writable", async () => {
    const dir = tempDir();
    const { s, chatId, path } = await chatWith(dir, ['one', 'two']);
    await s.close();
    const app = await storeChild(dir);
    expect(await app.call('appendMessage', chatId, { id: 'three', role: 'user', content: 'three' })).toMatchObject({ ok: { id: 'three' } });
    const acked = await sizeOf(path);
    await app.call('tearNextAppend', 17);
    expect(await app.call('appendMessage', chatId, { id: 'four', role: 'user', content: 'never acknowledged' })).toEqual({ torn: true });
    await app.kill();
    expect(await sizeOf(path)).toBe(acked + 17);
    const again = await open(dir);
    const page = await again.loadChat(chatId);
    expect(page.messages.map((m) => m.id)).toEqual(['m0', 'm1', 'three']);
    expect(page.readOnly).toBe(false);
    expect(page.warnings.map((w) => w.kind)).toEqual(['torn_tail']);
    expect(await sizeOf(path)).toBe(acked);
    await again.appendMessage(chatId, { id: 'five', role: 'user', content: 'after the crash' });
  });
});

describe('fault 3: a same-size outside edit is never taken for the store\'s own write', () => {
  it('a read after an in-place edit of the same size shows what the file holds', async () => {
    const dir = tempDir();
    const { s, chatId, path } = await chatWith(dir, ['the colour red']);
    stores.push(s);
    expect((await s.loadChat(chatId)).messages[0]!.content).toBe('the colour red');
    const size = await sizeOf(path);
    await external('patch', path, 'colour=>color_');
    expect(await sizeOf(path)).toBe(size);
    expect((await s.loadChat(chatId)).messages[0]!.content).toBe('the color_ red');
    expect((await s.getChat(chatId)).preview).toBe('the color_ red');
  });

  it('an edit of a message another program edited in place (same size) is refused (CONFLICT), the edit is re-read, and an append keeps it', async () => {
    const dir = tempDir();
    const { s, chatId, path } = await chatWith(dir, ['the colour red']);
    stores.push(s);
    await s.loadChat(chatId);
    await external('patch', path, 'colour=>color_');
    // The app's view is stale: an edit from it must not overwrite the outside fix, and an append must not absorb it.
    await expect(s.updateMessage(chatId, 'm0', { content: 'the colour red, edited in the app' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await readFile(path, 'utf8')).not.toContain('edited in the app');
    await s.loadChat(chatId);
    await external('patch', path, 'color_=>colour');
    // Issue 17: an append commutes with the outside edit: it is written to the file as it is now
    // (the edit kept, never absorbed as the store's own: the store re-read the file first).
    await s.appendMessage(chatId, { id: 'mine', role: 'user', content: 'mine' });
    expect(await readFile(path, 'utf8')).toContain('the colour red');
    expect(await s.isOwnStateNow(chatId)).toBe(true);
    expect((await s.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['the colour red', 'mine']);
  });
});

describe('fault 4: a rewrite never drops or redirects bytes another program wrote', () => {
  /** A chat worth compacting: most of its records are superseded edits. */
  async function compactable(dir: string) {
    const r = await chatWith(dir, ['one']);
    for (let i = 0; i < 20; i++) await r.s.updateMessage(r.chatId, 'm0', { content: `edit ${i}` });
    return r;
  }

  it("compaction on close skips a chat another program is half-way through writing; its line completes intact", async () => {
    const dir = tempDir();
    const { chatId, path } = await (async () => {
      const s = await openChatStore({ dataDir: dir, compactMinBytes: 0 });
      const { chatId } = await s.createChat({ characterId: 'c', title: 't' });
      await s.appendMessage(chatId, { id: 'm0', role: 'user', content: 'one' });
      for (let i = 0; i < 20; i++) await s.updateMessage(chatId, 'm0', { content: `edit ${i}` });
      await s.getChat(chatId); // fully indexed: a candidate for compaction on close
      const path = chatPath(dir, 'c', chatId);
      const ext = line('ext', 'appended by another program in two parts');
      const writer = await slowWriter(path, 'append', ext.slice(0, 30), ext.slice(30));
      const before = await readFile(path);
      await s.close();
      expect((await readFile(path)).equals(before)).toBe(true); // not compacted, nothing dropped
      await writer.finish();
      expect((await readFile(path, 'utf8')).endsWith(ext)).toBe(true);
      return { chatId, path };
    })();
    const again = await open(dir);
    expect((await again.loadChat(chatId)).messages.map((m) => m.id)).toEqual(['m0', 'ext']);
    expect((await readFile(path, 'utf8')).split('\n').filter(Boolean).every((l) => JSON.parse(l))).toBe(true);
  });

  it('compaction on request while another program is writing fails CONFLICT, rewrites nothing, and the chat is re-read', async () => {
    const dir = tempDir();
    const { s, chatId, path } = await compactable(dir);
    stores.push(s);
    await s.getChat(chatId);
    const ext = line('ext', 'appended by another program in two parts');
    const writer = await slowWriter(path, 'append', ext.slice(0, 30), ext.slice(30));
    const before = await readFile(path);
    await expect(s.compactChat(chatId)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await readFile(path)).equals(before)).toBe(true);
    expect(await s.getChat(chatId)).toMatchObject({ status: 'read_only' });
    await writer.finish();
    expect(await s.refreshChat(chatId)).toMatchObject({ status: 'ok', messageCount: 2 });
    await s.compactChat(chatId);
    expect((await s.loadChat(chatId)).messages.map((m) => m.id)).toEqual(['m0', 'ext']);
  });

  it('a line another program appends while the compacted file is being written is not redirected into the replaced file', async () => {
    const dir = tempDir();
    const ext = line('ext', 'appended during the rewrite');
    let path = '';
    let armed = false;
    // The seam only times the other program's write (a real process) into the rewrite's window.
    const fs = {
      ...nodeFs,
      writeFileAtomic: async (p: string, data: string | Buffer) => {
        // The new file (written under the chat's name or a staging name beside it).
        if (armed && p.startsWith(path)) {
          armed = false;
          await external('append', path, ext);
        }
        return nodeFs.writeFileAtomic(p, data);
      },
    };
    const s = await open(dir, { fs });
    const { chatId } = await s.createChat({ characterId: 'c', title: 't' });
    path = chatPath(dir, 'c', chatId);
    await s.appendMessage(chatId, { id: 'm0', role: 'user', content: 'one' });
    for (let i = 0; i < 5; i++) await s.updateMessage(chatId, 'm0', { content: `edit ${i}` });
    armed = true;
    await expect(s.compactChat(chatId)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(armed).toBe(false);
    expect(await readFile(path, 'utf8')).toContain(ext);
    expect((await s.loadChat(chatId)).messages.map((m) => [m.id, m.content])).toEqual([['m0', 'edit 4'], ['ext', 'appended during the rewrite']]);
  });

  it('a file another program renames over the chat while the compacted file is being written stays: the compaction fails CONFLICT', async () => {
    // Found by the randomized test (a sync tool's replace during a merge's rewrite, run 13): the path
    // was checked before the new file was written, and the rename then put it over the other file.
    const dir = tempDir();
    let path = '';
    let theirs = '';
    let armed = false;
    const fs = {
      ...nodeFs,
      writeFileAtomic: async (p: string, data: string | Buffer) => {
        if (armed && p.startsWith(path)) {
          armed = false;
          await external('replace', path, theirs); // a real process, timed into the rewrite's window by the seam
        }
        return nodeFs.writeFileAtomic(p, data);
      },
    };
    const s = await open(dir, { fs });
    const { chatId } = await s.createChat({ characterId: 'c', title: 't' });
    path = chatPath(dir, 'c', chatId);
    await s.appendMessage(chatId, { id: 'm0', role: 'user', content: 'one' });
    for (let i = 0; i < 5; i++) await s.updateMessage(chatId, 'm0', { content: `edit ${i}` });
    theirs = `${(await readFile(path, 'utf8')).split('\n')[0]}\n${line('ext', 'their version, renamed over the chat')}`;
    armed = true;
    await expect(s.compactChat(chatId)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(armed).toBe(false);
    expect(await readFile(path, 'utf8')).toBe(theirs);
    expect((await readdir(join(dir, 'chats', 'c'))).filter((n) => n !== `${chatId}.jsonl`)).toEqual([]); // no staging file left
  });

  it('a line another program appends while a repair backs the file up is not dropped: the repair fails CONFLICT', async () => {
    const dir = tempDir();
    const ext = line('ext', 'appended during the repair');
    let path = '';
    let armed = false;
    const fs = {
      ...nodeFs,
      copyFile: async (src: Parameters<typeof nodeFs.copyFile>[0], dst: Parameters<typeof nodeFs.copyFile>[1], mode?: number) => {
        if (armed && src === path) {
          armed = false;
          await external('append', path, ext);
        }
        return nodeFs.copyFile(src, dst, mode);
      },
    };
    const s = await open(dir, { fs });
    const { chatId } = await s.createChat({ characterId: 'c', title: 't' });
    path = chatPath(dir, 'c', chatId);
    await s.appendMessage(chatId, { id: 'm0', role: 'user', content: 'one' });
    await external('append', path, '{"id":"broken\n'); // a damaged line: something to repair
    armed = true;
    await expect(s.repairChat(chatId)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await readFile(path, 'utf8')).toContain(ext);
    expect((await s.loadChat(chatId)).messages.map((m) => m.id)).toEqual(['m0', 'ext']);
  });
});

describe('fault 11: any content change makes a stale expectedRevision fail', () => {
  it('an in-place edit of the same size moves the revision: the stale one is CONFLICT, the new one works', async () => {
    const dir = tempDir();
    const { s, chatId, path } = await chatWith(dir, ['the colour red']);
    stores.push(s);
    const seen = (await s.loadChat(chatId)).revision;
    await external('patch', path, 'colour=>color_');
    const now = (await s.getChat(chatId)).revision;
    expect(now).not.toBe(seen);
    expect(now).toBeGreaterThan(seen);
    await expect(s.updateMessage(chatId, 'm0', { content: 'stale view' }, { expectedRevision: seen })).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'revision' } });
    expect(await readFile(path, 'utf8')).not.toContain('stale view');
    await s.updateMessage(chatId, 'm0', { content: 'current view' }, { expectedRevision: now });
    expect((await s.getChat(chatId)).revision).toBeGreaterThan(now);
  });

  it('an outside rewrite back to an earlier size never repeats a revision handed out before', async () => {
    const dir = tempDir();
    const { s, chatId, path } = await chatWith(dir, ['one']);
    stores.push(s);
    const first = (await s.getChat(chatId)).revision;
    const original = await readFile(path, 'utf8');
    await s.appendMessage(chatId, { id: 'm1', role: 'user', content: 'two' });
    const second = (await s.getChat(chatId)).revision;
    // An editor saves the chat without the second message, and with the first one changed (same length).
    await external('replace', path, original.replace('"one"', '"ONE"'));
    const now = (await s.getChat(chatId)).revision;
    expect(now).toBeGreaterThan(second);
    for (const stale of [first, second]) {
      await expect(s.updateMessage(chatId, 'm0', { content: 'stale' }, { expectedRevision: stale })).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'revision' } });
    }
    expect((await s.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['ONE']);
  });

  it('a moved revision stays the same across a restart while nothing changes', async () => {
    const dir = tempDir();
    const { s, chatId, path } = await chatWith(dir, ['the colour red']);
    const seen = (await s.getChat(chatId)).revision;
    await external('patch', path, 'colour=>color_');
    const moved = (await s.getChat(chatId)).revision;
    expect(moved).not.toBe(seen);
    await s.appendMessage(chatId, { id: 'm1', role: 'user', content: 'more' });
    const after = (await s.getChat(chatId)).revision;
    await s.close();
    const again = await open(dir);
    expect((await again.getChat(chatId)).revision).toBe(after);
    expect((await again.loadChat(chatId)).revision).toBe(after);
  });

  it("a revision the app's own last write handed out is CONFLICT after a restart and an in-place edit made while the app was closed", async () => {
    const dir = tempDir();
    const { s, chatId, path } = await chatWith(dir, ['the colour red']);
    await s.appendMessage(chatId, { id: 'm1', role: 'user', content: 'hello there' });
    const seen = (await s.getChat(chatId)).revision;
    await s.close();
    await external('patch', path, 'hello=>HELLO');
    const again = await open(dir);
    stores.push(again);
    await expect(again.updateMessage(chatId, 'm1', { content: 'stale view' }, { expectedRevision: seen })).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'revision' } });
    expect(await readFile(path, 'utf8')).toContain('HELLO there');
  });

  it('a revision handed out before another program cut the file back (while the app was closed) never comes round again', async () => {
    const dir = tempDir();
    const { s, chatId, path } = await chatWith(dir, ['one']);
    const short = await readFile(path, 'utf8');
    await s.appendMessage(chatId, { id: 'm1', role: 'user', content: 'two' });
    const seen = (await s.getChat(chatId)).revision;
    await s.close();
    await external('replace', path, short); // back to the shorter file
    const again = await open(dir);
    stores.push(again);
    await again.appendMessage(chatId, { id: 'm9', role: 'user', content: 'six' }); // the same length as m1's line
    expect((await again.getChat(chatId)).revision).toBeGreaterThan(seen);
  });

  it('a revision a read handed out for a file another program replaced is CONFLICT after a restart and an in-place edit made while the app was closed', async () => {
    const dir = tempDir();
    const { s, chatId, path } = await chatWith(dir, ['the colour red']);
    const theirs = (await readFile(path, 'utf8')).replace('the colour red', 'the colour blue');
    await external('replace', path, theirs); // another program's version: the index never records it
    const seen = (await s.loadChat(chatId)).revision;
    await s.close();
    await external('patch', path, 'colour=>color_'); // while the app is closed, same size
    const again = await open(dir);
    stores.push(again);
    await expect(again.updateMessage(chatId, 'm0', { content: 'stale view' }, { expectedRevision: seen })).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'revision' } });
    expect(await readFile(path, 'utf8')).toContain('color_ blue');
  });

  it('a revision handed out before a restart is CONFLICT after an in-place edit of the same size made once the app started again', async () => {
    const dir = tempDir();
    const { s, chatId, path } = await chatWith(dir, ['the colour red']);
    const seen = (await s.loadChat(chatId)).revision;
    await s.close();
    const again = await open(dir);
    stores.push(again);
    await external('patch', path, 'colour=>color_');
    await expect(again.updateMessage(chatId, 'm0', { content: 'stale view' }, { expectedRevision: seen })).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'revision' } });
    expect(await readFile(path, 'utf8')).toContain('color_');
    expect(await readFile(path, 'utf8')).not.toContain('stale view');
  });
});

/**
 * A chat another program made (a sync tool brought it), discovered by a store whose `link` seam
 * times that program's rename (a real process) of its copy, read before the app's next append, into
 * the window between the append reaching the disk and the link the store keeps of the file it wrote.
 * The app's first append is its first write into that file, so no link is kept of it yet.
 * `raced()`: whether the rename happened.
 */
async function chatWithReplaceAtLink(dir: string, extra: Partial<typeof nodeFs> = {}) {
  const chatId = randomUUID();
  const path = chatPath(dir, 'c', chatId);
  let before: Buffer | null = null;
  const fs = {
    ...nodeFs,
    ...extra,
    link: async (src: Parameters<typeof nodeFs.link>[0], dst: Parameters<typeof nodeFs.link>[1]) => {
      if (before && src === path) {
        const theirs = before;
        before = null;
        await external('replace', path, theirs.toString('utf8'));
      }
      return nodeFs.link(src, dst);
    },
  };
  const s = await open(dir, { fs });
  await mkdir(dirname(path), { recursive: true });
  await external('replace', path, `${header(chatId, 'c')}${line('ext', 'theirs')}`);
  expect(await s.discoverChat(path)).toMatchObject({ kind: 'listed' });
  before = await readFile(path);
  return { s, chatId, path, raced: () => before === null };
}

describe('a replace racing an app append: the append is kept before it is acknowledged', () => {
  it('another program renames its copy (read before the append) over the chat between the append and its link: the append is in .own-versions at the ack, and after a quit', async () => {
    const dir = tempDir();
    const { s, chatId, path, raced } = await chatWithReplaceAtLink(dir);
    await s.appendMessage(chatId, { id: 'm1', role: 'user', content: 'the racing append' });
    expect(raced()).toBe(true); // the race happened
    expect(await readFile(path, 'utf8')).not.toContain('the racing append'); // the path names their copy
    const kept = async () => {
      const keptDir = new Layout(dir).ownVersionsDir;
      const names = await readdir(keptDir);
      return (await Promise.all(names.map((n) => readFile(join(keptDir, n), 'utf8')))).filter((t) => t.includes('the racing append'));
    };
    expect(await kept()).toHaveLength(1); // durable at the acknowledgement: a crash now loses nothing
    await s.close();
    expect(await kept()).toHaveLength(1);
    const again = await open(dir);
    const versions = await again.appVersions(chatId);
    expect(versions.some((v) => v.messages.some((m) => m.content === 'the racing append'))).toBe(true);
  });
});

/**
 * A chat another program wrote, listed by the store, whose first app append is raced: `between`
 * (a real child process's write) runs after the append's check and before its O_APPEND write,
 * timed through the seam's open of the append handle.
 */
async function chatWithWriteBeforeAppend(dir: string, between: (path: string) => Promise<void>) {
  const chatId = randomUUID();
  const path = chatPath(dir, 'c', chatId);
  let raced = false;
  const fs = {
    ...nodeFs,
    open: (async (p: string, flags?: string, mode?: number) => {
      if (p === path && flags === 'a' && !raced) {
        raced = true;
        await between(path);
      }
      return nodeFs.open(p, flags, mode);
    }) as typeof nodeFs.open,
  };
  const s = await open(dir, { fs });
  await mkdir(dirname(path), { recursive: true });
  await external('replace', path, header(chatId, 'c'));
  expect(await s.discoverChat(path)).toMatchObject({ kind: 'listed' });
  return { s, chatId, path, raced: () => raced };
}

describe('another program appends while the app appends', () => {
  // The append's check (the path still names the file, unchanged) passes, then another program
  // appends, then the app's O_APPEND write lands after its line. Timed through the seam's open of
  // the append handle; the other program is a real process.
  it('the write stands, the chat is read anew with both lines, and a later replace from a copy read before the app\'s line still finds the app\'s version', async () => {
    let before: Buffer | null = null;
    const { s, chatId, path, raced } = await chatWithWriteBeforeAppend(tempDir(), async (path) => {
      await external('append', path, line('ext', 'their line'));
      before = await readFile(path); // what the other program last saw: the base of its later replace
    });
    await s.appendMessage(chatId, { id: 'm1', role: 'user', content: 'the racing append' });
    expect(raced()).toBe(true);
    const file = await readFile(path, 'utf8');
    expect(file.indexOf('their line')).toBeLessThan(file.indexOf('the racing append')); // theirs first: the race happened
    // The app shows what the file holds, not its own line at the other program's offset.
    expect((await s.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['their line', 'the racing append']);
    // The other program renames a copy built on what it read before the app's line over the chat.
    await external('replace', path, `${before!.toString('utf8')}${line('ext2', 'their second line')}`);
    const versions = await s.appVersions(chatId);
    const mine = versions.find((v) => v.messages.some((m) => m.content === 'the racing append'));
    expect(mine?.inFile).toBe(false); // the watcher makes a conflict copy of it
  });
});

describe('another program writes part of a line while the app appends', () => {
  it('the app\'s line, which went inside theirs, is written again on a line of its own; all their bytes stay, and the broken line is reported', async () => {
    const theirs = line('ext', 'their line');
    const cut = Math.floor(theirs.length / 2);
    const { s, chatId, path, raced } = await chatWithWriteBeforeAppend(tempDir(), (path) => external('append', path, theirs.slice(0, cut))); // its first write; the rest comes later
    await s.appendMessage(chatId, { id: 'm1', role: 'user', content: 'the racing append' });
    expect(raced()).toBe(true);
    await external('append', path, theirs.slice(cut)); // its second write
    const file = await readFile(path, 'utf8');
    const a = file.indexOf(theirs.slice(0, cut));
    expect(a).toBeGreaterThan(0);
    expect(file.indexOf(theirs.slice(cut), a + cut)).toBeGreaterThan(a); // every byte of theirs, in order
    const page = await s.loadChat(chatId);
    expect(page.messages.map((m) => m.content)).toEqual(['the racing append']);
    expect(page.warnings.some((w) => w.kind === 'quarantined_line')).toBe(true);
  });

  it('a batch whose first line went inside theirs: only that line is written again, no id twice', async () => {
    const { s, chatId, path, raced } = await chatWithWriteBeforeAppend(tempDir(), (path) => external('append', path, '{"id":"ext","role":"us')); // a line begun, never finished
    await s.appendMessages(chatId, ['one', 'two', 'three'].map((content, i) => ({ id: `m${i}`, role: 'user' as const, content })));
    expect(raced()).toBe(true);
    const ids = (await readFile(path, 'utf8'))
      .split('\n')
      .flatMap((l) => /^\{"id":"(m\d)"/.exec(l)?.[1] ?? []);
    expect(ids.sort()).toEqual(['m0', 'm1', 'm2']);
    expect((await s.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['two', 'three', 'one']);
    expect((await s.validateChat(chatId)).problems.filter((p) => p.kind === 'duplicate_id')).toEqual([]);
  });
});

describe('where no hard link can be made', () => {
  it('a file system without hard links (EXDEV): writes copy nothing and leave nothing pending; the open log keeps the file', async () => {
    const dir = tempDir();
    const exdev = () => Promise.reject(Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' }));
    const s = await open(dir, { fs: { ...nodeFs, link: exdev } });
    const { chatId } = await s.createChat({ characterId: 'c', title: 't' });
    for (let i = 0; i < 5; i++) await s.appendMessage(chatId, { id: `m${i}`, role: 'user', content: `message ${i}` });
    const kept = await readdir(new Layout(dir).ownVersionsDir).catch(() => [] as string[]);
    expect(kept).toEqual([]);
    expect(await s.ownVersionPending(chatId)).toBe(false);
  });

  it('the copy of a write that raced a replace fails (disk full): the write is not acknowledged', async () => {
    const dir = tempDir();
    const { s, chatId, raced } = await chatWithReplaceAtLink(dir, {
      // ENOSPC only for the copy into .own-versions: the OS cannot fill the disk on demand.
      writeFileAtomic: async (p: string, data: string | Buffer) => {
        if (p.includes('.own-versions')) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return nodeFs.writeFileAtomic(p, data);
      },
    });
    await expect(s.appendMessage(chatId, { id: 'm1', role: 'user', content: 'kept nowhere' })).rejects.toMatchObject({ code: 'DISK_FULL' });
    expect(raced()).toBe(true); // the race happened
  });
});

describe('a file renamed over the chat while the app\'s versions are being set aside after a comparison', () => {
  it('keeps them: the file the comparison saw is not the file at the path, so they are compared again', async () => {
    // Found by the randomized test: the comparison's end dropped the kept versions, then tried to
    // keep the compared file as the app's version, and found another one renamed over it: nothing
    // of the app's was kept, and its messages the new file lacked were in no chat.
    const dir = tempDir();
    let path = '';
    let renameOver: string | null = null;
    const fs = {
      ...nodeFs,
      link: async (src: Parameters<typeof nodeFs.link>[0], dst: Parameters<typeof nodeFs.link>[1]) => {
        if (renameOver !== null && String(dst).includes('.own-versions')) {
          const text = renameOver;
          renameOver = null;
          await external('replace', path, text); // a real process, timed by the seam into that step
        }
        return nodeFs.link(src, dst);
      },
    };
    const s = await open(dir, { fs });
    const { chatId } = await s.createChat({ characterId: 'c', title: 't' });
    path = chatPath(dir, 'c', chatId);
    await s.appendMessage(chatId, { id: 'm0', role: 'user', content: 'mine, kept everywhere' });
    const header = (await readFile(path, 'utf8')).split('\n')[0]!;
    // Another program's version that holds the app's message: compared, it holds all of it.
    await external('replace', path, `${header}\n${line('m0', 'mine, kept everywhere', (await s.loadChat(chatId)).messages[0]!.timestamp)}${line('ext1', 'theirs')}`);
    expect((await s.appVersions(chatId)).every((v) => v.inFile)).toBe(true);
    // As the store sets the compared versions aside, a third version is renamed over the path: it lacks m0.
    renameOver = `${header}\n${line('ext2', 'a third version, without the app\'s message')}`;
    await s.refreshChat(chatId);
    expect(renameOver).toBe(null); // the race happened
    expect(await s.ownVersionPending(chatId)).toBe(true);
    const versions = await s.appVersions(chatId);
    expect(versions.some((v) => !v.inFile && v.messages.some((m) => m.id === 'm0'))).toBe(true);
  });
});
