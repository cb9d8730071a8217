// Personas through the IPC binding, on a real data dir: several personas with name, description and
// avatar; a default; one chosen per chat and remembered across a restart; the chat's persona is
// `{{user}}` and the persona part of the request sent to a real endpoint on 127.0.0.1, names the
// user's messages and the export; bad input is refused with a typed error and changes nothing.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import type { PromptCard } from '../../electron/generation/prompt/card.ts';
import { personasFile } from '../../electron/app-data/personas.ts';
import { makePng } from '../fixtures/cards.ts';
import { recordingEndpoint, streamEnd } from './services-under-test.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const CARD: PromptCard = { name: 'Seraphina', description: 'DESC', scenario: '{{user}} is lost in the forest.', first_mes: 'Welcome, {{user}}.' };

async function open(dataDir: string) {
  const store = await openChatStore({ dataDir });
  const events: [string, any][] = [];
  const services = createServices<boolean>({ store, emit: (e, p) => events.push([e, p]), isTrustedSender: (s) => s, loadCard: async () => CARD, watch: false, librarySearch: false });
  let shut = false;
  const shutdown = async () => {
    if (!shut) await services.shutdown();
    shut = true;
  };
  cleanups.push(shutdown);
  const call = (ch: string, p: unknown = {}) => services.binding.handle(true, ch, p) as Promise<any>;
  const generate = async (chatId: string) => {
    const started = await call('generate', { mode: 'new', chatId });
    expect(started.ok).toBe(true);
    return streamEnd(events, started.data.streamId);
  };
  return { call, events, generate, shutdown };
}

