// Characters through the IPC binding, on a real data dir: import (PNG, JSON) → get → export →
// import again keeps every field; edits are durable and backed up; delete puts card and chats in
// the trash and restore brings both back; bad input changes nothing.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import { demoProvider } from '../../electron/generation/demo.ts';
import { parseCardFile } from '../../electron/cards/card-codec.ts';
import { splitCardChunks, withCardChunks } from '../../electron/cards/png-card.ts';
import { makePng, v1Json, v2Data, v2Png, v3Json, v3Png } from '../fixtures/cards.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(dataDir?: string) {
  dataDir ??= await mkdtemp(path.join(os.tmpdir(), 'cardshark-cards-'));
  const store = await openChatStore({ dataDir });
  const events: [string, any][] = [];
  const services = createServices<boolean>({ store, emit: (e, p) => events.push([e, p]), isTrustedSender: (s) => s, provider: demoProvider(0) });
  let shut = false;
  cleanups.push(async () => {
    if (!shut) await services.shutdown();
  });
  const call = (ch: string, p: unknown = {}) => services.binding.handle(true, ch, p) as Promise<any>;
  return { dataDir, store, services, events, call, shutdown: async () => { shut = true; await services.shutdown(); } };
}

const b64 = (b: Buffer) => b.toString('base64');
/** The same card chunks in another picture. */
function cardPngWithPicture(card: Buffer, picture: Buffer): Buffer {
  const { texts } = splitCardChunks(card);
  return withCardChunks(picture, { chara: texts.get('chara')!, ccv3: texts.get('ccv3')! });
}
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(d: string) {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (!e.name.endsWith('.lock') && e.name !== 'cardshark.lock') out[path.relative(dir, p)] = (await readFile(p)).toString('base64');
    }
  }
  await walk(dir);
  return out;
}

