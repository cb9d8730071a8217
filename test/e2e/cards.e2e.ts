// Character cards in the real renderer (browser host): import by drag-and-drop and by the file
// picker, chat with the character, edit it, delete it to the trash and restore it with its chats;
// a re-imported card whose content differs asks before replacing, and the replaced card is restorable.
import { expect, test, type Page } from '@playwright/test';
import path from 'node:path';
import { readFile, readdir } from 'node:fs/promises';
import { startHost, tempRoot, type RunningHost } from './host.ts';
import { dropFiles } from './drop.ts';
import { b64, chunk, ihdrData, textChunk, v1Json, v2Json, v3Png } from '../fixtures/cards.ts';
import { pngOf, zerosZlib } from '../fixtures/hostile-cards.ts';

let hosts: RunningHost[] = [];
test.afterEach(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  hosts = [];
});

/** Drops a file built from `bytes` on the character panel, as a real drag from the desktop does. */
async function dropFile(page: Page, name: string, mime: string, bytes: Buffer) {
  await dropFiles(page, 'character-panel', [{ name, mime, bytes }]);
}

test('import a card by drag-and-drop, chat with it, edit it, delete it and restore it with its chats', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  const host = await startHost(dataDir);
  hosts.push(host);
  await page.goto(host.url);
  await expect(page.getByTestId('characters-empty')).toBeVisible();

  // A malformed card (cut in half) gets a clear error and adds nothing.
  const png = v3Png();
  await dropFile(page, 'broken.png', 'image/png', png.subarray(0, png.length / 2));
  await expect(page.getByTestId('notice').filter({ hasText: 'Importing broken.png: [INVALID_INPUT]' })).toContainText('truncated');
  await expect(page.getByTestId('characters-empty')).toBeVisible();

  await dropFile(page, 'Seraphina.png', 'image/png', png);
  const sera = page.getByTestId('character').filter({ hasText: 'Seraphina' });
  await expect(sera).toHaveAttribute('aria-current', 'true');
  await expect(sera.getByTestId('avatar')).toHaveAttribute('src', /^data:image\/png;base64,/);
  const id = await sera.getAttribute('data-character-id');

  // Chat with it (the demo provider answers).
  await page.getByRole('button', { name: 'New chat' }).click();
  await expect(page.getByTestId('chat')).toHaveCount(1);
  // The card's first message opens the chat.
  await expect(page.locator('[data-testid=message][data-role=assistant]')).toHaveText(/You are safe now/);
  await page.getByLabel('Message').fill('Where am I?');
  await page.getByLabel('Message').press('Enter');
  await expect(page.locator('[data-testid=message][data-role=user]')).toHaveText(/Where am I\?/);
  await expect(page.locator('[data-testid=message][data-role=assistant]')).toHaveCount(2);
  await expect(page.getByRole('button', { name: 'Stop' })).toHaveCount(0);

  // Edit: every field shown; the change is on disk and survives a reload.
  await page.getByRole('button', { name: 'Edit Seraphina' }).click();
  const editor = page.getByRole('dialog', { name: 'Edit character' });
  await expect(editor.getByLabel('First message')).toHaveValue('*Seraphina smiles.* You are safe now.');
  await expect(editor.getByLabel('Alternate greeting 2')).toHaveValue('Oh! You are awake.');
  await expect(editor.getByLabel('Tags')).toHaveValue('fantasy, female');
  await editor.getByLabel('Name').fill('Sera');
  await editor.getByLabel('Description').fill('Edited in the app.');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('notice').filter({ hasText: 'Saved Sera' })).toHaveCount(1);
  await editor.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('character')).toHaveText(['Sera']);
  const onDisk = JSON.parse(await readFile(path.join(dataDir, 'app', 'characters', id!, 'card.json'), 'utf8'));
  expect(onDisk.card).toMatchObject({ name: 'Sera', description: 'Edited in the app.', nickname: 'Sera', group_only_greetings: ['Hello, all.'] });
  expect(onDisk.card.extensions.depth_prompt).toEqual({ prompt: 'Seraphina is kind.', depth: 4, role: 'system' });
  await page.reload();
  await expect(page.getByTestId('character').filter({ hasText: 'Sera' })).toHaveAttribute('aria-current', 'true');
  await expect(page.getByTestId('message')).toHaveCount(3);

  // Delete to the trash: card and chat leave the list; files are kept.
  await page.getByRole('button', { name: 'Edit Sera' }).click();
  await editor.getByRole('button', { name: 'Delete' }).click();
  await editor.getByRole('button', { name: /Confirm: move to trash/ }).click();
  await expect(editor).toHaveCount(0);
  await expect(page.getByTestId('characters-empty')).toBeVisible();
  await expect(page.getByTestId('chat')).toHaveCount(0);
  expect((await readdir(path.join(dataDir, 'trash', id!))).length).toBe(1);

  // Restore: the character and its chat (greeting, message and reply) come back.
  await page.getByTestId('trash').locator('summary').click();
  await expect(page.getByTestId('deleted-character')).toContainText('Sera');
  await expect(page.getByTestId('deleted-character')).toContainText('1 chat');
  await page.getByTestId('deleted-character').getByRole('button', { name: 'Restore' }).click();
  await expect(page.getByTestId('trash')).toHaveCount(0);
  await page.getByTestId('character').filter({ hasText: 'Sera' }).click();
  await expect(page.getByTestId('chat')).toHaveCount(1);
  await expect(page.getByTestId('message')).toHaveCount(3);
  await expect(page.locator('[data-testid=message][data-role=user]')).toHaveText(/Where am I\?/);
});

