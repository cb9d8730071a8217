// Issue 18 in the browser: deleting a character is clean (no error notice, no Error/Retry badge);
// a cancelled edit box stays closed (after Undo of a delete, after switching character and back);
// Hide/Unhide persists; the user's messages show the persona's name; the chat list says a chat's
// status in words.
import { expect, test, type Page } from '@playwright/test';
import path from 'node:path';
import { addCharacter, newChat } from './ui.ts';
import { startHost, tempRoot, type RunningHost } from './host.ts';

let host: RunningHost | undefined;
test.afterEach(async () => {
  await host?.stop();
  host = undefined;
});

async function send(page: Page, text: string) {
  await page.getByLabel('Message').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByTestId('message').filter({ hasText: text })).toHaveCount(1);
  await expect(page.getByTestId('streaming')).toHaveCount(0, { timeout: 20_000 });
  await expect(page.getByTestId('save-state')).toHaveText('Saved');
}

test('deleting a character shows no error notice and leaves no Error/Retry badge', async ({ page }, info) => {
  host = await startHost(path.join(await tempRoot(), 'data'));
  await page.goto(host.url);
  await addCharacter(page, 'Keeper');
  await addCharacter(page, 'Doomed');
  await newChat(page);
  await send(page, 'first');
  await newChat(page);
  await send(page, 'second');
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
