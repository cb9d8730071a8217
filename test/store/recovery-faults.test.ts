// Disk faults during repair, backup, rotation, restore, undelete and append (through the fs seam,
// the only way to get ENOSPC/EIO/EACCES on demand): the original stays intact, the error is typed,
// nothing already saved is lost, and a read error never turns into an empty or overwritten chat.
import { appendFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeFs, openChatStore, type FsSeam } from '../../electron/store/index.ts';
import { chatPath, errnoError, faultySeam, tempDir } from './helpers.ts';

const CODES = ['ENOSPC', 'EIO', 'EACCES'] as const;
const typed = (code: string) => (code === 'ENOSPC' ? 'DISK_FULL' : 'IO_ERROR');

/** faultySeam plus readFile and unlink faults. */
function seam() {
  const base = faultySeam();
  const more: { readFile?: { code: string; match: string }; unlink?: string } = {};
  const fs: FsSeam = {
    ...base.seam,
    readFile: (async (p: Parameters<FsSeam['readFile']>[0], o?: Parameters<FsSeam['readFile']>[1]) => {
      if (more.readFile && String(p).includes(more.readFile.match)) throw errnoError(more.readFile.code);
      return o === undefined ? nodeFs.readFile(p) : nodeFs.readFile(p, o);
    }) as FsSeam['readFile'],
    unlink: async (p) => {
      if (more.unlink) throw errnoError(more.unlink);
      return nodeFs.unlink(p);
    },
  };
  return { fs, faults: base.faults, more };
}

async function damagedChat(dir: string, fs: FsSeam) {
  const s = await openChatStore({ dataDir: dir, fs });
  const c = await s.createChat({ characterId: 'alice' });
  for (let i = 0; i < 3; i++) await s.appendMessage(c.chatId, { id: `m${i}`, role: 'user', content: `message ${i}` });
  await s.close();
  const path = chatPath(dir, 'alice', c.chatId);
  await appendFile(path, '{"broken\n{"id":"m9","role":"user","content":"after the damage","timestamp":5}\n');
  return { chatId: c.chatId, path, original: await readFile(path) };
}

