// Issue 8: a chat changed on disk by another program shows the new text without a reload;
// deleting the open chat (in the app or on disk) opens the next most recent one.
import { expect, test } from '@playwright/test';
import { readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startHost, tempRoot, type RunningHost } from './host.ts';
import { addCharacter, newChat } from './ui.ts';

let hosts: RunningHost[] = [];
test.afterEach(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  hosts = [];
});



async function chatFile(dataDir: string, chatId: string): Promise<string> {
  const chars = await readdir(path.join(dataDir, 'chats'));
  for (const c of chars) {
    const f = path.join(dataDir, 'chats', c, `${chatId}.jsonl`);
    if ((await readdir(path.join(dataDir, 'chats', c))).includes(`${chatId}.jsonl`)) return f;
  }
  throw new Error(`no file for chat ${chatId}`);
}

test('a chat edited on disk while the page shows it: the new text appears', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  const host = await startHost(dataDir, { CARDSHARK_DEMO_PACE_MS: '0' });
  hosts.push(host);
  await page.goto(host.url);
  await addCharacter(page, 'Edda');
  const chatId = await newChat(page);
  await page.getByLabel('Message').fill('The original words');
  await page.getByLabel('Message').press('Enter');
  const user = page.locator('[data-testid=message][data-role=user]');
  await expect(user.filter({ hasText: 'The original words' })).toHaveCount(1);
  await expect(page.getByTestId('message')).toHaveCount(2); // the demo reply, complete
  await expect(page.getByTestId('save-state')).toHaveText('Saved');

  // An editor saves the file: temp file + rename, the user's words changed.
  const file = await chatFile(dataDir, chatId);
  const text = await readFile(file, 'utf8');
  expect(text).toContain('"The original words"');
  await writeFile(`${file}.editor-tmp`, text.replace('"The original words"', '"Words changed in an editor"'));
  await rename(`${file}.editor-tmp`, file);
  await expect(user.filter({ hasText: 'Words changed in an editor' })).toHaveCount(1);
  await expect(user.filter({ hasText: 'The original words' })).toHaveCount(0);

  // Another program appends a message: it appears too.
  await writeFile(file, `${JSON.stringify({ id: 'ext-e2e', role: 'user', content: 'Appended by a script', timestamp: Date.now() })}\n`, { flag: 'a' });
  await expect(page.getByTestId('message').filter({ hasText: 'Appended by a script' })).toHaveCount(1);
});

test('deleting the open chat selects the next most recent one, in the app and on disk', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  const host = await startHost(dataDir);
  hosts.push(host);
  await page.goto(host.url);
  await addCharacter(page, 'Finn');
  const oldest = await newChat(page);
  const middle = await newChat(page);
  const newest = await newChat(page);
  const item = (id: string) => page.locator(`[data-testid=chat][data-chat-id="${id}"]`);
  await expect(item(newest)).toHaveAttribute('data-active', 'true');

  await item(newest).getByRole('button', { name: 'Delete' }).click();
  await item(newest).getByRole('button', { name: 'Confirm delete' }).click();
  await expect(item(newest)).toHaveCount(0);
  await expect(item(middle)).toHaveAttribute('data-active', 'true');

  // Deleted by another program while open: it leaves the list, the next most recent opens.
  await unlink(await chatFile(dataDir, middle));
  await expect(item(middle)).toHaveCount(0);
  await expect(item(oldest)).toHaveAttribute('data-active', 'true');

  // And that choice is the stored active chat: it survives a reload.
  await page.reload();
  await expect(item(oldest)).toHaveAttribute('data-active', 'true');
});