async function dataDir() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-personas-'));
  cleanups.unshift(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('personas', () => {
  it('without personas the Generation settings name the user, as before', async () => {
    const { call } = await open(await dataDir());
    await call('setGenerationSettings', { personaName: 'Ann', personaDescription: 'Ann travels.' });
    expect((await call('listPersonas')).data).toEqual({ personas: [], defaultId: null, settingsPersona: { name: 'Ann', description: 'Ann travels.' } });
    const character = (await call('createCharacter', { name: 'Sera' })).data;
    const chat = (await call('createChat', { characterId: character.id, title: 't' })).data;
    expect((await call('getChatPersona', { chatId: chat.chatId })).data).toEqual({ chosenId: null, persona: { id: null, name: 'Ann', description: 'Ann travels.', avatar: null } });
  });

  it('one persona per chat, remembered across a restart: {{user}}, the persona part of the request, the name on the user messages and in the export', async () => {
    const dir = await dataDir();
    const ep = await recordingEndpoint(cleanups);
    let app = await open(dir);
    await app.call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base, personaName: 'Settings Sam' });
    const knight = (await app.call('createPersona', { name: 'Sir Knight', description: '{{user}} wears armour.', avatarPngBase64: makePng(300, 200).toString('base64') })).data;
    const witch = (await app.call('createPersona', { name: 'Wren the Witch', description: 'A witch of the marsh.' })).data;
    expect(knight.avatar).toMatch(/^data:image\/png;base64,/);
    expect(witch.avatar).toBeNull();
    // The first persona made is the default.
    expect((await app.call('listPersonas')).data).toMatchObject({ defaultId: knight.id, personas: [{ name: 'Sir Knight' }, { name: 'Wren the Witch' }] });
    expect(app.events.filter(([e]) => e === 'personas:changed')).toHaveLength(2);

    const character = (await app.call('createCharacter', { name: 'Sera' })).data;
    const a = (await app.call('createChat', { characterId: character.id, title: 'a' })).data;
    const b = (await app.call('createChat', { characterId: character.id, title: 'b' })).data;
    const chose = await app.call('setChatPersona', { chatId: b.chatId, personaId: witch.id });
    expect(chose.data).toMatchObject({ chosenId: witch.id, persona: { id: witch.id, name: 'Wren the Witch' } });
    await app.shutdown();

    // After a restart: chat a speaks as the default (the knight), chat b as the witch it chose.
    app = await open(dir);
    expect((await app.call('getChatPersona', { chatId: a.chatId })).data).toMatchObject({ chosenId: null, persona: { id: knight.id, name: 'Sir Knight' } });
    expect((await app.call('getChatPersona', { chatId: b.chatId })).data).toMatchObject({ chosenId: witch.id, persona: { id: witch.id, name: 'Wren the Witch', description: 'A witch of the marsh.' } });

    for (const chat of [a, b]) {
      const sent = await app.call('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'Hello, I am {{user}}.' } });
      expect(sent.ok).toBe(true);
      expect((await app.generate(chat.chatId)).status).toBe('complete');
    }
    const [bodyA, bodyB] = ep.bodies.map((b) => JSON.stringify(b.messages));
    expect(bodyA).toContain('Sir Knight wears armour.');
    expect(bodyA).toContain('Sir Knight is lost in the forest.');
    expect(bodyA).toContain('Hello, I am Sir Knight.');
    expect(bodyA).not.toContain('Wren');
    expect(bodyB).toContain('A witch of the marsh.');
    expect(bodyB).toContain('Wren the Witch is lost in the forest.');
    // The greeting was stored when chat b was made (the knight was the default then): kept as written.
    expect(ep.bodies[1].messages[1]).toEqual({ role: 'assistant', content: 'Welcome, Sir Knight.' });
    expect(JSON.stringify(ep.bodies[1].messages.filter((_: unknown, i: number) => i !== 1))).not.toContain('Knight');
    expect(bodyB).not.toContain('Settings Sam');

    // The user's message carries its persona's name; the export writes it.
    const pageB = (await app.call('loadChat', { chatId: b.chatId })).data;
    expect(pageB.messages.find((m: any) => m.role === 'user').name).toBe('Wren the Witch');
    const exported = Buffer.from((await app.call('exportChat', { chatId: b.chatId, format: 'st' })).data.bytesBase64, 'base64').toString('utf8');
    expect(JSON.parse(exported.split('\n')[0]!).user_name).toBe('Wren the Witch');

    // The prompt viewer shows the same persona part.
    const preview = (await app.call('previewPrompt', { chatId: b.chatId })).data;
    expect(preview.parts.find((p: any) => p.kind === 'persona')).toMatchObject({ label: 'Persona (Wren the Witch)', content: 'A witch of the marsh.' });

    // Deleting the witch: chat b follows the default again; deleting the default leaves the settings' name.
    expect((await app.call('deletePersona', { id: witch.id })).ok).toBe(true);
    expect((await app.call('getChatPersona', { chatId: b.chatId })).data).toMatchObject({ chosenId: null, persona: { name: 'Sir Knight' } });
    await app.call('deletePersona', { id: knight.id });
    expect((await app.call('getChatPersona', { chatId: b.chatId })).data).toMatchObject({ chosenId: null, persona: { id: null, name: 'Settings Sam' } });
  });

  it('edits, the default and a chat going back to it', async () => {
    const { call } = await open(await dataDir());
    const p1 = (await call('createPersona', { name: 'One' })).data;
    const p2 = (await call('createPersona', { name: 'Two' })).data;
    const upd = await call('updatePersona', { id: p2.id, name: 'Second', description: 'changed', avatarPngBase64: makePng(50, 50).toString('base64') });
    expect(upd.data).toMatchObject({ id: p2.id, name: 'Second', description: 'changed' });
    expect(upd.data.avatar).toMatch(/^data:image\/png/);
    expect((await call('updatePersona', { id: p2.id, avatarPngBase64: '' })).data.avatar).toBeNull();
    expect((await call('setDefaultPersona', { id: p2.id })).ok).toBe(true);
    const character = (await call('createCharacter', { name: 'Sera' })).data;
    const chat = (await call('createChat', { characterId: character.id, title: 't' })).data;
    // A new chat's greeting already names the default persona.
    expect((await call('loadChat', { chatId: chat.chatId })).data.messages[0].content).toBe('Welcome, Second.');
    await call('setChatPersona', { chatId: chat.chatId, personaId: p1.id });
    expect((await call('getChatPersona', { chatId: chat.chatId })).data.persona.name).toBe('One');
    // A branch speaks as its parent chose.
    const greeting = (await call('loadChat', { chatId: chat.chatId })).data.messages[0];
    const branch = (await call('branchChat', { chatId: chat.chatId, messageId: greeting.id })).data;
    expect((await call('getChatPersona', { chatId: branch.chatId })).data).toMatchObject({ chosenId: p1.id, persona: { name: 'One' } });
    await call('setChatPersona', { chatId: chat.chatId, personaId: null });
    expect((await call('getChatPersona', { chatId: chat.chatId })).data).toMatchObject({ chosenId: null, persona: { name: 'Second' } });
  });

  it('refuses bad input with a typed error and keeps what was saved', async () => {
    const dir = await dataDir();
    const { call } = await open(dir);
    const p = (await call('createPersona', { name: 'Kept', description: 'd' })).data;
    const before = await readFile(personasFile(dir), 'utf8');
    const unknownId = '00000000-0000-4000-8000-000000000000';
    expect((await call('createPersona', { name: '   ' })).error).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'name' } });
    expect((await call('createPersona', { name: 'x', avatarPngBase64: Buffer.from('not a picture').toString('base64') })).error).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'avatarPngBase64' } });
    expect((await call('createPersona', { name: 'x', avatarPngBase64: makePng(3000, 10).toString('base64') })).error).toMatchObject({ code: 'INVALID_INPUT' });
    expect((await call('updatePersona', { id: unknownId, name: 'y' })).error.code).toBe('NOT_FOUND');
    expect((await call('deletePersona', { id: unknownId })).error.code).toBe('NOT_FOUND');
    expect((await call('setDefaultPersona', { id: unknownId })).error.code).toBe('NOT_FOUND');
    expect((await call('setChatPersona', { chatId: '11111111-1111-4111-8111-111111111111', personaId: p.id })).error.code).toBe('NOT_FOUND');
    const character = (await call('createCharacter', { name: 'Sera' })).data;
    const chat = (await call('createChat', { characterId: character.id, title: 't' })).data;
    expect((await call('setChatPersona', { chatId: chat.chatId, personaId: unknownId })).error.code).toBe('NOT_FOUND');
    expect((await call('getChatPersona', { chatId: chat.chatId })).data.chosenId).toBeNull();
    expect(await readFile(personasFile(dir), 'utf8')).toBe(before);
  });

  it('a personas file that cannot be read does not stop a send or a reply: the settings name the user', async () => {
    const dir = await dataDir();
    const { mkdir } = await import('node:fs/promises');
    await mkdir(personasFile(dir), { recursive: true }); // a folder where the file should be: EISDIR on every read
    const { call, generate } = await open(dir);
    await call('setGenerationSettings', { personaName: 'Fallback Fay' });
    const character = (await call('createCharacter', { name: 'Sera' })).data;
    const chat = (await call('createChat', { characterId: character.id, title: 't' })).data;
    const sent = await call('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'hi' } });
    expect(sent).toMatchObject({ ok: true, data: { name: 'Fallback Fay' } });
    expect((await generate(chat.chatId)).status).toBe('complete');
    expect((await call('listPersonas')).error).toMatchObject({ code: 'IO_ERROR', details: { errno: 'EISDIR' } });
  });

  it('a damaged personas file is kept aside and its valid personas are salvaged', async () => {
    const dir = await dataDir();
    let app = await open(dir);
    const p = (await app.call('createPersona', { name: 'Survivor' })).data;
    await app.shutdown();
    const json = JSON.parse(await readFile(personasFile(dir), 'utf8'));
    json.personas.push({ id: 'broken', name: 42 });
    await writeFile(personasFile(dir), JSON.stringify(json));
    app = await open(dir);
    expect((await app.call('listPersonas')).data).toMatchObject({ defaultId: p.id, personas: [{ id: p.id, name: 'Survivor' }] });
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(path.dirname(personasFile(dir)))).some((f) => f.startsWith('personas.json.damaged-'))).toBe(true);
  });
});
