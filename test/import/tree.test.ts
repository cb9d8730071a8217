// Whole trees: SillyTavern's data/<user>/chats/ and CardShark's chats/ with folders.json and active_chats.json.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importPath } from '../../electron/import/index.ts';
import { allMessages, jsonl, tempDir, treeHash, withStore, writeSource } from './helpers.ts';

const msg = (name: string, isUser: boolean, mes: string) => ({ name, is_user: isUser, is_system: false, send_date: '2024-10-18T20:52:30.000Z', mes, extra: {} });
const stHeader = { chat_metadata: { integrity: 'i' }, user_name: 'unused', character_name: 'unused' };

describe('tree import', () => {
  it('a SillyTavern data/<user>/chats/ folder: one character per folder, group chats apart, backups skipped', async () => {
    const root = join(tempDir(), 'data', 'default-user');
    const chats = join(root, 'chats');
    writeSource(join(chats, 'Seraphina', 'Seraphina - 2024-10-18@20h52m30s.jsonl'), jsonl(stHeader, msg('You', true, 'a'), msg('Seraphina', false, 'b')));
    writeSource(join(chats, 'Seraphina', 'Seraphina - 2024-10-19@10h00m00s.jsonl'), jsonl(stHeader, msg('You', true, 'c')));
    writeSource(join(chats, 'Zoë the Bard', 'Zoë the Bard - 2024-10-20@10h00m00s.jsonl'), jsonl(stHeader, msg('Zoë', false, 'd')));
    writeSource(join(chats, 'Seraphina', '.backups', 'old.jsonl.20241019100000.bak'), 'backup');
    writeSource(join(chats, 'notes.txt'), 'not a chat');
    writeSource(join(root, 'group chats', '1729284750.jsonl'), jsonl(stHeader, msg('A', false, 'g1'), msg('B', false, 'g2')));
    const before = treeHash(root);
    await withStore(async (store) => {
      const r = await importPath(store, root);
      expect(r.failed).toEqual([]);
      expect(r.chats.map((c) => [c.source, c.characterId, c.messageCount])).toEqual([
        [join('chats', 'Seraphina', 'Seraphina - 2024-10-18@20h52m30s.jsonl'), 'Seraphina', 2],
        [join('chats', 'Seraphina', 'Seraphina - 2024-10-19@10h00m00s.jsonl'), 'Seraphina', 1],
        [join('chats', 'Zoë the Bard', 'Zoë the Bard - 2024-10-20@10h00m00s.jsonl'), expect.stringMatching(/^Zoe-the-Bard-[0-9a-f]{8}$/), 1],
        [join('group chats', '1729284750.jsonl'), 'group-1729284750', 2],
      ]);
      expect(r.skipped.map((s) => s.source)).toEqual([join('chats', 'Seraphina', '.backups') + '/']);
      expect((await store.listChats('Seraphina')).length).toBe(2);
      // A second run over the same tree writes nothing.
      const again = await importPath(store, root);
      expect(again.chats.map((c) => c.status)).toEqual(['already_imported', 'already_imported', 'already_imported', 'already_imported']);
      expect((await store.listChats('Seraphina')).length).toBe(2);
    });
    expect(treeHash(root)).toBe(before);
  });

  it('the character id derived from a name is deterministic, and --character overrides it', async () => {
    const root = join(tempDir(), 'chats');
    writeSource(join(root, 'Zoë the Bard', 'a.jsonl'), jsonl(stHeader, msg('Zoë', false, 'd')));
    const ids = await Promise.all([0, 1].map(() => withStore(async (store) => (await importPath(store, root)).chats[0]!.characterId)));
    expect(ids[0]).toBe(ids[1]);
    const forced = await withStore(async (store) => (await importPath(store, root, { characterId: 'bard' })).chats[0]!.characterId);
    expect(forced).toBe('bard');
  });

  it('a CardShark chats/ folder: folders.json maps folders to character ids, active_chats.json marks the active chat', async () => {
    const root = join(tempDir(), 'chats');
    const ariaId = '0f5e2a4c-8d3b-4e1f-9a7c-6b5d4e3f2a1b';
    const bramId = 'Bram-77aa88bb';
    const cleoId = '9a8b7c6d-1111-4222-8333-444455556666';
    writeSource(join(root, 'folders.json'), JSON.stringify({ [ariaId]: 'Aria', [bramId]: 'Bram', [cleoId]: 'Cleo 2' }));
    writeSource(join(root, 'active_chats.json'), JSON.stringify({ [ariaId]: 'Aria_20250301120000_ab12cd34' }));
    const v0Header = (name: string) => ({ user_name: 'User', character_name: name, create_date: '2025-02-16@15h12m05s', chat_metadata: { chat_id_hash: 1 } });
    // Layout 1: chats/<Clean Name>/<Name>-YYYYmmdd@HHhMMm.jsonl (no id in the file: folders.json gives it)
    writeSource(join(root, 'Aria', 'Aria-20250216@15h12m.jsonl'), jsonl(v0Header('Aria'), msg('User', true, 'old')));
    // ...and a "1.0" chat that active_chats.json names
    writeSource(join(root, 'Aria', 'chat_Aria_20250301_120000.jsonl'), jsonl({ version: '1.0', character_name: 'Aria', timestamp: 1740830400000, chat_metadata: { chat_id: 'Aria_20250301120000_ab12cd34', title: 'Chat with Aria - Mar 01, 2025' } }, msg('User', true, 'new')));
    // Layout 2: chats/<Name>-<charId>/...
    writeSource(join(root, `Bram-${bramId}`, 'chat_Bram_20250401_100000.jsonl'), jsonl(v0Header('Bram'), msg('Bram', false, 'b')));
    // Layout 3: chats/<char_uuid[:8]>/chat_<char8>_<chat8>_<unix>.jsonl
    writeSource(join(root, cleoId.slice(0, 8), `chat_${cleoId.slice(0, 8)}_deadbeef_1740000000.jsonl`), jsonl(v0Header('Cleo'), msg('Cleo', false, 'c')));
    // Repair backups, both generations: never imported.
    writeSource(join(root, 'Aria', '.backups', 'Aria-20250216@15h12m.jsonl.20250217000000.bak'), 'x');
    writeSource(join(root, 'backups', 'chat_Aria_20250301_120000_20250302.bak'), 'x');
    const before = treeHash(root);
    await withStore(async (store) => {
      const r = await importPath(store, root);
      expect(r.failed).toEqual([]);
      const byTitle = Object.fromEntries(r.chats.map((c) => [c.title, c]));
      expect(byTitle['Aria-20250216@15h12m']).toMatchObject({ characterId: ariaId, format: 'cardshark-v0' });
      expect(byTitle['Aria-20250216@15h12m']!.active).toBeUndefined();
      expect(byTitle['Chat with Aria - Mar 01, 2025']).toMatchObject({ characterId: ariaId, active: true, format: 'cardshark-1.0' });
      expect(byTitle['chat_Bram_20250401_100000']!.characterId).toBe(bramId);
      expect(r.chats.find((c) => c.source.startsWith(cleoId.slice(0, 8)))!.characterId).toBe(cleoId);
      expect(r.chats).toHaveLength(4);
      expect(r.skipped.map((s) => s.source).sort()).toEqual([join('Aria', '.backups') + '/', 'backups/']);
      const activeChat = byTitle['Chat with Aria - Mar 01, 2025']!;
      expect((await store.loadChat(activeChat.chatId)).header.metadata.import).toMatchObject({ active: true, source_chat_id: 'Aria_20250301120000_ab12cd34' });
      expect((await allMessages(store, activeChat.chatId))[0]!.content).toBe('new');
    });
    expect(treeHash(root)).toBe(before);
  });

  it('a folder with no chat file is INVALID_INPUT', async () => {
    const root = join(tempDir(), 'empty');
    writeSource(join(root, 'notes.txt'), 'x');
    await withStore(async (store) => {
      await expect(importPath(store, root)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/holds no \.jsonl chat file/) });
    });
  });

  it('an unreadable folders.json is reported and the folder names are used', async () => {
    const root = join(tempDir(), 'chats');
    writeSource(join(root, 'folders.json'), '{ not json');
    writeSource(join(root, 'Aria', 'a.jsonl'), jsonl(stHeader, msg('Aria', false, 'x')));
    await withStore(async (store) => {
      const r = await importPath(store, root);
      expect(r.chats[0]!.characterId).toBe('Aria');
      expect(r.skipped[0]).toMatchObject({ source: 'folders.json' });
    });
  });
});
