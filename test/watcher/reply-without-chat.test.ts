// A streamed reply whose chat is gone from the store's list before its conflict copy is made (the
// file deleted outside the app, and a read met the missing file first: the chat left the list with
// every version the app had kept of it). Found by the randomized second-writers test: the copy was
// refused for want of a version of the chat ("no longer readable"), and the reply went to a rescue
// text file only. The reply needs no version of the chat: it goes into a conflict-copy chat of the
// same character on its own.
import { afterEach, expect, it } from 'vitest';
import { createConflictKeeper } from '../../electron/watcher/conflict-copy.ts';
import { tempDir } from '../store/helpers.ts';
import { characterWithChat, external, startServices } from './helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

it('the reply of a chat deleted outside the app and gone from the list goes into a conflict-copy chat of its character', async () => {
  const dataDir = tempDir();
  const app = await startServices(cleanups, dataDir, { watch: false });
  const chat = await characterWithChat(app.ok, dataDir, 'Rae', 'Shared');
  await app.ok('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'Hi' } });
  await external('delete', chat.file);
  expect(await app.store.forgetIfGone(chat.chatId)).toBe(true); // as a read meeting the missing file does
  const events: [string, any][] = [];
  const keeper = createConflictKeeper({ store: app.store, emit: (e, p) => events.push([e, p]), log: () => {} });
  const reply = { streamId: 's-1', chatId: chat.chatId, mode: 'new' as const, messageId: '11111111-2222-4333-8444-555555555555', text: 'the reply so far' };
  const copyId = await keeper.keep(chat.chatId, reply, chat.characterId);
  expect(copyId).not.toBeNull();
  const copy = await app.store.getChat(copyId!);
  expect([copy.characterId, copy.title]).toEqual([chat.characterId, `Chat ${chat.chatId.slice(0, 8)} (conflict copy)`]);
  expect((await app.store.loadChat(copyId!)).messages.map((m) => [m.role, m.content])).toEqual([['assistant', 'the reply so far']]);
  expect(events.filter(([n, p]) => n === 'notice' && p.level === 'error')).toEqual([]);
});
