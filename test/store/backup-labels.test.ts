// Issue 18 §6: every chat backup says why it was taken ("before compaction", "before repair",
// "before restore"); a backup from before labels existed is still listed (label null) and restorable.
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { tempDir } from './helpers.ts';

describe('backup labels', () => {
  it('compaction, restore: each backup is labelled in its name and in listBackups; an unlabelled one still restores', async () => {
    const dataDir = tempDir();
    const store = await openChatStore({ dataDir });
    try {
      const { chatId } = await store.createChat({ characterId: 'mira', title: 'T' });
      await store.appendMessage(chatId, { id: 'a', role: 'user', content: 'one' });
      await store.updateMessage(chatId, 'a', { content: 'one, edited' });
      await store.compactChat(chatId);
      const [compacted] = await store.listBackups(chatId);
      expect(compacted).toMatchObject({ label: 'before compaction', messageCount: 1 });
      expect(compacted!.backupId).toMatch(/^\d{13}-\d{4}$/);
      const dir = join(dataDir, 'backups', chatId);
      expect(await readdir(dir)).toEqual([`${compacted!.backupId}.compaction.jsonl`]);

      // A backup written by an older version: `<ms>-<seq>.jsonl`, no reason.
      const oldId = '0000000000001-0000';
      await copyFile(join(dir, `${compacted!.backupId}.compaction.jsonl`), join(dir, `${oldId}.jsonl`));
      await store.appendMessage(chatId, { id: 'b', role: 'user', content: 'two' });
      expect((await store.listBackups(chatId)).find((b) => b.backupId === oldId)).toMatchObject({ label: null });
      const { undoBackupId } = await store.restoreBackup(chatId, oldId);
      expect((await store.loadChat(chatId)).messages.map((m) => m.id)).toEqual(['a']);
      expect((await store.listBackups(chatId)).find((b) => b.backupId === undoBackupId)).toMatchObject({ label: 'before restore', messageCount: 2 });
      // And a labelled one restores by its id alone.
      await store.restoreBackup(chatId, undoBackupId!);
      expect((await store.loadChat(chatId)).messages.map((m) => m.id)).toEqual(['a', 'b']);
    } finally {
      await store.close();
    }
  });
});
