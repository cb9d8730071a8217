// Issue 18 in the browser: deleting a character is clean (no error notice, no Error/Retry badge);
// a cancelled edit box stays closed (after Undo of a delete, after switching character and back);
// Hide/Unhide persists; the user's messages show the persona's name; the chat list says a chat's
// status in words.
import { expect, test, type Page } from '@playwright/test';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { openChatStore } from '../../electron/store/index.ts';
import { openCharacterRegistry } from '../../electron/app-data/characters.ts';
import { openAppState } from '../../electron/app-data/app-state.ts';
import { openAppSettings } from '../../electron/app-settings/settings.ts';
import { openConfBackend } from '../../electron/app-settings/conf-backend.ts';
import { addCharacter, newChat, sendAndWait } from './ui.ts';
import { startHost, tempRoot, type RunningHost } from './host.ts';

let host: RunningHost | undefined;
test.afterEach(async () => {
  await host?.stop();
  host = undefined;
});

test('deleting a character shows no error notice and leaves no Error/Retry badge', async ({ page }, info) => {
  host = await startHost(path.join(await tempRoot(), 'data'));
  await page.goto(host.url);
  await addCharacter(page, 'Keeper');
  await addCharacter(page, 'Doomed');
  await newChat(page);
  await sendAndWait(page, 'first');
  await newChat(page);
  await sendAndWait(page, 'second');
  await page.getByLabel('Message').fill('a draft left behind');

  await page.getByRole('button', { name: 'Edit Doomed' }).click();
  const editor = page.getByRole('dialog', { name: 'Edit character' });
  await editor.getByRole('button', { name: 'Delete', exact: true }).click();
  await editor.getByRole('button', { name: /Confirm: move to trash/ }).click();
  await expect(page.getByTestId('character').filter({ hasText: 'Doomed' })).toHaveCount(0);
  // Give late answers (drafts, the open chat's reads) time to arrive and fail, as they did.
  await page.waitForTimeout(2500);
  await page.screenshot({ path: info.outputPath('after-delete.png') });
  await expect(page.getByTestId('notice').filter({ hasText: /NOT_FOUND|failed|Error/i })).toHaveCount(0);
  await expect(page.getByTestId('save-state')).not.toHaveText(/Error/);
  await expect(page.getByRole('button', { name: 'Retry' })).toHaveCount(0);
});

/** Two characters; Mira's chat is active, with the persona "Ann" and a chat of a newer format beside it. */
async function seed(): Promise<{ dataDir: string; chatId: string }> {
  const dataDir = path.join(await tempRoot(), 'data');
  const registry = openCharacterRegistry(dataDir);
  const mira = await registry.create('Mira');
  await registry.create('Other');
  const store = await openChatStore({ dataDir });
  const { chatId } = await store.createChat({ characterId: mira.id, title: 'Talk' });
  await store.appendMessages(chatId, [
    { id: 'u1', role: 'user', content: 'my first words' },
    { id: 'a1', role: 'assistant', content: 'a reply' },
    { id: 'u2', role: 'user', content: 'my last words' },
  ]);
  await store.close();
  const future = randomUUID();
  await writeFile(path.join(dataDir, 'chats', mira.id, `${future}.jsonl`), `${JSON.stringify({ format: 'cardshark-chat', version: 99, chat_id: future, character_id: mira.id, timestamp: 1, title: 'From the future', metadata: {} })}\n`);
  openAppSettings(dataDir, openConfBackend).update({ personaName: 'Ann' });
  const state = openAppState(dataDir);
  await state.setActiveCharacter(mira.id);
  await state.setActiveChat(mira.id, chatId);
  return { dataDir, chatId };
}

const msg = (page: Page, id: string) => page.locator(`[data-testid=message][data-id="${id}"]`);

test('a cancelled edit box stays closed after Undo of a delete and after switching character and back', async ({ page }) => {
  host = await startHost((await seed()).dataDir);
  await page.goto(host.url);
  await expect(msg(page, 'u2')).toBeVisible();
  // ↑ in the empty composer opens my last message's edit box; Esc cancels it.
  await page.getByLabel('Message').click();
  await page.keyboard.press('ArrowUp');
  await expect(msg(page, 'u2').getByLabel('Edit message')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(msg(page, 'u2').getByLabel('Edit message')).toHaveCount(0);

  await msg(page, 'u2').getByRole('button', { name: 'Delete' }).click();
  await expect(msg(page, 'u2')).toHaveCount(0);
  await page.getByTestId('undo-delete').getByRole('button', { name: 'Undo' }).click();
  await expect(msg(page, 'u2')).toBeVisible();
  await page.waitForTimeout(300);
  await expect(msg(page, 'u2').getByLabel('Edit message')).toHaveCount(0);

  await page.getByTestId('character').filter({ hasText: 'Other' }).click();
  await expect(msg(page, 'u2')).toHaveCount(0);
  await page.getByTestId('character').filter({ hasText: 'Mira' }).click();
  await expect(msg(page, 'u2')).toBeVisible();
  await page.waitForTimeout(300);
  await expect(msg(page, 'u2').getByLabel('Edit message')).toHaveCount(0);
});

test('Hide / Unhide persists; the user\'s messages show the persona; the chat list says "read-only" in words', async ({ page }, info) => {
  const { dataDir, chatId } = await seed();
  host = await startHost(dataDir);
  await page.goto(host.url);
  await expect(msg(page, 'u1').locator('.msg-name')).toHaveText('Ann');
  await expect(page.getByTestId('chat').filter({ hasText: 'From the future' }).getByTestId('chat-status')).toHaveText(' · read-only: newer version');
  await expect(page.getByTestId('chat').filter({ hasText: 'read_only' })).toHaveCount(0);

  await msg(page, 'a1').getByRole('button', { name: 'Hide' }).click();
  await expect(msg(page, 'a1')).toHaveAttribute('data-hidden', 'true');
  await expect(msg(page, 'a1')).toContainText('hidden');
  await expect(page.getByTestId('save-state')).toHaveText('Saved');
  await page.screenshot({ path: info.outputPath('hidden-message.png') });
  await page.reload();
  await expect(msg(page, 'a1')).toHaveAttribute('data-hidden', 'true');
  await msg(page, 'a1').getByRole('button', { name: 'Unhide' }).click();
  await expect(msg(page, 'a1')).toHaveAttribute('data-hidden', 'false');
  await expect(page.getByTestId('save-state')).toHaveText('Saved');

  expect(await host.stop()).toBe(0);
  host = undefined;
  const store = await openChatStore({ dataDir });
  try {
    const a1 = (await store.loadChat(chatId)).messages.find((m) => m.id === 'a1')!;
    expect(a1.hidden).toBe(false);
  } finally {
    await store.close();
  }
});
