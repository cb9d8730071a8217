// Issue 9 in the UI: restore a backup (behind a confirmation), undelete a chat, and a damaged
// chat that says what happened, where the quarantined bytes are, disables sending, and repairs.
import { expect, test } from '@playwright/test';
import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openChatStore } from '../../electron/store/index.ts';
import { openCharacterRegistry } from '../../electron/app-data/characters.ts';
import { openAppState } from '../../electron/app-data/app-state.ts';
import { startHost, tempRoot, type RunningHost } from './host.ts';

let host: RunningHost | undefined;
test.afterEach(async () => {
  await host?.stop();
  host = undefined;
});

async function seed(dataDir: string) {
  const character = await openCharacterRegistry(dataDir).create('Ada');
  const store = await openChatStore({ dataDir });
  const chat = await store.createChat({ characterId: character.id, title: 'Lighthouse' });
  await store.appendMessage(chat.chatId, { id: 'old1', role: 'user', content: 'Before the backup' });
  await store.compactChat(chat.chatId); // a backup holding [old1]
  await store.appendMessage(chat.chatId, { id: 'new1', role: 'user', content: 'After the backup' });
  const other = await store.createChat({ characterId: character.id, title: 'Deleted one' });
  await store.appendMessage(other.chatId, { id: 'd1', role: 'user', content: 'I was deleted' });
  await store.deleteChat(other.chatId);
  const damaged = await store.createChat({ characterId: character.id, title: 'Damaged' });
  await store.appendMessage(damaged.chatId, { id: 'g1', role: 'user', content: 'Good line one' });
  await store.close();
  const state = openAppState(dataDir);
  await state.setActiveCharacter(character.id);
  await state.setActiveChat(character.id, chat.chatId);
  return { characterId: character.id, chatId: chat.chatId, deletedId: other.chatId, damagedId: damaged.chatId };
}

test('restore a backup from the UI, behind a confirmation; undo is a backup too', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  const s = await seed(dataDir);
  host = await startHost(dataDir);
  await page.goto(host.url);
  await expect(page.getByTestId('message-content')).toHaveText(['Before the backup', 'After the backup']);
  await page.getByRole('button', { name: 'Backups' }).click();
  await expect(page.getByTestId('backup')).toHaveCount(1);
  await expect(page.getByTestId('backup')).toContainText('1 message(s)');
  await page.getByTestId('backup').getByRole('button', { name: 'Restore' }).click();
  await page.getByRole('button', { name: 'Confirm restore' }).click();
  await expect(page.getByTestId('message-content')).toHaveText(['Before the backup']);
  // The state before the restore was backed up first.
  await page.getByRole('button', { name: 'Backups' }).click();
  await expect(page.getByTestId('backup')).toHaveCount(2);
  expect((await readdir(path.join(dataDir, 'backups', s.chatId))).length).toBe(2);
});

test('undelete a chat from "Recently deleted"', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  const s = await seed(dataDir);
  host = await startHost(dataDir);
  await page.goto(host.url);
  await expect(page.getByTestId('chat')).toHaveCount(2);
  await page.getByText('Recently deleted').click();
  await expect(page.getByTestId('deleted-chat')).toHaveCount(1);
  await expect(page.getByTestId('deleted-chat')).toContainText('Deleted one');
  await page.getByTestId('deleted-chat').getByRole('button', { name: 'Undelete' }).click();
  await expect(page.getByTestId('chat')).toHaveCount(3);
  await expect(page.locator(`[data-chat-id="${s.deletedId}"]`)).toBeVisible();
  await expect(page.getByTestId('message-content')).toHaveText(['I was deleted']);
  await expect(page.getByTestId('deleted-chat')).toHaveCount(0);
});

test('two trashed copies of one chat: each row of "Recently deleted" restores its own copy', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  const s = await seed(dataDir);
  // The deleted chat's file comes back (a sync tool), one message longer, and is deleted again.
  const store = await openChatStore({ dataDir });
  const trash = path.join(dataDir, 'trash', s.characterId);
  const [trashed] = await readdir(trash);
  const back = path.join(dataDir, 'chats', s.characterId, `${s.deletedId}.jsonl`);
  await writeFile(back, `${await readFile(path.join(trash, trashed!), 'utf8')}{"id":"d2","role":"user","content":"Deleted again","timestamp":2}\n`);
  await store.refreshChat(s.deletedId, s.characterId);
  await new Promise((r) => setTimeout(r, 5));
  await store.deleteChat(s.deletedId);
  await store.close();
  host = await startHost(dataDir);
  await page.goto(host.url);
  await expect(page.getByTestId('chat')).toHaveCount(2);
  await page.getByText('Recently deleted').click();
  const rows = page.getByTestId('deleted-chat');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('2 message(s)');
  await expect(rows.nth(1)).toContainText('1 message(s)');
  // The older row: the older copy comes back, under its id.
  await rows.nth(1).getByRole('button', { name: 'Undelete' }).click();
  await expect(page.getByTestId('chat')).toHaveCount(3);
  await expect(page.locator(`[data-chat-id="${s.deletedId}"]`)).toBeVisible();
  await expect(page.getByTestId('message-content')).toHaveText(['I was deleted']);
  await expect(rows).toHaveCount(1);
  // The other row while that id is live: restored beside it as a separate chat.
  await rows.nth(0).getByRole('button', { name: 'Undelete' }).click();
  await expect(page.getByTestId('chat')).toHaveCount(4);
  await expect(page.getByTestId('message-content')).toHaveText(['I was deleted', 'Deleted again']);
  await expect(page.getByText('was restored beside it as a separate chat')).toBeVisible();
  await expect(rows).toHaveCount(0);
});

