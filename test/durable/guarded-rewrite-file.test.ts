// A guarded rewrite writes its new file under a staging name, then renames it over the chat: the
// chat keeps what a rewrite in place kept (its mode and owner; a symbolic link and where it points).
// Both failed when found by a hostile review. Real files, real store.
import { chmodSync, lstatSync, readFileSync, renameSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { chatPath, tempDir } from '../store/helpers.ts';

describe('a guarded rewrite (staging file) keeps the chat file as it was set up', () => {
  it('a compaction keeps the chat file\'s permissions (a user\'s chmod 600 is not undone)', async () => {
    const dataDir = tempDir();
    const s = await openChatStore({ dataDir });
    const c = await s.createChat({ characterId: 'a' });
    const m = await s.appendMessage(c.chatId, { role: 'user', content: 'private' });
    await s.updateMessage(c.chatId, m.id, { content: 'private, edited' });
    const file = chatPath(dataDir, 'a', c.chatId);
    chmodSync(file, 0o600);
    await s.compactChat(c.chatId);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await s.close();
  });
});

describe('session review: guarded rewrite through a symlinked chat file', () => {
  it('a compaction writes the file the link points to, and keeps the link (as a rewrite in place did)', async () => {
    const dataDir = tempDir();
    const elsewhere = tempDir();
    const s = await openChatStore({ dataDir });
    const c = await s.createChat({ characterId: 'a' });
    const m = await s.appendMessage(c.chatId, { role: 'user', content: 'kept elsewhere' });
    await s.close();
    const file = chatPath(dataDir, 'a', c.chatId);
    const real = join(elsewhere, 'chat.jsonl');
    renameSync(file, real);
    symlinkSync(real, file);
    const s2 = await openChatStore({ dataDir });
    await s2.updateMessage(c.chatId, m.id, { content: 'edited' });
    await s2.compactChat(c.chatId);
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toContain('edited');
    await s2.close();
  });
});
