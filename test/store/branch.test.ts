// "Branch from here" (issue 18): a new chat holding the parent's history up to a message
// (inclusive), titled and linked to its parent, the parent untouched; all of it after a restart.
// Real files, real stores.
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openChatStore, readFullState } from '../../electron/store/index.ts';
import type { ChatStore } from '../../electron/store/types.ts';
import { createServices } from '../../electron/ipc/services.ts';
import { demoProvider } from '../../electron/generation/demo.ts';
import { chatPath, tempDir } from './helpers.ts';
import { Layout } from '../../electron/store/layout.ts';

const all = async (store: ChatStore, chatId: string) => (await store.loadChat(chatId, { limit: 500 })).messages;

/** A chat with edits, a swipe, streamed text, a hidden message, a deleted one and a rename. */
async function parentChat(store: ChatStore) {
  const chat = await store.createChat({ characterId: 'seraphina', title: 'Forest' });
  const id = chat.chatId;
  const m = await store.appendMessages(id, [
    { role: 'assistant', content: 'Welcome to Eldoria.' },
    { role: 'user', content: 'Where am I?', name: 'Ann' },
    { role: 'assistant', content: 'In the glade' },
    { role: 'user', content: 'gone' },
    { role: 'user', content: 'And then?' },
    { role: 'assistant', content: 'Later reply' },
  ]);
  await store.updateMessage(id, m[0]!.id, { content: 'Welcome to Eldoria, traveller.' });
  await store.appendText(id, m[2]!.id, ', safe.', 'complete');
  await store.updateMessage(id, m[2]!.id, { addSwipe: 'Another swipe' });
  await store.updateMessage(id, m[1]!.id, { hidden: true });
  await store.deleteMessage(id, m[3]!.id);
  await store.renameChat(id, 'Forest glade');
  // Changes to messages after the branch point, written after the branch point's own lines.
  await store.updateMessage(id, m[4]!.id, { content: 'And then? (edited)' });
  await store.appendText(id, m[5]!.id, ' streamed on');
  return { id, m };
}

