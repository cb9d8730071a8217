// Two windows (pages) on one chat (issue 8 §3): every change is pushed to both, and an edit made
// from a stale view is refused by revision, with a notice, a reload, and the user's text kept.
import { expect, test, type Page } from '@playwright/test';
import path from 'node:path';
import { openChatStore } from '../../electron/store/index.ts';
import { startHost, tempRoot, type RunningHost } from './host.ts';

let host: RunningHost | undefined;
test.afterEach(async () => {
  await host?.stop();
  host = undefined;
});

const userMessages = (page: Page) => page.locator('[data-testid=message][data-role=user]');

test('a message sent in one window appears in the other; a stale edit gets a conflict notice and loses nothing', async ({ page: a, context }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  host = await startHost(dataDir, { CARDSHARK_DEMO_PACE_MS: '5' });
  await a.goto(host.url);
  await a.getByLabel('New character name').fill('Ada');
  await a.getByRole('button', { name: 'Add', exact: true }).click();
  await a.getByRole('button', { name: 'New chat' }).click();
  await expect(a.locator('[data-testid=chat][data-active=true]')).toHaveCount(1);
  const chatId = (await a.getByTestId('chat').getAttribute('data-chat-id'))!;

  // The second window opens on the same chat (the active chat is kept in main).
  const b = await context.newPage();
  await b.goto(host.url);
  await expect(b.locator(`[data-testid=chat][data-active=true][data-chat-id="${chatId}"]`)).toHaveCount(1);

  // Sent in A: appears in B without any action there, and so does the reply.
  await a.getByLabel('Message', { exact: true }).fill('hello from A');
  await a.getByLabel('Message', { exact: true }).press('Enter');
  await expect(userMessages(b).getByTestId('message-content')).toHaveText('hello from A');
  await expect(a.locator('[data-testid=message][data-role=assistant]')).toHaveCount(1);
  await expect(b.locator('[data-testid=message][data-role=assistant]')).toHaveCount(1);
  await expect(a.getByTestId('streaming')).toHaveCount(0);
  await expect(b.getByTestId('streaming')).toHaveCount(0);

  // B has unsent text in its composer: it must survive whatever happens below.
  await b.getByLabel('Message', { exact: true }).fill('half-typed in B');

  // Both open the same message for editing, from the same view.
  await a.locator('[data-testid=message][data-role=user]').getByRole('button', { name: 'Edit' }).click();
  await b.locator('[data-testid=message][data-role=user]').getByRole('button', { name: 'Edit' }).click();
  await a.getByLabel('Edit message').fill('edited in A');
  await a.getByRole('button', { name: 'Save edit' }).click();
  await expect(a.getByLabel('Edit message')).toHaveCount(0);
  // B's edit box keeps B's text while A's edit is pushed to it.
  await b.getByLabel('Edit message').fill('edited in B');

  // B saves from its stale view: refused, notice, nothing lost.
  await b.getByRole('button', { name: 'Save edit' }).click();
  await expect(b.getByTestId('notice').filter({ hasText: 'changed elsewhere' })).toBeVisible();
  await expect(b.getByLabel('Edit message')).toHaveValue('edited in B');
  await expect(b.getByLabel('Message', { exact: true })).toHaveValue('half-typed in B');
  {
    const store = await readChat(dataDir, chatId);
    expect(store.find((m) => m.role === 'user')?.content).toBe('edited in A'); // B's stale edit was not written
  }

  // After the reload B saves again, knowingly: it lands, and A gets it pushed.
  await b.getByRole('button', { name: 'Save edit' }).click();
  await expect(b.getByLabel('Edit message')).toHaveCount(0);
  await expect(userMessages(b).getByTestId('message-content')).toHaveText('edited in B');
  await expect(userMessages(a).getByTestId('message-content')).toHaveText('edited in B');
  await expect(b.getByLabel('Message', { exact: true })).toHaveValue('half-typed in B');

  expect(await host.stop()).toBe(0);
  host = undefined;
  expect((await readChat(dataDir, chatId)).find((m) => m.role === 'user')?.content).toBe('edited in B');
});

/** What is on disk, read by the store itself. Only while the host is stopped (the data dir is locked), or via a copy. */
async function readChat(dataDir: string, chatId: string) {
  if (host) {
    // The host holds the lock: read the file directly (a full read, independent of the app).
    const { readFullState } = await import('../../electron/store/index.ts');
    const { readFile, readdir } = await import('node:fs/promises');
    for (const ch of await readdir(path.join(dataDir, 'chats'))) {
      const file = path.join(dataDir, 'chats', ch, `${chatId}.jsonl`);
      const buf = await readFile(file).catch(() => null);
      if (!buf) continue;
      const state = readFullState(buf);
      if ('error' in state) throw new Error(state.error);
      return state.messages;
    }
    throw new Error('chat file not found');
  }
  const store = await openChatStore({ dataDir });
  try {
    return (await store.loadChat(chatId)).messages;
  } finally {
    await store.close();
  }
}
