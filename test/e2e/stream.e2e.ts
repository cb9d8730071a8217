// Scenario 3: a streamed reply is shown while it streams and stored once, with its
// final text. Plus: stopping a stream stores the partial reply once, as interrupted.
import { expect, test } from '@playwright/test';
import path from 'node:path';
import { openChatStore } from '../../electron/store/index.ts';
import { demoReply } from '../../electron/generation/demo.ts';
import { startHost, tempRoot, type RunningHost } from './host.ts';

let host: RunningHost | undefined;
test.afterEach(async () => {
  await host?.stop();
  host = undefined;
});

test('3: a streamed reply is stored once with its final text; stop keeps the partial once', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  host = await startHost(dataDir, { CARDSHARK_DEMO_PACE_MS: '40' });
  await page.goto(host.url);
  await page.getByLabel('New character name').fill('Dora');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByRole('button', { name: 'New chat' }).click();
  await expect(page.getByTestId('chat')).toHaveCount(1);
  const chatId = (await page.getByTestId('chat').getAttribute('data-chat-id'))!;

  const prompt = 'Tell me about the storm.';
  const expected = demoReply({ messages: [{ role: 'user', content: prompt }], variant: 0 });
  await page.getByLabel('Message').fill(prompt);
  await page.getByRole('button', { name: 'Send' }).click();

  // While streaming: partial text is visible and the indicator says the reply is being saved (not a scary "Unsaved").
  const streaming = page.getByTestId('streaming');
  await expect(streaming).toBeVisible();
  await expect(page.getByTestId('save-state')).toHaveText('Saving reply…');
  const partial = await streaming.locator('.msg-content').textContent();
  expect(expected.startsWith(partial ?? '')).toBe(true);
  await expect(streaming).toHaveCount(0, { timeout: 15_000 });
  const replies = page.locator('[data-testid=message][data-role=assistant]');
  await expect(replies).toHaveCount(1);
  await expect(replies.getByTestId('message-content')).toHaveText(expected);
  await expect(page.getByTestId('save-state')).toHaveText('Saved');

  // A second reply, stopped part-way.
  await page.getByLabel('Message').fill('And then?');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByTestId('streaming')).toBeVisible();
  await expect(page.getByTestId('streaming').locator('.msg-content')).not.toBeEmpty();
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByTestId('streaming')).toHaveCount(0);
  await expect(replies).toHaveCount(2);
  await expect(replies.nth(1)).toContainText('(interrupted)');

  expect(await host.stop()).toBe(0);
  host = undefined;
  const store = await openChatStore({ dataDir });
  try {
    const page1 = await store.loadChat(chatId);
    const assistant = page1.messages.filter((m) => m.role === 'assistant');
    expect(page1.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(assistant[0]!.content).toBe(expected);
    expect(assistant[0]!.status).toBe('complete');
    const full2 = demoReply({ messages: [{ role: 'user', content: prompt }, { role: 'assistant', content: expected }, { role: 'user', content: 'And then?' }], variant: 0 });
    expect(assistant[1]!.status).toBe('interrupted');
    expect(assistant[1]!.content.length).toBeGreaterThan(0);
    expect(assistant[1]!.content.length).toBeLessThan(full2.length);
    expect(full2.startsWith(assistant[1]!.content)).toBe(true);
  } finally {
    await store.close();
  }
});