test('a damaged chat shows the notice with sending disabled, and Repair fixes it', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  const s = await seed(dataDir);
  const file = path.join(dataDir, 'chats', s.characterId, `${s.damagedId}.jsonl`);
  await appendFile(file, '{"id":"g2","role":"user","content":broken}\n{"id":"g3","role":"user","content":"Good line three","timestamp":5}\n');
  const state = openAppState(dataDir);
  await state.setActiveChat(s.characterId, s.damagedId);
  host = await startHost(dataDir);
  await page.goto(host.url);
  const notice = page.getByTestId('chat-health');
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('damaged');
  await expect(notice).toContainText('Line 3');
  await expect(page.getByTestId('chat-health-quarantine')).toContainText(`quarantine/${s.damagedId}/`);
  await expect(page.getByTestId('message-content')).toHaveText(['Good line one', 'Good line three']);
  await expect(page.getByLabel('Message')).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Send' })).toBeDisabled();
  await notice.getByRole('button', { name: 'Repair' }).click();
  await expect(notice).toHaveCount(0);
  await expect(page.getByLabel('Message')).toBeEnabled();
  await expect(page.getByTestId('message-content')).toHaveText(['Good line one', 'Good line three']);
});

test('an unreadable header: never shown as empty, sending disabled, restore offered', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  const s = await seed(dataDir);
  await writeFile(path.join(dataDir, 'chats', s.characterId, `${s.damagedId}.jsonl`), '\u0000\u0000garbage header\n{"id":"g1","role":"user","content":"Survivor","timestamp":5}\n');
  await openAppState(dataDir).setActiveChat(s.characterId, s.damagedId);
  host = await startHost(dataDir);
  await page.goto(host.url);
  const notice = page.getByTestId('chat-health');
  await expect(notice).toContainText('cannot be read');
  await expect(page.getByLabel('Message')).toBeDisabled();
  await expect(notice.getByRole('button', { name: 'Restore…' })).toBeVisible();
  await notice.getByRole('button', { name: 'Repair' }).click();
  await expect(notice).toHaveCount(0);
  await expect(page.getByTestId('message-content')).toHaveText(['Survivor']);
});

test('a chat damaged by another program while it is open: the notice names the damage, Repair and the backups are there at once, and actions that would fail are not offered', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  const s = await seed(dataDir);
  const store = await openChatStore({ dataDir });
  await store.appendMessage(s.chatId, { id: 'new2', role: 'assistant', content: 'The last reply' });
  await store.close();
  host = await startHost(dataDir);
  await page.goto(host.url);
  await expect(page.getByTestId('message-content')).toHaveText(['Before the backup', 'After the backup', 'The last reply']);
  await expect(page.getByTestId('message').first().getByRole('button', { name: 'Edit' })).toBeVisible();
  await expect(page.getByLabel('Message')).toBeEnabled();

  // Another program inserts a garbage line after the first message and cuts the last line short.
  const file = path.join(dataDir, 'chats', s.characterId, `${s.chatId}.jsonl`);
  const lines = (await readFile(file, 'utf8')).split('\n');
  expect(lines.at(-1)).toBe('');
  const last = lines.at(-2)!;
  const damaged = [lines[0], lines[1], 'garbage from another program', ...lines.slice(2, -2), last.slice(0, Math.floor(last.length / 2))].join('\n');
  await writeFile(file, damaged);

  const notice = page.getByTestId('chat-health');
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('Line 3');
  await expect(notice).toContainText('incomplete');
  await expect(notice).toContainText('another program');
  await expect(notice).not.toContainText('newer version');
  // Repair is offered at once, no restart.
  await expect(notice.getByRole('button', { name: 'Repair' })).toBeVisible();
  // What is readable stays shown; nothing that would be refused is offered.
  await expect(page.getByTestId('message-content')).toHaveText(['Before the backup', 'After the backup']);
  await expect(page.getByLabel('Message')).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Send' })).toBeDisabled();
  for (const name of ['Edit', 'Delete', 'Regenerate', 'Continue', 'Generate reply']) await expect(page.getByTestId('message').getByRole('button', { name, exact: true })).toHaveCount(0);
  // Restore lists the backup that exists (taken by the compaction in seed).
  await notice.getByRole('button', { name: 'Restore…' }).click();
  await expect(page.getByTestId('backup')).toHaveCount(1);
  await expect(page.getByTestId('backup')).toContainText('1 message(s)');
  await page.getByTestId('backups-panel').getByRole('button', { name: 'Close' }).click();

  await notice.getByRole('button', { name: 'Repair' }).click();
  await expect(notice).toHaveCount(0);
  await expect(page.getByTestId('message-content')).toHaveText(['Before the backup', 'After the backup']);
  await expect(page.getByLabel('Message')).toBeEnabled();
  await expect(page.getByTestId('message').first().getByRole('button', { name: 'Edit' })).toBeVisible();
  const repaired = await readFile(file, 'utf8');
  expect(repaired).not.toContain('garbage from another program');
  expect(repaired.endsWith('\n')).toBe(true);
});
