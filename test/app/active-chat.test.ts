// The active chat of each character heals itself: checked at start-up, a missing one falls back
// to the most recent chat (logged), no chat means none; deleting the open chat selects the next.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { openAppState } from '../../electron/app-data/app-state.ts';
import { healActiveChats, resolveActiveChat } from '../../electron/app-data/active-chat.ts';
import { createServices } from '../../electron/ipc/services.ts';
import { tempDir } from '../store/helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

let clock = Date.UTC(2025, 0, 1);
const now = () => (clock += 1000);

describe('active chat per character', () => {
  it('at start-up a missing active chat falls back to the most recent one, and the repair is logged', async () => {
    const dataDir = tempDir();
    const store = await openChatStore({ dataDir, now });
    const older = await store.createChat({ characterId: 'ann', title: 'older' });
    const newer = await store.createChat({ characterId: 'ann', title: 'newer' });
    const gone = await store.createChat({ characterId: 'ann', title: 'gone' });
    const lonely = await store.createChat({ characterId: 'bob', title: 'only' });
    const state = openAppState(dataDir);
    await state.setActiveChat('ann', gone.chatId);
    await state.setActiveChat('bob', lonely.chatId);
    await store.close();
    // Removed while the app was not running.
    await rm(path.join(dataDir, 'chats', 'ann', `${gone.chatId}.jsonl`));
    await rm(path.join(dataDir, 'chats', 'bob', `${lonely.chatId}.jsonl`));

    const reopened = await openChatStore({ dataDir, now });
    cleanups.push(() => reopened.close());
    const logs: string[] = [];
    await healActiveChats(reopened, state, (m) => logs.push(m));
    expect(await state.getActiveChat('ann')).toBe(newer.chatId);
    expect(await state.getActiveChat('bob')).toBeNull(); // no chat left: none, the UI offers a new one
    expect(logs).toHaveLength(2);
    expect(logs[0]).toContain(gone.chatId);
    expect(logs[1]).toContain('no chat is left');
    // A healthy entry is kept, and nothing is logged.
    await state.setActiveChat('ann', older.chatId);
    expect(await resolveActiveChat(reopened, state, 'ann', (m) => logs.push(m))).toBe(older.chatId);
    expect(logs).toHaveLength(2);
  });

  it('deleting the open chat selects the next most recent chat of that character', async () => {
    const dataDir = tempDir();
    const store = await openChatStore({ dataDir, now });
    const events: [string, any][] = [];
    const services = createServices<boolean>({ store, emit: (e, p) => events.push([e, p]), isTrustedSender: () => true, watch: false });
    cleanups.push(() => services.shutdown());
    const ok = async (ch: string, p: unknown = {}) => {
      const r = (await services.binding.handle(true, ch, p)) as any;
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      return r.data;
    };
    const c = await ok('createCharacter', { name: 'Cy' });
    const a = await ok('createChat', { characterId: c.id, title: 'a' });
    const b = await ok('createChat', { characterId: c.id, title: 'b' });
    const d = await ok('createChat', { characterId: c.id, title: 'd' });
    await ok('appendMessage', { chatId: a.chatId, message: { role: 'user', content: 'a is the most recent now' } });
    await ok('setActiveChat', { characterId: c.id, chatId: d.chatId });
    await ok('deleteChat', { chatId: d.chatId });
    expect(events.find(([n]) => n === 'chat:removed')?.[1]).toMatchObject({ chatId: d.chatId, nextChatId: a.chatId });
    expect((await ok('getActiveChat', { characterId: c.id })).chatId).toBe(a.chatId);
    // Deleting a chat that is not open leaves the active one alone.
    await ok('deleteChat', { chatId: b.chatId });
    expect((await ok('getActiveChat', { characterId: c.id })).chatId).toBe(a.chatId);
    await ok('deleteChat', { chatId: a.chatId });
    expect((await ok('getActiveChat', { characterId: c.id })).chatId).toBeNull();
  });
});