describe('characters over IPC', () => {
  it('imports a V3 PNG: full card from getCharacter and the main-side get(id), avatar thumbnail, export PNG and JSON round-trip', async () => {
    const { call, services, dataDir } = await setup();
    const imp = await call('importCharacter', { fileName: 'sera.png', bytesBase64: b64(v3Png()) });
    expect(imp.ok).toBe(true);
    const { character, kind } = imp.data;
    expect(kind).toBe('imported');
    expect(character).toMatchObject({ name: 'Seraphina', hasAvatar: true, tags: ['fantasy', 'female'] });
    const full = (await call('getCharacter', { id: character.id })).data;
    expect(full.card).toEqual({ ...v3Json().data, character_uuid: character.id });
    expect(await services.characters.get(character.id)).toEqual(full);
    const avatar = (await call('getCharacterAvatar', { id: character.id })).data.dataUrl as string;
    const thumb = PNG.sync.read(Buffer.from(avatar.replace('data:image/png;base64,', ''), 'base64'));
    expect(Math.max(thumb.width, thumb.height)).toBe(96);
    expect(avatar.length).toBeLessThan(60_000);
    // Card files are where the docs say.
    expect((await readdir(path.join(dataDir, 'app', 'characters', character.id))).sort()).toEqual(['avatar.png', 'card.json', 'thumb.png']);

    for (const format of ['png', 'json'] as const) {
      const ex = (await call('exportCharacter', { id: character.id, format })).data;
      expect(ex.fileName).toBe(`Seraphina.${format}`);
      const again = parseCardFile(Buffer.from(ex.bytesBase64, 'base64'));
      expect(again.card).toEqual(full.card);
      expect(again.ownId).toBe(character.id); // the exported file carries the id: re-import is the same character
    }
  });

  it('a card whose id belongs to a character with other content never takes it over silently: ask writes nothing, the default imports it as new, replace keeps the chats and the previous card', async () => {
    const { call, dataDir, events } = await setup();
    const appDir = path.join(dataDir, 'app'); // the characters' files (the store's own index is written on its own schedule)
    const id = '0b7c6f2e-1d2a-4c3b-9f00-5e6d7c8b9a01';
    const first = (await call('importCharacter', { bytesBase64: b64(v2Png({ character_uuid: id })) })).data;
    expect(first).toMatchObject({ kind: 'imported', character: { id } });
    const chat = (await call('createChat', { characterId: id, title: 'Ours' })).data;
    const ours = (await call('getCharacter', { id })).data;
    const stranger = v2Png({ character_uuid: id, name: 'Mallory', personality: 'sly', first_mes: 'Gotcha.' });

    // ask: a typed answer naming what differs; not a byte written, no change event.
    const before = await snapshot(appDir);
    const eventsBefore = events.length;
    const asked = (await call('importCharacter', { fileName: 'stranger.png', bytesBase64: b64(stranger), onConflict: 'ask' })).data;
    expect(asked).toEqual({ kind: 'conflict', existing: expect.objectContaining({ id, name: 'Seraphina' }), incoming: { name: 'Mallory', hasAvatar: true, changed: ['name', 'personality', 'first_mes'] } });
    expect(await snapshot(appDir)).toEqual(before);
    expect(events.slice(eventsBefore).filter(([e]) => e === 'characters:changed')).toEqual([]);

    // No choice given (a caller that cannot ask): a new character beside ours, ours untouched.
    const asNew = (await call('importCharacter', { bytesBase64: b64(stranger) })).data;
    expect(asNew).toMatchObject({ kind: 'imported', character: { name: 'Mallory' }, idTakenBy: { id } });
    expect(asNew.character.id).not.toBe(id);
    expect((await call('getCharacter', { id: asNew.character.id })).data.card).toMatchObject({ personality: 'sly', character_uuid: asNew.character.id });
    expect((await call('getCharacter', { id })).data).toEqual(ours);
    expect((await call('listChats', { characterId: id })).data.map((c: any) => c.chatId)).toEqual([chat.chatId]);

    // replace (the user chose it): the card changes, the chats stay, the previous card is kept whole.
    const replaced = (await call('importCharacter', { bytesBase64: b64(stranger), onConflict: 'replace' })).data;
    expect(replaced).toMatchObject({ kind: 'replaced', character: { id, name: 'Mallory', created: first.character.created }, previous: { name: 'Seraphina', hasAvatar: true } });
    expect((await call('getCharacter', { id })).data.card.personality).toBe('sly');
    expect((await call('listChats', { characterId: id })).data.map((c: any) => c.chatId)).toEqual([chat.chatId]);
    expect((await call('listCharacters')).data).toHaveLength(2);
    const previous = (await call('listPreviousCards', { id })).data;
    expect(previous).toEqual([replaced.previous]);

    // Restore: our card and picture are back; the stranger's card is now the previous one.
    const avatarOf = async () => (await call('getCharacterAvatar', { id })).data.dataUrl;
    const strangerAvatar = await avatarOf();
    const restored = (await call('restorePreviousCard', { id, versionId: previous[0].versionId })).data;
    expect(restored).toMatchObject({ kind: 'replaced', character: { id, name: 'Seraphina' }, previous: { name: 'Mallory' } });
    expect((await call('getCharacter', { id })).data.card).toEqual(ours.card);
    expect(await readFile(path.join(dataDir, 'app', 'characters', id, 'avatar.png'))).toEqual(parseCardFile(v2Png()).avatar);
    expect(await avatarOf()).toMatch(/^data:image\/png;base64,/);
    expect((await call('listPreviousCards', { id })).data.map((p: any) => p.name)).toEqual(['Mallory', 'Seraphina']);
    // Restoring the card that is already current changes nothing.
    expect((await call('restorePreviousCard', { id, versionId: previous[0].versionId })).data).toMatchObject({ kind: 'unchanged' });
    expect(strangerAvatar).toMatch(/^data:image\/png;base64,/);
  });

  it('re-importing an exported card: the same card is a no-op ("already imported"); after an edit it asks, and a new character keeps the edit intact', async () => {
    const { call, dataDir } = await setup();
    const appDir = path.join(dataDir, 'app'); // the characters' files (the store's own index is written on its own schedule)
    const { id } = (await call('importCharacter', { bytesBase64: b64(v3Png()) })).data.character;
    const exported = async (format: 'png' | 'json') => (await call('exportCharacter', { id, format })).data.bytesBase64 as string;
    const png = await exported('png');
    const json = await exported('json');
    for (const bytesBase64 of [png, json]) {
      const before = await snapshot(appDir);
      for (const onConflict of ['ask', 'replace', 'new', undefined]) {
        expect((await call('importCharacter', { bytesBase64, ...(onConflict ? { onConflict } : {}) })).data).toMatchObject({ kind: 'unchanged', character: { id } });
      }
      expect(await snapshot(appDir)).toEqual(before);
    }
    expect((await call('listCharacters')).data).toHaveLength(1);

    // The new user's story: edit Personality, re-import the exported file.
    await call('updateCharacter', { id, card: { personality: 'Edited since the export.' } });
    const asked = (await call('importCharacter', { bytesBase64: png, onConflict: 'ask' })).data;
    expect(asked).toMatchObject({ kind: 'conflict', existing: { id }, incoming: { changed: ['personality'] } });
    expect((await call('getCharacter', { id })).data.card.personality).toBe('Edited since the export.');
    const asNew = (await call('importCharacter', { bytesBase64: png, onConflict: 'new' })).data;
    expect(asNew.kind).toBe('imported');
    expect((await call('getCharacter', { id })).data.card.personality).toBe('Edited since the export.');
    expect((await call('getCharacter', { id: asNew.character.id })).data.card.personality).toBe('warm, protective');
    expect((await call('listPreviousCards', { id })).data).toEqual([]);
    // The JSON export carries no picture: it differs in the text only, and replacing keeps the picture.
    expect((await call('importCharacter', { bytesBase64: json, onConflict: 'ask' })).data.incoming.changed).toEqual(['personality']);
    const r = (await call('importCharacter', { bytesBase64: json, onConflict: 'replace' })).data;
    expect(r).toMatchObject({ kind: 'replaced', character: { id, hasAvatar: true }, previous: { hasAvatar: true } });
    // A character without a picture: its PNG export (a placeholder picture) is the same card too.
    const ada = (await call('importCharacter', { bytesBase64: b64(Buffer.from(JSON.stringify(v1Json()))) })).data.character;
    const adaPng = (await call('exportCharacter', { id: ada.id, format: 'png' })).data.bytesBase64;
    expect((await call('importCharacter', { bytesBase64: adaPng, onConflict: 'ask' })).data).toMatchObject({ kind: 'unchanged', character: { id: ada.id, hasAvatar: false } });
    // A different picture alone is a difference.
    const repainted = cardPngWithPicture(Buffer.from(adaPng, 'base64'), makePng(8, 8));
    expect((await call('importCharacter', { bytesBase64: b64(repainted), onConflict: 'ask' })).data).toMatchObject({ kind: 'conflict', incoming: { changed: ['picture'] } });
  });

  it('a replaced card without a picture comes back without one; the kept versions are bounded; bad requests are typed errors', async () => {
    const { call, dataDir } = await setup();
    const id = 'ada-fixed-id';
    await call('importCharacter', { bytesBase64: b64(Buffer.from(JSON.stringify({ ...v1Json(), character_uuid: id }))) });
    const r = (await call('importCharacter', { bytesBase64: b64(v2Png({ character_uuid: id })), onConflict: 'replace' })).data;
    expect(r).toMatchObject({ kind: 'replaced', character: { hasAvatar: true }, previous: { name: 'Ada', hasAvatar: false } });
    const back = (await call('restorePreviousCard', { id, versionId: r.previous.versionId })).data;
    expect(back).toMatchObject({ kind: 'replaced', character: { id, name: 'Ada', hasAvatar: false }, previous: { name: 'Seraphina', hasAvatar: true } });
    expect((await call('getCharacterAvatar', { id })).data.dataUrl).toBeNull();
    expect((await readdir(path.join(dataDir, 'app', 'characters', id))).sort()).toEqual(['card.json']);
    // The PNG export of the restored card carries the placeholder, not the removed picture.
    const png = (await call('exportCharacter', { id, format: 'png' })).data.bytesBase64;
    expect(parseCardFile(Buffer.from(png, 'base64')).avatar).not.toEqual(parseCardFile(v2Png()).avatar);

    for (let i = 0; i < 14; i++) await call('importCharacter', { bytesBase64: b64(Buffer.from(JSON.stringify({ ...v1Json(), character_uuid: id, personality: `v${i}` }))), onConflict: 'replace' });
    const kept = (await call('listPreviousCards', { id })).data;
    expect(kept).toHaveLength(10);
    expect(kept.map((p: any) => p.replacedAt)).toEqual([...kept.map((p: any) => p.replacedAt)].sort((a, b) => b - a));

    // A card differing in a great many fields: the answer names the first 100 (and still fits the contract).
    const many = { ...v1Json(), character_uuid: id, ...Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`x_${i}`, i])) };
    const wide = (await call('importCharacter', { bytesBase64: b64(Buffer.from(JSON.stringify(many))), onConflict: 'ask' })).data;
    expect(wide.kind).toBe('conflict');
    expect(wide.incoming.changed).toHaveLength(100);
    expect((await call('importCharacter', { bytesBase64: b64(v2Png()), onConflict: 'overwrite' })).error.code).toBe('INVALID_INPUT');
    expect((await call('listPreviousCards', { id: 'nobody' })).error.code).toBe('NOT_FOUND');
    expect((await call('restorePreviousCard', { id, versionId: '../../x' })).error.code).toBe('INVALID_INPUT');
    expect((await call('restorePreviousCard', { id, versionId: '0000000000001-0000' })).error.code).toBe('NOT_FOUND');
    expect((await call('restorePreviousCard', { id: 'nobody', versionId: kept[0].versionId })).error.code).toBe('NOT_FOUND');
  });

  it('a card without an id gets one on first sight; the export carries it back', async () => {
    const { call } = await setup();
    const a = (await call('importCharacter', { bytesBase64: b64(Buffer.from(JSON.stringify(v1Json()))) })).data.character;
    expect(a.id).toMatch(/^ada-[0-9a-f]{8}$/);
    expect(a.hasAvatar).toBe(false);
    expect((await call('getCharacterAvatar', { id: a.id })).data.dataUrl).toBeNull();
    const png = (await call('exportCharacter', { id: a.id, format: 'png' })).data; // a placeholder picture
    const back = (await call('importCharacter', { bytesBase64: png.bytesBase64 })).data;
    expect(back).toMatchObject({ kind: 'unchanged', character: { id: a.id } });
  });

  it('bad input gets a typed error and changes nothing on disk', async () => {
    const { call, dataDir } = await setup();
    await call('importCharacter', { bytesBase64: b64(v2Png()) });
    const before = await snapshot(dataDir);
    const truncated = v2Png().subarray(0, 200);
    for (const bytes of [truncated, makePng(4, 4), Buffer.from('{"spec":"chara_card_v2","data":{"name":3}}')]) {
      const r = await call('importCharacter', { bytesBase64: b64(bytes) });
      expect(r.ok).toBe(false);
      expect(r.error.code).toBe('INVALID_INPUT');
    }
    expect((await call('importCharacter', { bytesBase64: 'not base64 at all!' })).error.code).toBe('INVALID_INPUT');
    expect((await call('importCharacter', { bytesBase64: 'A'.repeat(28 * 1024 * 1024) })).error.code).toBe('INVALID_INPUT');
    expect((await call('importCharacter', { path: '/etc/passwd' })).error.code).toBe('INVALID_INPUT');
    expect((await call('updateCharacter', { id: 'nobody', card: { name: 'x' } })).error.code).toBe('NOT_FOUND');
    const id = (await call('listCharacters')).data[0].id;
    expect((await call('updateCharacter', { id, card: { extensions: {} } })).error.code).toBe('INVALID_INPUT');
    expect((await call('updateCharacter', { id, card: { name: '   ' } })).error.code).toBe('INVALID_INPUT');
    expect((await call('restoreCharacter', { trashId: '../../x.1' })).error.code).toBe('INVALID_INPUT');
    expect(await snapshot(dataDir)).toEqual(before);
  });

  it('an edit is durable, keeps unknown fields and extensions, and backs up the previous card and registry', async () => {
    const { call, dataDir, shutdown } = await setup();
    const { id } = (await call('importCharacter', { bytesBase64: b64(v2Png()) })).data.character;
    const r = await call('updateCharacter', { id, card: { name: 'Sera', description: 'Edited.', alternate_greetings: ['Hi.'] } });
    expect(r.ok).toBe(true);
    await shutdown();
    const again = await setup(dataDir);
    const full = (await again.call('getCharacter', { id })).data;
    expect(full.card).toEqual({ ...v2Data(), name: 'Sera', description: 'Edited.', alternate_greetings: ['Hi.'], character_uuid: id });
    expect((await again.call('listCharacters')).data[0].name).toBe('Sera');
    const cardBackups = await readdir(path.join(dataDir, 'app', 'backups', id, 'card.json'));
    expect(cardBackups).toHaveLength(1);
    const old = JSON.parse(await readFile(path.join(dataDir, 'app', 'backups', id, 'card.json', cardBackups[0]!), 'utf8'));
    expect(old.card.description).toBe(v2Data().description);
    expect((await readdir(path.join(dataDir, 'app', 'backups', 'characters.json'))).length).toBeGreaterThan(0);
  });

  it('characters from before cards (registry entry only, chat folder) carry over: listed, full blank card, editable, chats kept', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-cards-'));
    await mkdir(path.join(dataDir, 'app'), { recursive: true });
    await writeFile(path.join(dataDir, 'app', 'characters.json'), JSON.stringify({ characters: [{ id: 'bram-0a1b2c3d', name: 'Bram', created: 1 }] }));
    const first = await setup(dataDir);
    const chat = (await first.call('createChat', { characterId: 'bram-0a1b2c3d', title: 'Old chat' })).data;
    await first.shutdown();
    const { call } = await setup(dataDir);
    expect((await call('listCharacters')).data).toEqual([{ id: 'bram-0a1b2c3d', name: 'Bram', created: 1 }]);
    const full = (await call('getCharacter', { id: 'bram-0a1b2c3d' })).data;
    expect(full).toMatchObject({ name: 'Bram', hasAvatar: false, card: { name: 'Bram', description: '', extensions: {} } });
    await call('updateCharacter', { id: 'bram-0a1b2c3d', card: { description: 'A sailor.' } });
    // Its card, as another tool exports it: the same card (its id was never written into the card).
    const same = { spec: 'chara_card_v2', spec_version: '2.0', data: { name: 'Bram', description: 'A sailor.', character_uuid: 'bram-0a1b2c3d' } };
    expect((await call('importCharacter', { bytesBase64: b64(Buffer.from(JSON.stringify(same))), onConflict: 'ask' })).data).toMatchObject({ kind: 'unchanged', character: { id: 'bram-0a1b2c3d' } });
    expect((await call('listChats', { characterId: 'bram-0a1b2c3d' })).data.map((c: any) => c.chatId)).toEqual([chat.chatId]);
  });

  it('delete moves card and chats to the trash (files kept); restore brings both back with their messages', async () => {
    const { call, dataDir, events } = await setup();
    const { id } = (await call('importCharacter', { bytesBase64: b64(v3Png()) })).data.character;
    const other = (await call('createCharacter', { name: 'Other' })).data;
    const c1 = (await call('createChat', { characterId: id, title: 'One' })).data;
    const c2 = (await call('createChat', { characterId: id, title: 'Two' })).data;
    const keep = (await call('createChat', { characterId: other.id, title: 'Not mine' })).data;
    await call('appendMessage', { chatId: c1.chatId, message: { role: 'user', content: 'remember me' } });
    // A chat deleted on its own before stays deleted after the restore.
    const c3 = (await call('createChat', { characterId: id, title: 'Gone before' })).data;
    await call('deleteChat', { chatId: c3.chatId });

    expect((await call('deleteCharacter', { id })).ok).toBe(true);
    expect((await call('listCharacters')).data.map((c: any) => c.id)).toEqual([other.id]);
    expect((await call('getCharacter', { id })).error.code).toBe('NOT_FOUND');
    expect((await call('getChat', { chatId: c1.chatId })).error.code).toBe('NOT_FOUND');
    expect(events.filter(([e]) => e === 'chat:removed').map(([, p]) => p.chatId).sort()).toEqual([c1.chatId, c2.chatId, c3.chatId].sort());
    const trashed = (await call('listDeletedCharacters')).data;
    expect(trashed).toEqual([{ trashId: expect.stringMatching(new RegExp(`^${id}\\.\\d+$`)), id, name: 'Seraphina', deletedAt: expect.any(Number), chatCount: 2 }]);
    expect((await readdir(path.join(dataDir, 'app', 'trash', trashed[0].trashId))).sort()).toEqual(['avatar.png', 'card.json', 'thumb.png', 'trashed.json']);
    expect((await readdir(path.join(dataDir, 'trash', id))).length).toBe(3);
    expect((await call('listChats', { characterId: other.id })).data.map((c: any) => c.chatId)).toEqual([keep.chatId]);

    const restored = await call('restoreCharacter', { trashId: trashed[0].trashId });
    expect(restored.data).toMatchObject({ id, name: 'Seraphina', hasAvatar: true });
    expect((await call('listDeletedCharacters')).data).toEqual([]);
    expect((await call('getCharacter', { id })).data.card.group_only_greetings).toEqual(['Hello, all.']);
    expect((await call('getCharacterAvatar', { id })).data.dataUrl).toMatch(/^data:image\/png;base64,/);
    const chats = (await call('listChats', { characterId: id })).data;
    expect(chats.map((c: any) => c.title).sort()).toEqual(['One', 'Two']);
    const page = (await call('loadChat', { chatId: c1.chatId })).data;
    // The card's greeting opened the chat; the user's message follows it.
    expect(page.messages.map((m: any) => m.content)).toEqual(['*Seraphina smiles.* You are safe now.', 'remember me']);
    // And a second delete → restore cycle works the same.
    await call('deleteCharacter', { id });
    const again = (await call('listDeletedCharacters')).data;
    expect(again[0].chatCount).toBe(2);
    await call('restoreCharacter', { trashId: again[0].trashId });
    expect((await call('listChats', { characterId: id })).data).toHaveLength(2);
  });

  it('a delete cut short after the chats moved (the card folder could not move) is finished by deleting again; restore brings every chat back', async () => {
    const { call, dataDir } = await setup();
    const { id } = (await call('importCharacter', { bytesBase64: b64(v2Png()) })).data.character;
    const a = (await call('createChat', { characterId: id, title: 'A' })).data;
    const b = (await call('createChat', { characterId: id, title: 'B' })).data;
    // A file where the trash folder goes: the chats reach the store's trash, then the move fails.
    await writeFile(path.join(dataDir, 'app', 'trash'), 'in the way');
    const failed = await call('deleteCharacter', { id });
    expect(failed.ok).toBe(false);
    expect(failed.error.code).toBe('IO_ERROR');
    expect((await call('listCharacters')).data.map((c: any) => c.id)).toEqual([id]); // still listed, not lost
    expect((await call('listChats', { characterId: id })).data).toEqual([]);
    await rm(path.join(dataDir, 'app', 'trash'));
    expect((await call('deleteCharacter', { id })).ok).toBe(true);
    const [t] = (await call('listDeletedCharacters')).data;
    expect(t.chatCount).toBe(2); // the first attempt's chat list was kept
    await call('restoreCharacter', { trashId: t.trashId });
    expect((await call('listChats', { characterId: id })).data.map((c: any) => c.chatId).sort()).toEqual([a.chatId, b.chatId].sort());
  });

  it('store.undeleteChat: the newest trashed copy comes back; NOT_FOUND when none, CONFLICT when the chat is live', async () => {
    const { call, store: s, dataDir } = await setup();
    const ch = (await call('createCharacter', { name: 'Solo' })).data;
    const chat = (await call('createChat', { characterId: ch.id, title: 'Only' })).data;
    await call('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'kept' } });
    await call('deleteChat', { chatId: chat.chatId });
    // An older copy of the same chat in the trash must not win over the newest one.
    await writeFile(path.join(dataDir, 'trash', ch.id, `${chat.chatId}.1.jsonl`), 'older\n');
    const summary = await s.undeleteChat(chat.chatId);
    expect(summary).toMatchObject({ chatId: chat.chatId, title: 'Only', messageCount: 1, status: 'ok' });
    await expect(s.undeleteChat(chat.chatId)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(s.undeleteChat('0b7c6f2e-1d2a-4c3b-9f00-5e6d7c8b9a01')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await readdir(path.join(dataDir, 'trash', ch.id)))).toEqual([`${chat.chatId}.1.jsonl`]);
  });

  it('deleting a character opens none of its chats next; undeleting one of its chats brings the character back with that chat only (issue 18 §4)', async () => {
    const { call, events } = await setup();
    const ch = (await call('createCharacter', { name: 'Doomed' })).data;
    const a = (await call('createChat', { characterId: ch.id, title: 'A' })).data;
    const b = (await call('createChat', { characterId: ch.id, title: 'B' })).data;
    expect((await call('deleteCharacter', { id: ch.id })).ok).toBe(true);
    const removed = events.filter(([e]) => e === 'chat:removed').map(([, p]) => p);
    expect(removed.map((p) => [p.chatId, p.nextChatId]).sort()).toEqual([[a.chatId, null], [b.chatId, null]].sort());
    expect((await call('listCharacters')).data.map((c: any) => c.id)).not.toContain(ch.id);

    const copy = (await call('listDeletedChats')).data.find((t: any) => t.chatId === a.chatId);
    const restored = await call('undeleteChat', { chatId: a.chatId, trashId: copy.trashId });
    expect(restored).toMatchObject({ ok: true, data: { chatId: a.chatId, characterId: ch.id } });
    expect((await call('listCharacters')).data.map((c: any) => [c.id, c.name])).toContainEqual([ch.id, 'Doomed']);
    expect((await call('listChats', { characterId: ch.id })).data.map((c: any) => c.chatId)).toEqual([a.chatId]);
    // Its other chat stays in the trash, restorable on its own; the character is no longer in the trash.
    expect((await call('listDeletedChats')).data.map((t: any) => t.chatId)).toEqual([b.chatId]);
    expect((await call('listDeletedCharacters')).data).toEqual([]);
    expect((await call('undeleteChat', { chatId: b.chatId })).ok).toBe(true);
    expect((await call('listChats', { characterId: ch.id })).data).toHaveLength(2);
  });

  it('undeleting a chat whose character is gone for good lists the character again under its id', async () => {
    const { call, dataDir } = await setup();
    const ch = (await call('createCharacter', { name: 'Gone' })).data;
    const a = (await call('createChat', { characterId: ch.id, title: 'A' })).data;
    await call('deleteCharacter', { id: ch.id });
    await rm(path.join(dataDir, 'app', 'trash'), { recursive: true }); // the character's trash emptied by hand
    expect((await call('undeleteChat', { chatId: a.chatId })).ok).toBe(true);
    expect((await call('listCharacters')).data.map((c: any) => c.id)).toContain(ch.id);
    expect((await call('listChats', { characterId: ch.id })).data.map((c: any) => c.chatId)).toEqual([a.chatId]);
  });

  it('restore refuses when the id was taken again meanwhile, and changes nothing', async () => {
    const { call } = await setup();
    const id = 'sera-fixed-id';
    await call('importCharacter', { bytesBase64: b64(v2Png({ character_uuid: id })) });
    await call('deleteCharacter', { id });
    await call('importCharacter', { bytesBase64: b64(v2Png({ character_uuid: id, name: 'New Sera' })) });
    const [t] = (await call('listDeletedCharacters')).data;
    const r = await call('restoreCharacter', { trashId: t.trashId });
    expect(r.error.code).toBe('CONFLICT');
    expect((await call('listDeletedCharacters')).data).toHaveLength(1);
    expect((await call('getCharacter', { id })).data.name).toBe('New Sera');
  });
});
