// Issue 7: streamed replies are checkpointed and the UI never loses track of a stream.
//  - SIGTERM the host mid-stream, restart: every chunk shown before the signal is there.
//  - SIGKILL mid-stream, restart: the reply shows as interrupted, with Continue and Regenerate.
//  - Reload mid-stream: the live reply and Stop come back.
//  - A draft survives a reload and stays in its chat.
import { expect, test, type Page } from '@playwright/test';
import path from 'node:path';
import { demoReply } from '../../electron/generation/demo.ts';
import { startHost, tempRoot, type RunningHost } from './host.ts';

let host: RunningHost | undefined;
test.afterEach(async () => {
  await host?.stop();
  host = undefined;
});

const PROMPT = 'Tell me about the lighthouse.';
const FULL = demoReply({ messages: [{ role: 'user', content: PROMPT }], variant: 0 });

async function setup(page: Page, url: string): Promise<string> {
  await page.goto(url);
  await page.getByLabel('New character name').fill('Ada');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByRole('button', { name: 'New chat' }).click();
  await expect(page.locator('[data-testid=chat][data-active=true]')).toHaveCount(1);
  return (await page.getByTestId('chat').getAttribute('data-chat-id'))!;
}

async function startStream(page: Page, minChars: number): Promise<void> {
  await page.getByLabel('Message').fill(PROMPT);
  await page.getByRole('button', { name: 'Send' }).click();
  const live = page.getByTestId('streaming').locator('.msg-content');
  await expect.poll(async () => ((await live.textContent()) ?? '').length, { timeout: 15_000 }).toBeGreaterThan(minChars);
}

const assistant = (page: Page) => page.locator('[data-testid=message][data-role=assistant]');

test('SIGTERM mid-stream, restart: every chunk shown before the signal is stored', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  host = await startHost(dataDir, { CARDSHARK_DEMO_PACE_MS: '80' });
  await setup(page, host.url);
  await startStream(page, 30);
  const shown = (await page.getByTestId('streaming').locator('.msg-content').textContent()) ?? '';
  expect(await host.stop()).toBe(0);
  host = await startHost(dataDir, { CARDSHARK_DEMO_PACE_MS: '80' });
  await page.goto(host.url);
  await expect(assistant(page)).toHaveCount(1);
  const stored = (await assistant(page).getByTestId('message-content').textContent()) ?? '';
  expect(stored.startsWith(shown)).toBe(true);
  expect(FULL.startsWith(stored)).toBe(true);
  await expect(assistant(page)).toContainText('(interrupted)');
});

test('SIGKILL mid-stream, restart: the reply is interrupted, and can be continued or regenerated', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  host = await startHost(dataDir, { CARDSHARK_DEMO_PACE_MS: '80' });
  await setup(page, host.url);
  await startStream(page, 40);
  await page.waitForTimeout(1200); // at least one checkpoint interval after the first text
  host.proc.kill('SIGKILL');
  await new Promise((r) => host!.proc.once('exit', r));
  host = await startHost(dataDir, { CARDSHARK_DEMO_PACE_MS: '5' });
  await page.goto(host.url);
  const reply = assistant(page);
  await expect(reply).toHaveCount(1);
  await expect(reply).toContainText('(interrupted)');
  const partial = (await reply.getByTestId('message-content').textContent()) ?? '';
  expect(partial.length).toBeGreaterThan(0);
  expect(FULL.startsWith(partial)).toBe(true);
  await expect(reply.getByRole('button', { name: 'Regenerate' })).toBeVisible();
  await reply.getByRole('button', { name: 'Continue' }).click();
  await expect(reply.getByTestId('message-content')).toHaveText(FULL, { timeout: 15_000 });
  await expect(reply).not.toContainText('(interrupted)');
  await expect(page.getByRole('button', { name: 'Continue' })).toHaveCount(0);
});

test('reload mid-stream: the live reply and Stop come back; Stop then stores it once', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  host = await startHost(dataDir, { CARDSHARK_DEMO_PACE_MS: '150' });
  await setup(page, host.url);
  await startStream(page, 10);
  await page.reload();
  const live = page.getByTestId('streaming');
  await expect(live).toBeVisible();
  await expect(page.getByRole('button', { name: 'Stop' })).toBeVisible();
  const before = ((await live.locator('.msg-content').textContent()) ?? '').length;
  await expect.poll(async () => ((await live.locator('.msg-content').textContent()) ?? '').length).toBeGreaterThan(before);
  expect(FULL.startsWith((await live.locator('.msg-content').textContent()) ?? '')).toBe(true);
  // The stored copy is not shown twice while it streams.
  await expect(assistant(page)).toHaveCount(0);
  // A send to this chat cannot slip in while it streams: the composer offers Stop, not Send.
  await expect(page.getByRole('button', { name: 'Send' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(live).toHaveCount(0);
  await expect(assistant(page)).toHaveCount(1);
  await expect(assistant(page)).toContainText('(interrupted)');
});

test('a draft survives a reload and stays in its chat', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  host = await startHost(dataDir);
  const first = await setup(page, host.url);
  await page.getByLabel('Message').fill('a draft for the first chat');
  await page.getByRole('button', { name: 'New chat' }).click();
  await expect(page.getByTestId('chat')).toHaveCount(2);
  await expect(page.locator('[data-testid=chat][data-active=true]')).not.toHaveAttribute('data-chat-id', first);
  await expect(page.getByLabel('Message')).toHaveValue('');
  await page.getByLabel('Message').fill('second chat words');
  await page.reload();
  await expect(page.getByLabel('Message')).toHaveValue('second chat words');
  await page.locator(`[data-testid=chat][data-chat-id="${first}"]`).getByRole('button').first().click();
  await expect(page.locator(`[data-testid=chat][data-chat-id="${first}"]`)).toHaveAttribute('data-active', 'true');
  await expect(page.getByLabel('Message')).toHaveValue('a draft for the first chat');
  // Sending it stores it in its own chat and empties only that chat's draft.
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.locator('[data-testid=message][data-role=user]')).toHaveText(/a draft for the first chat/);
  await expect(page.getByLabel('Message')).toHaveValue('');
  expect(await host.stop()).toBe(0);
  host = await startHost(dataDir);
  await page.goto(host.url);
  await expect(page.locator(`[data-testid=chat][data-chat-id="${first}"]`)).toHaveAttribute('data-active', 'true');
  await expect(page.getByLabel('Message')).toHaveValue('');
  const second = page.locator(`[data-testid=chat]:not([data-chat-id="${first}"])`);
  await second.getByRole('button').first().click();
  await expect(page.getByLabel('Message')).toHaveValue('second chat words');
});
