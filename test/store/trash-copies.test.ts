// One chat id in the trash more than once (deleted, its file brought back by a sync tool, deleted
// again): every trashed copy is listed with its own trashId and restored by it, never another copy,
// and a restore never overwrites a chat that exists. Real files, real stores, a restart.
import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import type { ChatStore } from '../../electron/store/types.ts';
import { chatPath, tempDir } from './helpers.ts';

const contents = async (store: ChatStore, chatId: string) => (await store.loadChat(chatId)).messages.map((m) => m.content);

/** Chat `chatId` of character `cz` trashed twice: first holding ["v1"], then ["v1", "v2"]. */
async function trashedTwice(dataDir: string) {
  const store = await openChatStore({ dataDir });
  const chat = await store.createChat({ characterId: 'cz', title: 'Twice' });
  await store.appendMessage(chat.chatId, { role: 'user', content: 'v1' });
  const file = chatPath(dataDir, 'cz', chat.chatId);
  const v1 = await readFile(file, 'utf8');
  await store.deleteChat(chat.chatId);
  // A sync tool brings the file back, one message longer; it is deleted again.
  await writeFile(file, `${v1}${JSON.stringify({ id: 'm2', role: 'user', content: 'v2', timestamp: Date.now() })}\n`);
  expect(await store.refreshChat(chat.chatId, 'cz')).toMatchObject({ messageCount: 2 });
  await sleep(5); // a later deletion time
  await store.deleteChat(chat.chatId);
  return { store, chatId: chat.chatId };
}

describe('two trashed copies of one chat id', () => {
  it('each is listed with its own trashId and restored by it; one restored while the id is live comes back as a new chat', async () => {
    const dataDir = tempDir();
    const { store, chatId } = await trashedTwice(dataDir);
    const [newer, older] = await store.listDeletedChats();
    expect([newer?.messageCount, older?.messageCount]).toEqual([2, 1]);
    expect(newer!.trashId).not.toBe(older!.trashId);

    // The older row restores the older copy (not the newest).
    const first = await store.undeleteChat(chatId, older!.trashId);
    expect(first).toMatchObject({ chatId, messageCount: 1 });
    expect(await contents(store, chatId)).toEqual(['v1']);
    expect((await store.listDeletedChats()).map((t) => t.trashId)).toEqual([newer!.trashId]);

    // Without a trashId, as before: refused while the chat exists.
    await expect(store.undeleteChat(chatId)).rejects.toMatchObject({ code: 'CONFLICT' });
    // The newer row while the id is live: restored beside it, under a new id; nothing overwritten.
    const second = await store.undeleteChat(chatId, newer!.trashId);
    expect(second.chatId).not.toBe(chatId);
    expect(second).toMatchObject({ characterId: 'cz', messageCount: 2, title: 'Twice' });
    expect(await contents(store, second.chatId)).toEqual(['v1', 'v2']);
    expect(await contents(store, chatId)).toEqual(['v1']);
    expect(await store.listDeletedChats()).toEqual([]);
    await expect(store.undeleteChat(chatId, newer!.trashId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await store.close();

    // After a restart both are there, each under its own id.
    const again = await openChatStore({ dataDir });
    expect((await again.listChats('cz')).map((c) => [c.chatId, c.messageCount]).sort()).toEqual([[chatId, 1], [second.chatId, 2]].sort());
    expect(await contents(again, second.chatId)).toEqual(['v1', 'v2']);
    await again.close();
  });

  it('a trashId that is malformed or names another chat is INVALID_INPUT; nothing moves', async () => {
    const dataDir = tempDir();
    const { store, chatId } = await trashedTwice(dataDir);
    const other = await store.createChat({ characterId: 'cz', title: 'Other' });
    const [newer] = await store.listDeletedChats();
    for (const bad of ['../../etc/passwd', `cz/${chatId}`, `../cz/${chatId}.1`, `cz/${chatId}.1/..`, 42]) {
      await expect(store.undeleteChat(chatId, bad as string)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    await expect(store.undeleteChat(other.chatId, newer!.trashId)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await store.listDeletedChats()).toHaveLength(2);
    await store.close();
  });

  it('over IPC: listDeletedChats gives each row its trashId; undeleteChat takes it and announces the chat restored', async () => {
    const dataDir = tempDir();
    const { store, chatId } = await trashedTwice(dataDir);
    const events: [string, any][] = [];
    const services = createServices<boolean>({ store, emit: (e, p) => events.push([e, p]), isTrustedSender: () => true, watch: false });
    try {
      const call = async (ch: string, p: unknown = {}) => (await services.binding.handle(true, ch, p)) as any;
      const rows = (await call('listDeletedChats')).data;
      expect(rows.map((r: any) => r.messageCount)).toEqual([2, 1]);
      for (const row of [...rows].reverse()) {
        const r = await call('undeleteChat', { chatId: row.chatId, trashId: row.trashId });
        expect(r).toMatchObject({ ok: true, data: { messageCount: row.messageCount } });
        expect(events.at(-1)).toEqual(['chat:changed', expect.objectContaining({ chatId: r.data.chatId, characterId: 'cz' })]);
      }
      expect((await call('listDeletedChats')).data).toEqual([]);
      const restored = events.filter(([n]) => n === 'chat:changed').map(([, p]) => p.chatId);
      expect(restored[0]).toBe(chatId);
      expect(restored[1]).not.toBe(chatId);
      expect((await call('undeleteChat', { chatId, trashId: '../x' })).error).toMatchObject({ code: 'INVALID_INPUT' });
    } finally {
      await services.shutdown();
    }
  });
});