describe.each(CODES)('%s', (code) => {
  it('during the rewrite of a repair: typed error, original intact, then the repair works', async () => {
    const dir = tempDir();
    const { fs, faults } = seam();
    const { chatId, path, original } = await damagedChat(dir, fs);
    const s = await openChatStore({ dataDir: dir, fs });
    faults.writeFileAtomic = code;
    await expect(s.repairChat(chatId)).rejects.toMatchObject({ code: typed(code) });
    expect(await readFile(path)).toEqual(original);
    faults.writeFileAtomic = undefined;
    const r = await s.repairChat(chatId);
    expect(r.repaired).toBe(true);
    expect((await s.loadChat(chatId)).messages.map((m) => m.id)).toEqual(['m0', 'm1', 'm2', 'm9']);
    await s.close();
  });

  it('during the backup before a repair or a restore: nothing is rewritten', async () => {
    const dir = tempDir();
    const { fs, faults } = seam();
    const { chatId, path, original } = await damagedChat(dir, fs);
    const s = await openChatStore({ dataDir: dir, fs });
    faults.copyFile = code;
    await expect(s.repairChat(chatId)).rejects.toMatchObject({ code: typed(code) });
    expect(await readFile(path)).toEqual(original);
    faults.copyFile = undefined;
    await s.repairChat(chatId); // a backup of the damaged original now exists
    const [b] = await s.listBackups(chatId);
    const repaired = await readFile(path);
    faults.copyFile = code;
    await expect(s.restoreBackup(chatId, b!.backupId)).rejects.toMatchObject({ code: typed(code) });
    expect(await readFile(path)).toEqual(repaired);
    await s.close();
  });

  it('during rotation: the new backup exists, older ones stay, the rewrite still happens', async () => {
    const dir = tempDir();
    const { fs, more } = seam();
    const { chatId, path } = await damagedChat(dir, fs);
    let t = 1_700_000_000_000;
    const s = await openChatStore({ dataDir: dir, fs, backupRetention: 1, now: () => (t += 1000) });
    await s.compactChat(chatId);
    await s.appendMessage(chatId, { id: 'x1', role: 'user', content: 'more' });
    more.unlink = code;
    await s.compactChat(chatId);
    await s.appendMessage(chatId, { id: 'x2', role: 'user', content: 'more' });
    await s.compactChat(chatId);
    more.unlink = undefined;
    expect((await readdir(join(dir, 'backups', chatId))).filter((n) => n.endsWith('.jsonl')).length).toBeGreaterThanOrEqual(3);
    expect((await s.loadChat(chatId)).messages.map((m) => m.id)).toEqual(['m0', 'm1', 'm2', 'm9', 'x1', 'x2']);
    expect(path).toContain(chatId);
    await s.close();
  });

  it('during the rewrite of a restore: the current file stays, and its undo backup was taken first', async () => {
    const dir = tempDir();
    const { fs, faults } = seam();
    const s = await openChatStore({ dataDir: dir, fs, now: (() => { let t = 1_700_000_000_000; return () => (t += 1000); })() });
    const c = await s.createChat({ characterId: 'alice' });
    await s.appendMessage(c.chatId, { id: 'a', role: 'user', content: 'first' });
    await s.compactChat(c.chatId); // backup holding [a]
    await s.appendMessage(c.chatId, { id: 'b', role: 'user', content: 'second' });
    const path = chatPath(dir, 'alice', c.chatId);
    const current = await readFile(path);
    const [b] = await s.listBackups(c.chatId);
    expect(b).toMatchObject({ messageCount: 1 });
    faults.writeFileAtomic = code;
    await expect(s.restoreBackup(c.chatId, b!.backupId)).rejects.toMatchObject({ code: typed(code) });
    expect(await readFile(path)).toEqual(current);
    expect((await s.loadChat(c.chatId)).messages.map((m) => m.id)).toEqual(['a', 'b']);
    faults.writeFileAtomic = undefined;
    const { undoBackupId } = await s.restoreBackup(c.chatId, b!.backupId);
    expect((await s.loadChat(c.chatId)).messages.map((m) => m.id)).toEqual(['a']);
    // The restore can be undone: the state before it is a backup.
    await s.restoreBackup(c.chatId, undoBackupId!);
    expect((await s.loadChat(c.chatId)).messages.map((m) => m.id)).toEqual(['a', 'b']);
    await s.close();
  });

  it('during an append: typed error, no partial line, earlier messages kept, the retry lands', async () => {
    const dir = tempDir();
    const { fs, faults } = seam();
    const s = await openChatStore({ dataDir: dir, fs });
    const c = await s.createChat({ characterId: 'alice' });
    await s.appendMessage(c.chatId, { id: 'a', role: 'user', content: 'kept' });
    const path = chatPath(dir, 'alice', c.chatId);
    const before = await readFile(path);
    faults.write = { code, afterBytes: 7 };
    await expect(s.appendMessage(c.chatId, { id: 'b', role: 'user', content: 'pending' })).rejects.toMatchObject({ code: typed(code) });
    faults.write = undefined;
    expect(await readFile(path)).toEqual(before);
    await s.appendMessage(c.chatId, { id: 'b', role: 'user', content: 'pending' });
    expect((await s.validateChat(c.chatId)).ok).toBe(true);
    expect((await s.loadChat(c.chatId)).messages.map((m) => m.id)).toEqual(['a', 'b']);
    await s.close();
  });

  it('a read error leaves the chat listed, unreadable and untouched until it can be read again', async () => {
    const dir = tempDir();
    const { fs, faults, more } = seam();
    const { chatId, path, original } = await damagedChat(dir, fs);
    const s = await openChatStore({ dataDir: dir, fs });
    faults.open = { code, match: chatId };
    more.readFile = { code, match: chatId };
    await expect(s.loadChat(chatId)).rejects.toMatchObject({ code: typed(code) });
    const [listed] = await s.listChats('alice');
    expect(listed).toMatchObject({ chatId, status: 'corrupt' });
    await expect(s.validateChat(chatId)).rejects.toMatchObject({ code: typed(code) });
    await expect(s.repairChat(chatId)).rejects.toMatchObject({ code: typed(code) });
    await expect(s.appendMessage(chatId, { role: 'user', content: 'x' })).rejects.toMatchObject({ code: typed(code) });
    faults.open = undefined;
    more.readFile = undefined;
    expect(await readFile(path)).toEqual(original);
    expect((await s.loadChat(chatId)).messages.map((m) => m.id)).toEqual(['m0', 'm1', 'm2', 'm9']);
    await s.close();
  });
});

describe('trash', () => {
  it('lists deleted chats and undeletes them; a failed move keeps the trashed copy', async () => {
    const dir = tempDir();
    const { fs } = seam();
    const s = await openChatStore({ dataDir: dir, fs });
    const c = await s.createChat({ characterId: 'alice', title: 'Gone for now' });
    await s.appendMessage(c.chatId, { id: 'a', role: 'user', content: 'hello' });
    await s.deleteChat(c.chatId);
    expect(await s.listChats('alice')).toEqual([]);
    const [t] = await s.listDeletedChats();
    expect(t).toMatchObject({ chatId: c.chatId, characterId: 'alice', title: 'Gone for now', messageCount: 1 });
    const failing: FsSeam = { ...fs, rename: async () => Promise.reject(errnoError('EIO')) };
    const s2open = async () => {
      await s.close();
      return openChatStore({ dataDir: dir, fs: failing });
    };
    const s2 = await s2open();
    await expect(s2.undeleteChat(c.chatId)).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(await s2.listDeletedChats()).toHaveLength(1);
    await s2.close();
    const s3 = await openChatStore({ dataDir: dir });
    const back = await s3.undeleteChat(c.chatId);
    expect(back).toMatchObject({ chatId: c.chatId, title: 'Gone for now', messageCount: 1 });
    expect(await s3.listDeletedChats()).toEqual([]);
    await expect(s3.undeleteChat(c.chatId)).rejects.toMatchObject({ code: 'CONFLICT' });
    await s3.close();
  });
});
