// Scenarios 1 and 2: a message survives a reload; chats and the active selection
// survive a host restart.
import { expect, test } from '@playwright/test';
import path from 'node:path';
import { startHost, tempRoot, type RunningHost } from './host.ts';
import { addCharacter, newChat } from './ui.ts';

let hosts: RunningHost[] = [];
test.afterEach(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  hosts = [];
});



test('1: a sent message is there after a reload', async ({ page }) => {
  const host = await startHost(path.join(await tempRoot(), 'data'), { CARDSHARK_DEMO_PACE_MS: '2000' });
  hosts.push(host);
  await page.goto(host.url);
  await addCharacter(page, 'Ada');
  await newChat(page);
  await page.getByLabel('Message').fill('Remember the lighthouse?');
  await page.getByLabel('Message').press('Enter');
  const mine = page.getByTestId('message').filter({ hasText: 'Remember the lighthouse?' });
  await expect(mine).toHaveCount(1);
  await expect(page.getByLabel('Message')).toHaveValue('');

  await page.reload();
  await expect(page.getByTestId('character').filter({ hasText: 'Ada' })).toHaveAttribute('aria-current', 'true');
  await expect(page.getByTestId('message').filter({ hasText: 'Remember the lighthouse?' })).toHaveCount(1);
});

test('2: chats and the active selection survive a host restart', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  const first = await startHost(dataDir);
  hosts.push(first);
  await page.goto(first.url);
  await addCharacter(page, 'Bram');
  await addCharacter(page, 'Cleo');
  await newChat(page);
  await newChat(page);
  await newChat(page);
  const chats = page.getByTestId('chat');
  // Make the middle chat active, rename it so we can recognise it.
  const middle = chats.nth(1);
  const middleId = await middle.getAttribute('data-chat-id');
  await middle.getByRole('button').first().click();
  await expect(page.locator(`[data-testid=chat][data-chat-id="${middleId}"]`)).toHaveAttribute('data-active', 'true');
  await page.locator(`[data-testid=chat][data-chat-id="${middleId}"]`).getByRole('button', { name: 'Rename' }).click();
  await page.getByLabel('Chat title').fill('The middle one');
  await page.getByLabel('Chat title').press('Enter');
  await expect(page.getByTestId('save-state')).toHaveText('Saved');
  await expect(page.getByTestId('chat').filter({ hasText: 'The middle one' })).toHaveCount(1);

  expect(await first.stop()).toBe(0);
  hosts = [];

  const second = await startHost(dataDir);
  hosts.push(second);
  await page.goto(second.url);
  await expect(page.getByTestId('character')).toHaveText(['Bram', 'Cleo']);
  await expect(page.getByTestId('character').filter({ hasText: 'Cleo' })).toHaveAttribute('aria-current', 'true');
  await expect(page.getByTestId('chat')).toHaveCount(3);
  const active = page.locator('[data-testid=chat][data-active=true]');
  await expect(active).toHaveCount(1);
  await expect(active).toHaveAttribute('data-chat-id', middleId!);
  await expect(active).toContainText('The middle one');
  await expect(page.getByTestId('chat-title')).toHaveText('Cleo — The middle one');
});