test('import by the file picker; 100 characters and 1,000 chats: the list, the filter box and switching stay quick', async ({ page }) => {
  const host = await startHost(path.join(await tempRoot(), 'data'));
  hosts.push(host);
  await page.goto(host.url);
  // 100 characters, imported as JSON cards through the same channel the UI uses.
  await page.evaluate(async () => {
    for (let i = 0; i < 100; i++) {
      const card = { spec: 'chara_card_v2', spec_version: '2.0', data: { name: `Extra ${String(i).padStart(3, '0')}`, tags: i % 10 === 0 ? ['tenth'] : [] } };
      const r = await window.cardshark!.importCharacter({ bytesBase64: btoa(JSON.stringify(card)) });
      if (!r.ok) throw new Error(r.error.message);
    }
  });
  // 1,000 chats: ten per character (8 calls in flight, the host's per-connection bound).
  await page.evaluate(async () => {
    const api = window.cardshark!;
    const list = await api.listCharacters({});
    if (!list.ok) throw new Error(list.error.message);
    const jobs = list.data.flatMap((c) => Array.from({ length: 10 }, (_, i) => () => api.createChat({ characterId: c.id, title: `${c.name} chat ${i}` })));
    for (let i = 0; i < jobs.length; i += 8) {
      for (const r of await Promise.all(jobs.slice(i, i + 8).map((j) => j()))) if (!r.ok) throw new Error(r.error.message);
    }
  });
  await page.reload();
  await expect(page.getByTestId('character')).toHaveCount(100);
  for (const name of ['Extra 007', 'Extra 093', 'Extra 050']) {
    const t0 = Date.now();
    await page.getByTestId('character').filter({ hasText: name }).click();
    await expect(page.getByTestId('chat')).toHaveCount(10);
    await expect(page.getByTestId('chat').first()).toContainText(name);
    expect(Date.now() - t0, `switching to ${name}`).toBeLessThan(3_000);
  }
  await page.getByTestId('import-input').setInputFiles({ name: 'ada.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(v1Json())) });
  await expect(page.getByTestId('character').filter({ hasText: 'Ada' })).toHaveAttribute('aria-current', 'true');
  await expect(page.getByTestId('character')).toHaveCount(101);
  await page.getByLabel('Filter characters').fill('ada');
  await expect(page.getByTestId('character')).toHaveText(['Ada']);
  await page.getByLabel('Filter characters').fill('tenth');
  await expect(page.getByTestId('character')).toHaveCount(10);
  await page.getByLabel('Filter characters').fill('nobody at all');
  await expect(page.getByText('No character matches')).toBeVisible();
});

test('a re-imported card asks before replacing', async ({ page }) => {
  test.setTimeout(120_000); // many steps, each a few seconds on a loaded 2-core machine
  const dataDir = path.join(await tempRoot(), 'data');
  const host = await startHost(dataDir);
  hosts.push(host);
  await page.goto(host.url);
  await page.getByTestId('import-input').setInputFiles({ name: 'Seraphina.png', mimeType: 'image/png', buffer: v3Png() });
  const sera = page.getByTestId('character').filter({ hasText: 'Seraphina' });
  await expect(sera).toHaveAttribute('aria-current', 'true');
  const id = (await sera.getAttribute('data-character-id'))!;
  const rowOf = (characterId: string) => page.locator('li.character-row').filter({ has: page.locator(`[data-character-id="${characterId}"]`) });
  const editor = page.getByRole('dialog', { name: 'Edit character' });
  const personalityOnDisk = async (characterId: string) => JSON.parse(await readFile(path.join(dataDir, 'app', 'characters', characterId, 'card.json'), 'utf8')).card.personality;

  // Export the card as a PNG (a real download), then edit Personality.
  await rowOf(id).getByRole('button', { name: 'Edit' }).click();
  const download = page.waitForEvent('download');
  await editor.getByRole('button', { name: 'Export PNG' }).click();
  const exported = await readFile((await (await download).path())!);
  await editor.getByLabel('Personality').fill('Edited after the export.');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('notice').filter({ hasText: 'Saved Seraphina' })).toHaveCount(1);
  await editor.getByRole('button', { name: 'Close' }).click();

  // Re-import the exported file: a dialog asks, naming what differs; nothing changed yet.
  const reimport = () => page.getByTestId('import-input').setInputFiles({ name: 'Seraphina.png', mimeType: 'image/png', buffer: exported });
  const ask = page.getByRole('dialog', { name: 'This character is already here' });
  await reimport();
  await expect(ask).toContainText('personality');
  expect(await personalityOnDisk(id)).toBe('Edited after the export.');

  // Import as new: a second Seraphina; the edited one is intact.
  await ask.getByRole('button', { name: 'Import as a new character' }).click();
  await expect(ask).toHaveCount(0);
  await expect(page.getByTestId('character').filter({ hasText: 'Seraphina' })).toHaveCount(2);
  await expect(page.getByTestId('notice').filter({ hasText: 'as a new character' })).toHaveCount(1);
  const copyId = (await page.getByTestId('character').filter({ hasText: 'Seraphina' }).evaluateAll((els, keep) => els.map((e) => e.getAttribute('data-character-id')).filter((x) => x !== keep), id))[0]!;
  expect(await personalityOnDisk(copyId)).toBe('warm, protective');
  await rowOf(id).getByRole('button', { name: 'Edit' }).click();
  await expect(editor.getByLabel('Personality')).toHaveValue('Edited after the export.');
  await expect(editor.getByTestId('previous-cards')).toHaveCount(0);
  await editor.getByRole('button', { name: 'Close' }).click();

  // Again, and Replace: the exported card replaces it.
  await reimport();
  await ask.getByRole('button', { name: 'Replace the existing character' }).click();
  await expect(ask).toHaveCount(0);
  await expect(page.getByTestId('notice').filter({ hasText: 'Replaced the card of Seraphina' })).toHaveCount(1);
  expect(await personalityOnDisk(id)).toBe('warm, protective');
  await expect(page.getByTestId('character').filter({ hasText: 'Seraphina' })).toHaveCount(2);

  // The same file once more (dropped this time): the same card, so nothing to ask and nothing changes.
  await dropFile(page, 'Seraphina.png', 'image/png', exported);
  await expect(page.getByTestId('notice').filter({ hasText: 'Seraphina is already imported' })).toHaveCount(1);
  await expect(ask).toHaveCount(0);
  await expect(page.getByTestId('character').filter({ hasText: 'Seraphina' })).toHaveCount(2);

  // The previous card (with the edit) is restorable from the editor.
  await rowOf(id).getByRole('button', { name: 'Edit' }).click();
  await expect(editor.getByLabel('Personality')).toHaveValue('warm, protective');
  await editor.getByTestId('previous-cards').locator('summary').click();
  await expect(editor.getByTestId('previous-card')).toHaveCount(1);
  await editor.getByTestId('previous-card').getByRole('button', { name: 'Restore' }).click();
  await expect(editor.getByLabel('Personality')).toHaveValue('Edited after the export.');
  expect(await personalityOnDisk(id)).toBe('Edited after the export.');
  await expect(editor.getByTestId('previous-card')).toHaveCount(2); // the exported card, set aside in turn, and the edited one
  await editor.getByRole('button', { name: 'Close' }).click();
  await expect(sera.first().getByTestId('avatar')).toHaveAttribute('src', /^data:image\/png;base64,/);

  // Several files dropped at once cannot ask: the differing card comes in as a new character.
  await dropFiles(page, 'character-panel', [
    { name: 'Seraphina.png', mime: 'image/png', bytes: exported },
    { name: 'ada.json', mime: 'application/json', bytes: Buffer.from(JSON.stringify(v1Json())) },
  ]);
  await expect(page.getByTestId('character').filter({ hasText: 'Ada' })).toHaveCount(1);
  await expect(page.getByTestId('character').filter({ hasText: 'Seraphina' })).toHaveCount(3);
  await expect(ask).toHaveCount(0);
  expect(await personalityOnDisk(id)).toBe('Edited after the export.');
});

test('a card whose picture is a decompression bomb imports without it, and the UI says so', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  const host = await startHost(dataDir);
  hosts.push(host);
  await page.goto(host.url);
  await expect(page.getByTestId('characters-empty')).toBeVisible();
  // A 1×1 interlaced picture whose ~300 KB of image data inflates to 300 MiB (issue 15).
  const bomb = pngOf([chunk('IHDR', ihdrData(1, 1, { interlace: 1 })), chunk('IDAT', zerosZlib(300 * 1024 * 1024)), textChunk('chara', b64(v2Json()))]);
  await dropFile(page, 'bomb.png', 'image/png', bomb);
  await expect(page.getByTestId('notice').filter({ hasText: 'bomb.png: The picture could not be read' })).toContainText('imported without it');
  const sera = page.getByTestId('character').filter({ hasText: 'Seraphina' });
  await expect(sera).toHaveCount(1);
  await expect(sera.locator('img[src^="data:image/png"]')).toHaveCount(0);
});
