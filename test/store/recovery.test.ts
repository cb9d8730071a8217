// Damaged files and failing disks: earlier messages stay, bad bytes go to quarantine,
// and a file the store failed to read is never written over.
import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { chatPath, faultySeam, tempDir } from './helpers.ts';
import { startStoreProcess } from './store-process.ts';
import { Layout } from '../../electron/store/layout.ts';

async function chatWith(n: number, dir = tempDir()) {
  const s = await openChatStore({ dataDir: dir });
  const c = await s.createChat({ characterId: 'alice' });
  for (let i = 0; i < n; i++) await s.appendMessage(c.chatId, { id: `m${i}`, role: 'user', content: `message ${i}` });
  await s.close();
  return { dir, chatId: c.chatId, path: chatPath(dir, 'alice', c.chatId) };
}

describe('torn last line', () => {
  it("the store's own (a crash mid-append): keeps every earlier message, quarantines the bytes, cuts them off, and keeps working", async () => {
    const { dir, chatId, path } = await chatWith(5);
    const app = await startStoreProcess(dir);
    try {
      await app.call('tearNextAppend', 36);
      expect(await app.call('appendMessage', chatId, { id: 'm5', role: 'user', content: 'half a message' })).toEqual({ torn: true });
    } finally {
      await app.kill();
    }
    const s = await openChatStore({ dataDir: dir });
    const page = await s.loadChat(chatId);
    expect(page.messages.map((m) => m.id)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(page.warnings).toHaveLength(1);
    expect(page.warnings[0]).toMatchObject({ kind: 'torn_tail' });
    expect(page.warnings[0]!.quarantinePath).toMatch(/^quarantine\//);
    expect(await readFile(join(dir, page.warnings[0]!.quarantinePath!), 'utf8')).toBe('{"id":"m5","role":"user","content":"');
    expect((await s.listChats('alice'))[0]).toMatchObject({ chatId, messageCount: 5, status: 'ok' });
    await s.appendMessage(chatId, { id: 'm6', role: 'user', content: 'after repair' });
    await s.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toHaveLength(7);
  });

  it("another program's (the store did not write it): kept in the file, reported, read-only until complete", async () => {
    const { dir, chatId, path } = await chatWith(5);
    await appendFile(path, '{"id":"m5","role":"user","content":"half a mess');
    const size = (await readFile(path)).length;
    const s = await openChatStore({ dataDir: dir });
    const page = await s.loadChat(chatId);
    expect(page.messages.map((m) => m.id)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(page.warnings.map((w) => w.kind)).toEqual(['torn_tail']);
    expect(page.readOnly).toBe(true);
    expect((await readFile(path)).length).toBe(size);
    await appendFile(path, 'age","timestamp":5}\n');
    expect(await s.refreshChat(chatId)).toMatchObject({ status: 'ok', messageCount: 6 });
    await s.close();
  });

  it('keeps a complete last line that only lacks its newline', async () => {
    const { dir, chatId, path } = await chatWith(2);
    await appendFile(path, '{"id":"ext","role":"user","content":"written by another tool","timestamp":5}');
    const s = await openChatStore({ dataDir: dir });
    expect((await s.loadChat(chatId)).warnings).toEqual([]);
    await s.appendMessage(chatId, { id: 'next', role: 'user', content: 'next' });
    expect((await s.loadChat(chatId)).messages.map((m) => m.id)).toEqual(['m0', 'm1', 'ext', 'next']);
    await s.close();
    expect((await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l))).toHaveLength(5);
  });
});

describe('damaged lines in the middle', () => {
  it('quarantines the bad line, reports it, serves the rest, and leaves the file untouched', async () => {
    const { dir, chatId, path } = await chatWith(0);
    const good = (i: number) => JSON.stringify({ id: `m${i}`, role: 'user', content: `ok ${i}`, timestamp: i });
    await appendFile(path, `${good(0)}\n{"id":"m1","role":"user","content":broken}\n\u0000\u0000garbage\n${good(2)}\n\n${good(3)}\n`);
    const original = await readFile(path);
    const s = await openChatStore({ dataDir: dir });
    const page = await s.loadChat(chatId);
    expect(page.messages.map((m) => m.id)).toEqual(['m0', 'm2', 'm3']);
    expect(page.warnings.map((w) => w.kind)).toEqual(['quarantined_line', 'quarantined_line']);
    const q = await readdir(join(dir, 'quarantine', chatId));
    expect(q).toHaveLength(2);
    expect((await s.getChat(chatId)).messageCount).toBe(3);
    await s.close();
    expect(await readFile(path)).toEqual(original);
  });
});

describe('unreadable headers are refused, never overwritten', () => {
  it.each([
    ['garbage', 'this is not json\n{"id":"m0","role":"user","content":"x","timestamp":1}\n'],
    ['a truncated header', '{"format":"cardshark-chat","version":1,"chat_'],
    ['a BOM and garbage', '\uFEFF{{{\n'],
    ['an empty file', ''],
    ['a header of another chat', `${JSON.stringify({ format: 'cardshark-chat', version: 1, chat_id: '6f1c1f7e-3b1d-4c59-9a53-0f4f1d0b2a11', character_id: 'alice', timestamp: 1, title: 't', metadata: {} })}\n`],
  ])('%s', async (_name, content) => {
    const { dir, chatId, path } = await chatWith(0);
    await writeFile(path, content);
    const s = await openChatStore({ dataDir: dir });
    const list = await s.listChats('alice');
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ chatId, status: 'corrupt' });
    await expect(s.loadChat(chatId)).rejects.toMatchObject({ code: 'CORRUPT' });
    await expect(s.appendMessage(chatId, { role: 'user', content: 'x' })).rejects.toMatchObject({ code: 'CORRUPT' });
    await expect(s.compactChat(chatId)).rejects.toMatchObject({ code: 'CORRUPT' });
    await s.close();
    expect(await readFile(path, 'utf8')).toBe(content);
  });

  it('opens an unknown newer version read-only', async () => {
    const { dir, chatId, path } = await chatWith(2);
    const [header, ...rest] = (await readFile(path, 'utf8')).split('\n');
    const content = [JSON.stringify({ ...JSON.parse(header!), version: 2 }), ...rest].join('\n');
    await writeFile(path, content);
    const s = await openChatStore({ dataDir: dir });
    const page = await s.loadChat(chatId);
    expect(page.readOnly).toBe(true);
    expect(page.messages).toHaveLength(2);
    await expect(s.appendMessage(chatId, { role: 'user', content: 'x' })).rejects.toMatchObject({ code: 'READ_ONLY' });
    await expect(s.compactChat(chatId)).rejects.toMatchObject({ code: 'READ_ONLY' });
    expect((await s.listChats('alice'))[0]!.status).toBe('read_only');
    await s.close();
    expect(await readFile(path, 'utf8')).toBe(content);
  });
});

