// Issue 16 §3 in the browser: the sidebar's library search finds a word in another character's
// chat, far back in it, and opens that chat at the message.
import { expect, test } from '@playwright/test';
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

test("library search: a word in another character's chat opens that chat at the message", async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  const registry = openCharacterRegistry(dataDir);
  const mira = await registry.create('Mira');
  const orin = await registry.create('Orin');
  const store = await openChatStore({ dataDir });
  const open = await store.createChat({ characterId: mira.id, title: 'Tea' });
  await store.appendMessages(open.chatId, [{ id: 't1', role: 'user', content: 'Some tea?' }]);
  const far = await store.createChat({ characterId: orin.id, title: 'Harbour log' });
  // 400 messages: the match is far above the newest page, so opening at it needs the jump.
  await store.appendMessages(far.chatId, Array.from({ length: 200 }, (_, i) => ({ id: `h${i}`, role: i % 2 ? ('assistant' as const) : ('user' as const), content: i === 12 ? 'The crate smelled of quicksilver and tar.' : `Log entry ${i}: calm seas.` })));
  await store.appendMessages(far.chatId, Array.from({ length: 200 }, (_, i) => ({ id: `k${i}`, role: 'assistant' as const, content: `Later entry ${i}.` })));
  await store.close();
  const state = openAppState(dataDir);
  await state.setActiveCharacter(mira.id);
  await state.setActiveChat(mira.id, open.chatId);

  host = await startHost(dataDir);
  await page.goto(host.url);
  await expect(page.locator('[data-testid=message][data-id="t1"]')).toBeVisible();

  const box = page.getByRole('searchbox', { name: 'Search all chats' });
  await box.fill('QUICKSILV*');
  await box.press('Enter');
  const hit = page.locator(`[data-testid=library-chat][data-chat-id="${far.chatId}"] [data-testid=library-hit][data-message-id="h12"]`);
  // The index is built in the background after the host starts: search again until it is there.
  await expect(async () => {
    await box.press('Enter');
    await expect(hit).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(hit.locator('mark')).toHaveText('quicksilver');
  await expect(page.getByTestId('library-chat')).toHaveCount(1);
  await expect(page.locator(`[data-testid=library-chat][data-chat-id="${far.chatId}"] .chat-meta`)).toContainText('Orin');

  await hit.click();
  await expect(page.locator(`[data-testid=chat][data-chat-id="${far.chatId}"]`)).toHaveAttribute('data-active', 'true');
  const target = page.locator('[data-testid=message][data-id="h12"]');
  await expect(target).toBeVisible();
  await expect(target).toContainText('quicksilver');
  await expect(page.locator('[data-testid=message][data-id="t1"]')).toHaveCount(0);
});
