// Issue 18 §1-2 through the services: hidden messages (an imported SillyTavern `is_system`, and
// Hide on any message) never reach the model and stay hidden after a restart; the user's
// messages carry the persona's name and a reply the character's. The endpoint is a real HTTP
// server on 127.0.0.1.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openServices, recordingEndpoint } from './services-under-test.ts';
import { isHidden } from '../../shared/chat-format.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});



const stChat = [
  { user_name: 'Ann', character_name: 'Seraphina', create_date: '2024-10-18@20h52m30s', chat_metadata: {} },
  { name: 'Seraphina', is_user: false, is_system: false, mes: 'Welcome to the glade.', extra: {} },
  { name: 'Ann', is_user: true, is_system: true, mes: 'SECRET NOTE: never send this', extra: {} },
  { name: 'Ann', is_user: true, is_system: false, mes: 'Where am I?', extra: {} },
].map((l) => JSON.stringify(l)).join('\n');

describe('hidden messages', () => {
  it('an imported is_system message and a message hidden in the app are left out of the prompt, also after a restart', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-hidden-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const ep = await recordingEndpoint(cleanups);
    let app = await openServices(dataDir);
    await app.call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base, personaName: 'Ann' });
    const imported = await app.call('importChatFile', { fileName: 'Seraphina.jsonl', bytesBase64: Buffer.from(stChat).toString('base64') });
    const chatId = imported.chats[0].chatId;
    let page = await app.call('loadChat', { chatId });
    expect(page.messages.map(isHidden)).toEqual([false, true, false]);

    await app.generate(chatId);
    const sent = (i: number) => ep.bodies[i].messages.map((m: any) => m.content).join('\n');
    expect(sent(0)).toContain('Where am I?');
    expect(sent(0)).not.toContain('SECRET NOTE');

    // Hide the character's greeting through the IPC patch: a change record, kept across a restart.
    const greeting = page.messages[0];
    expect(await app.call('updateMessage', { chatId, messageId: greeting.id, patch: { hidden: true } })).toMatchObject({ hidden: true });
    await app.services.shutdown();
    app = await openServices(dataDir);
    page = await app.call('loadChat', { chatId });
    expect(page.messages.slice(0, 3).map(isHidden)).toEqual([true, true, false]);
    await app.generate(chatId);
    expect(sent(1)).not.toContain('Welcome to the glade.');
    expect(sent(1)).not.toContain('SECRET NOTE');

    // Unhide: sent again.
    await app.call('updateMessage', { chatId, messageId: greeting.id, patch: { hidden: false } });
    await app.generate(chatId);
    expect(sent(2)).toContain('Welcome to the glade.');
    await app.services.shutdown();
  });

  it('the user\'s message is stored with the persona name and the reply with the character\'s', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-names-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const ep = await recordingEndpoint(cleanups);
    const app = await openServices(dataDir);
    await app.call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base, personaName: 'Ann' });
    const character = await app.call('createCharacter', { name: 'Mira' });
    const chat = await app.call('createChat', { characterId: character.id, title: 't' });
    expect(await app.call('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'hi' } })).toMatchObject({ name: 'Ann' });
    const end = await app.generate(chat.chatId);
    expect(end.message).toMatchObject({ role: 'assistant', name: 'Mira' });
    await app.services.shutdown();
  });
});