describe('failing disks (injected through the fs seam)', () => {
  it('a read error (EIO) is an error, never an empty chat, and the chat stays listed', async () => {
    const { dir, chatId, path } = await chatWith(3);
    const original = await readFile(path);
    const { seam, faults } = faultySeam();
    const s = await openChatStore({ dataDir: dir, fs: seam });
    faults.open = { code: 'EIO', match: chatId };
    await expect(s.loadChat(chatId)).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(s.appendMessage(chatId, { role: 'user', content: 'x' })).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect((await s.listChats('alice'))[0]).toMatchObject({ chatId, status: 'corrupt' });
    delete faults.open;
    expect((await s.loadChat(chatId)).messages).toHaveLength(3);
    await s.close();
    expect(await readFile(path)).toEqual(original);
  });

  it('a full disk mid-append leaves no partial line, reports DISK_FULL, and a retry succeeds', async () => {
    const { dir, chatId, path } = await chatWith(3);
    const original = await readFile(path);
    const { seam, faults } = faultySeam();
    const s = await openChatStore({ dataDir: dir, fs: seam });
    faults.write = { code: 'ENOSPC', afterBytes: 10 };
    await expect(s.appendMessage(chatId, { id: 'big', role: 'user', content: 'x'.repeat(5000) })).rejects.toMatchObject({ code: 'DISK_FULL' });
    expect(await readFile(path)).toEqual(original);
    delete faults.write;
    await s.appendMessage(chatId, { id: 'big', role: 'user', content: 'x'.repeat(5000) });
    expect((await s.loadChat(chatId)).messages.map((m) => m.id)).toEqual(['m0', 'm1', 'm2', 'big']);
    await s.close();
  });

  it('a full disk during the backup aborts a compaction with the original intact', async () => {
    const { dir, chatId, path } = await chatWith(3);
    const { seam, faults } = faultySeam();
    const s = await openChatStore({ dataDir: dir, fs: seam });
    await s.updateMessage(chatId, 'm0', { content: 'edited' });
    const original = await readFile(path);
    faults.copyFile = 'ENOSPC';
    await expect(s.compactChat(chatId)).rejects.toMatchObject({ code: 'DISK_FULL' });
    expect(await readFile(path)).toEqual(original);
    delete faults.copyFile;
    faults.writeFileAtomic = 'EIO';
    await expect(s.compactChat(chatId)).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(await readFile(path)).toEqual(original);
    delete faults.writeFileAtomic;
    expect((await s.loadChat(chatId)).messages[0]!.content).toBe('edited');
    await s.close();
  });
});

describe('start-up', () => {
  it('removes temp files left by an interrupted rewrite and keeps the chat', async () => {
    const { dir, chatId, path } = await chatWith(2);
    await writeFile(`${path}.123456789`, 'half-written rewrite');
    const s = await openChatStore({ dataDir: dir });
    expect(await readdir(join(dir, 'chats', 'alice'))).toEqual([`${chatId}.jsonl`]);
    expect((await s.loadChat(chatId)).messages).toHaveLength(2);
    await s.close();
  });
});

describe('start-up removes what interrupted writes left behind', () => {
  it('partial backup and quarantine copies, and old lock temp files', async () => {
    const { mkdir, utimes } = await import('node:fs/promises');
    const { dir, chatId } = await chatWith(1);
    await mkdir(join(dir, 'backups', chatId), { recursive: true });
    await mkdir(join(dir, 'quarantine', chatId), { recursive: true });
    await writeFile(join(dir, 'backups', chatId, '1700000000000-0000.jsonl.partial'), 'half');
    await writeFile(join(dir, 'backups', chatId, '1700000000000-0001.jsonl'), 'a kept backup');
    await writeFile(join(dir, 'quarantine', chatId, '000000000001-abc.bin.partial'), 'half');
    const oldTemp = `${new Layout(dir).lockFile}.dead-token.tmp`;
    await writeFile(oldTemp, '{}');
    await utimes(oldTemp, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const s = await openChatStore({ dataDir: dir });
    expect(await readdir(join(dir, 'backups', chatId))).toEqual(['1700000000000-0001.jsonl']);
    expect(await readdir(join(dir, 'quarantine', chatId))).toEqual([]);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await s.close();
  });
});
