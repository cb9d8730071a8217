// Characters on a synced data folder (issue 17 §4): the list is derived from the card folders, so a
// character made on another computer (its folder arriving) appears in the running app, one trashed
// there leaves, and a sync tool's conflict copy of a card keeps the other version restorable.
// Real files, real chokidar events; "another computer" is a second registry on its own folder
// whose character folders are copied over as a sync tool would.
import { cp, mkdir, mkdtemp, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openCharacterRegistry, type CharacterRegistry } from '../../electron/app-data/characters.ts';
import { startCharacterWatcher, type CharacterWatcher } from '../../electron/watcher/character-watcher.ts';
import { conflictCopyOf } from '../../electron/app-data/character-folders.ts';

const watchers: CharacterWatcher[] = [];
afterEach(async () => {
  await Promise.all(watchers.splice(0).map((w) => w.close()));
});

async function computer(): Promise<{ dataDir: string; characters: CharacterRegistry }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-charsync-'));
  return { dataDir, characters: openCharacterRegistry(dataDir) };
}

async function watched(characters: CharacterRegistry) {
  const changes: number[] = [];
  const reports: string[] = [];
  const w = startCharacterWatcher({ characters, onChange: () => changes.push(Date.now()), onReport: (m) => reports.push(m), settleMs: 100 });
  watchers.push(w);
  await w.ready;
  return { w, changes, reports };
}

/** Waits (real events) until `cond` holds, or fails with what was seen. */
async function until(cond: () => Promise<boolean> | boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const charDir = (dataDir: string, id: string) => path.join(dataDir, 'app', 'characters', id);

describe('characters on a synced folder', () => {
  it('a character made on another computer appears in the running app (characters:changed), and leaves when trashed there', async () => {
    const a = await computer();
    const b = await computer();
    await a.characters.create('Ada');
    const { changes } = await watched(a.characters);
    const made = await b.characters.create('Bram');
    await b.characters.update(made.id, { description: 'made on B' });
    await cp(charDir(b.dataDir, made.id), charDir(a.dataDir, made.id), { recursive: true }); // the sync tool
    await until(async () => (await a.characters.list()).some((c) => c.id === made.id) && changes.length > 0, 'Bram on A');
    expect((await a.characters.list()).map((c) => c.name).sort()).toEqual(['Ada', 'Bram']);
    expect((await a.characters.get(made.id))?.card.description).toBe('made on B');
    // Trashed on B: the folder moves into the trash there, and so here.
    const seen = changes.length;
    await mkdir(path.join(a.dataDir, 'app', 'trash'), { recursive: true });
    await rename(charDir(a.dataDir, made.id), path.join(a.dataDir, 'app', 'trash', `${made.id}.${Date.now()}`));
    await until(() => changes.length > seen, 'the change event');
    expect((await a.characters.list()).map((c) => c.name)).toEqual(['Ada']);
  });

  it('a card edited on another computer shows its new name here', async () => {
    const a = await computer();
    const ada = await a.characters.create('Ada');
    const { changes } = await watched(a.characters);
    const doc = JSON.parse(await readFile(path.join(charDir(a.dataDir, ada.id), 'card.json'), 'utf8'));
    doc.card.name = 'Ada Lovelace';
    doc.updated = doc.updated + 1000;
    await writeFile(path.join(charDir(a.dataDir, ada.id), '.syncthing.card.json.tmp'), JSON.stringify(doc));
    await rename(path.join(charDir(a.dataDir, ada.id), '.syncthing.card.json.tmp'), path.join(charDir(a.dataDir, ada.id), 'card.json'));
    await until(() => changes.length > 0, 'the change event');
    expect((await a.characters.list()).map((c) => c.name)).toEqual(['Ada Lovelace']);
  });

  it('a conflict copy of card.json (both computers edited the card) is kept as a previous card, restorable, and removed', async () => {
    const a = await computer();
    const ada = await a.characters.create('Ada');
    await a.characters.update(ada.id, { description: 'edited on A' });
    const { w } = await watched(a.characters);
    const doc = JSON.parse(await readFile(path.join(charDir(a.dataDir, ada.id), 'card.json'), 'utf8'));
    const theirs = { ...doc, updated: doc.updated - 5, card: { ...doc.card, description: 'edited on B' } };
    const copy = 'card.sync-conflict-20261205-101010-ABCDEFG.json';
    await writeFile(path.join(charDir(a.dataDir, ada.id), copy), JSON.stringify(theirs));
    await until(async () => !(await readdir(charDir(a.dataDir, ada.id))).includes(copy), 'the conflict copy to be resolved');
    await w.settled();
    const kept = await a.characters.previousCards(ada.id);
    expect(kept).toHaveLength(1);
    expect((await a.characters.get(ada.id))?.card.description).toBe('edited on A');
    await a.characters.restorePreviousCard(ada.id, kept[0]!.versionId);
    expect((await a.characters.get(ada.id))?.card.description).toBe('edited on B');
    // And A's version is kept in turn.
    const after = await a.characters.previousCards(ada.id);
    expect(after).toHaveLength(2);
  });

  it('a file named like a conflict copy that is not a card of ours is left alone and reported', async () => {
    const a = await computer();
    const ada = await a.characters.create('Ada');
    const { reports } = await watched(a.characters);
    const odd = 'card (Bob\'s conflicted copy 2026-12-05).json';
    await writeFile(path.join(charDir(a.dataDir, ada.id), odd), 'not a card');
    await until(() => reports.length > 0, 'the report');
    expect(reports[0]).toContain(odd);
    expect(await readFile(path.join(charDir(a.dataDir, ada.id), odd), 'utf8')).toBe('not a card');
    expect(await a.characters.previousCards(ada.id)).toEqual([]);
  });

  it('recognizes the conflict names of Syncthing, Dropbox, Nextcloud and OneDrive, and nothing else', () => {
    expect(conflictCopyOf('card.sync-conflict-20261205-101010-ABCDEFG.json')).toBe('card');
    expect(conflictCopyOf("card (Bob's conflicted copy 2026-12-05).json")).toBe('card');
    expect(conflictCopyOf('card (conflicted copy 2026-12-05 101010).json')).toBe('card');
    expect(conflictCopyOf('card-LAPTOP.json')).toBe('card');
    expect(conflictCopyOf('avatar.sync-conflict-20261205-101010-ABCDEFG.png')).toBe('avatar');
    for (const n of ['card.json', 'avatar.png', 'thumb.png', 'trashed.json', 'card.sync-conflict-20261205-101010-ABCDEFG.png', '.syncthing.card.json.tmp']) expect(conflictCopyOf(n), n).toBeUndefined();
  });
});
