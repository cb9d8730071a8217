// A hostile review of this session's store changes: each test reproduces a defect found (see the
// report in the commit messages). Real files, real store.
import { chmodSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { chatPath, tempDir } from '../store/helpers.ts';

describe('session review: guarded rewrite (staging file)', () => {
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