describe('branchChat', () => {
  it('copies the history up to the message, titled and linked; the parent is byte for byte unchanged; all of it survives a restart', async () => {
    const dataDir = tempDir();
    const store = await openChatStore({ dataDir });
    const { id, m } = await parentChat(store);
    const parentPath = chatPath(dataDir, 'seraphina', id);
    const parentBytes = await readFile(parentPath);
    const parentBefore = await all(store, id);

    const branch = await store.branchChat(id, m[2]!.id);
    expect(branch.chatId).not.toBe(id);
    expect(branch).toMatchObject({ characterId: 'seraphina', title: 'Forest glade (branch)', messageCount: 3, branchOf: { chatId: id, messageId: m[2]!.id, title: 'Forest glade' }, status: 'ok' });
    expect(branch.preview).toBe('Another swipe');
    const got = await all(store, branch.chatId);
    // The same messages as the parent up to the branch point: ids, edits, swipes, hidden flag, names.
    expect(got).toEqual(parentBefore.slice(0, 3));
    expect(got.map((x) => x.content)).toEqual(['Welcome to Eldoria, traveller.', 'Where am I?', 'Another swipe']);
    expect(got[2]!.swipes).toEqual(['In the glade, safe.', 'Another swipe']);
    expect(got[1]).toMatchObject({ hidden: true, name: 'Ann' });
    // The parent is untouched.
    expect((await readFile(parentPath)).equals(parentBytes)).toBe(true);
    expect(await all(store, id)).toEqual(parentBefore);

    // The branch is an ordinary chat: it takes new messages; the parent does not see them.
    await store.appendMessage(branch.chatId, { role: 'user', content: 'A different path' });
    expect((await all(store, branch.chatId)).map((x) => x.content).at(-1)).toBe('A different path');
    expect((await readFile(parentPath)).equals(parentBytes)).toBe(true);

    // The file holds what a full independent read finds, and the index survives a restart.
    const full = readFullState(await readFile(chatPath(dataDir, 'seraphina', branch.chatId)));
    if ('error' in full) throw new Error(full.error);
    expect(full.header.metadata.branch_of).toEqual({ chat_id: id, message_id: m[2]!.id, title: 'Forest glade' });
    expect(full.messages.map((x) => x.id)).toEqual([m[0]!.id, m[1]!.id, m[2]!.id, expect.any(String)]);
    await store.close();

    const again = await openChatStore({ dataDir });
    const listed = (await again.listChats('seraphina')).find((s) => s.chatId === branch.chatId);
    expect(listed).toMatchObject({ title: 'Forest glade (branch)', messageCount: 4, branchOf: { chatId: id, messageId: m[2]!.id } });
    expect((await all(again, branch.chatId)).slice(0, 3)).toEqual(parentBefore.slice(0, 3));
    await again.close();
    // Without index.json, the link comes from the file itself.
    await writeFile(new Layout(dataDir).indexFile, 'not json');
    const third = await openChatStore({ dataDir });
    expect((await third.getChat(branch.chatId)).branchOf).toEqual({ chatId: id, messageId: m[2]!.id, title: 'Forest glade' });
    await third.close();
  });

  it('a file another program wrote (other key order, CRLF, a blank line, metadata changes): the branch reads as the parent did', async () => {
    const dataDir = tempDir();
    let store = await openChatStore({ dataDir });
    const chat = await store.createChat({ characterId: 'seraphina', title: 'Hand' });
    await store.close();
    const file = chatPath(dataDir, 'seraphina', chat.chatId);
    const lines = [
      { role: 'user', content: 'one', timestamp: 5, id: 'h1' },
      { timestamp: 6, id: 'h2', role: 'assistant', content: 'two' },
      { id: 'h1', timestamp: 7, op: 'edit', content: 'one, edited' },
      { op: 'meta', timestamp: 8, title: 'Hand, renamed', metadata: { mood: 'calm' } },
      { id: 'h3', role: 'user', content: 'three', timestamp: 9 },
      { timestamp: 10, op: 'edit', id: 'h3', content: 'three, edited' },
    ];
    await writeFile(file, (await readFile(file, 'utf8')) + lines.map((l) => JSON.stringify(l)).join('\r\n') + '\n\n');
    store = await openChatStore({ dataDir });
    const parent = await all(store, chat.chatId);
    const b = await store.branchChat(chat.chatId, 'h2');
    expect(b).toMatchObject({ title: 'Hand, renamed (branch)', messageCount: 2 });
    expect(await all(store, b.chatId)).toEqual(parent.slice(0, 2));
    expect((await store.loadChat(b.chatId)).header.metadata).toMatchObject({ mood: 'calm' });
    expect((await store.loadChat(b.chatId)).warnings).toEqual([]);
    await store.close();
  });

  it('an imported chat: its branch does not claim to be that import', async () => {
    const dataDir = tempDir();
    const store = await openChatStore({ dataDir });
    const imported = await store.importChat({ characterId: 'seraphina', title: 'From ST', created: 1, metadata: { import: { format: 'st', sha256: 'ab' }, imported_sha256: 'ab', source_header: { user_name: 'Ann' }, note: 'kept' }, messages: [{ id: 'a', role: 'user', content: 'hi', timestamp: 2 }] });
    const b = await store.branchChat(imported.chatId, 'a');
    const full = readFullState(await readFile(chatPath(dataDir, 'seraphina', b.chatId)));
    if ('error' in full) throw new Error(full.error);
    expect(full.header.metadata).toEqual({ source_header: { user_name: 'Ann' }, note: 'kept', branch_of: { chat_id: imported.chatId, message_id: 'a', title: 'From ST' } });
    await store.close();
  });

  it('at the newest message: the whole history; a given title; an unknown or deleted message is NOT_FOUND and writes nothing', async () => {
    const dataDir = tempDir();
    const store = await openChatStore({ dataDir });
    const { id, m } = await parentChat(store);
    const whole = await store.branchChat(id, m[5]!.id, { title: 'Whole' });
    expect(whole).toMatchObject({ title: 'Whole', messageCount: 5, preview: 'Later reply streamed on' });
    expect(await all(store, whole.chatId)).toEqual(await all(store, id));
    const before = (await store.listChats('seraphina')).length;
    await expect(store.branchChat(id, 'no-such-message')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.branchChat(id, m[3]!.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.branchChat(id, 'bad id!')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((await store.listChats('seraphina')).length).toBe(before);
    // A branch of a branch links to its own parent.
    const second = await store.branchChat(whole.chatId, m[0]!.id);
    expect(second).toMatchObject({ messageCount: 1, title: 'Whole (branch)', branchOf: { chatId: whole.chatId, messageId: m[0]!.id } });
    await store.close();
  });

  it('over IPC: branchChat answers the summary and tells the windows (chat:changed)', async () => {
    const dataDir = tempDir();
    const store = await openChatStore({ dataDir });
    const events: { event: string; payload: unknown }[] = [];
    const services = createServices<boolean>({ store, emit: (event, payload) => events.push({ event, payload }), isTrustedSender: (t) => t, provider: demoProvider(0), watch: false });
    const call = (ch: string, payload: unknown) => services.binding.handle(true, ch, payload);
    const c = (await call('createCharacter', { name: 'Eve' })) as { data: { id: string } };
    const chat = (await call('createChat', { characterId: c.data.id, title: 'IPC' })) as { data: { chatId: string } };
    const chatId = chat.data.chatId;
    const [a] = await store.appendMessages(chatId, [{ role: 'user', content: 'one' }, { role: 'assistant', content: 'two' }]);
    const r = await call('branchChat', { chatId, messageId: a!.id });
    expect(r).toMatchObject({ ok: true, data: { title: 'IPC (branch)', branchOf: { chatId, messageId: a!.id, title: 'IPC' } } });
    const branchId = (r as { data: { chatId: string } }).data.chatId;
    expect(events.some((e) => e.event === 'chat:changed' && (e.payload as { chatId: string }).chatId === branchId)).toBe(true);
    expect(await call('branchChat', { chatId, messageId: 'nope' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await call('branchChat', { chatId, messageId: a!.id, title: '' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    await services.shutdown();
  });
});
