// Renderer races and the save indicator:
//  - a double Enter stores the message once;
//  - a failed write keeps "Error" + Retry until that same write succeeds (an unrelated
//    success does not hide it); a reply too long to store keeps what fits, marked as an error;
//  - two scroll events in one frame request an older page once and never add it twice.
import { expect, test, type Page } from '@playwright/test';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { openChatStore } from '../../electron/store/index.ts';
import { buildBigChat } from './fixtures.ts';
import { startHost, tempRoot, type RunningHost } from './host.ts';

let host: RunningHost | undefined;
const cleanups: (() => Promise<void>)[] = [];
test.afterEach(async () => {
  await host?.stop();
  host = undefined;
  for (const c of cleanups.splice(0)) await c();
});

async function setup(page: Page, url: string): Promise<string> {
  await page.goto(url);
  await page.getByLabel('New character name').fill('Ada');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByRole('button', { name: 'New chat' }).click();
  await expect(page.getByTestId('chat')).toHaveCount(1);
  await expect(page.locator('[data-testid=chat][data-active=true]')).toHaveCount(1);
  await expect(page.getByTestId('save-state')).toHaveText('Saved');
  return (await page.getByTestId('chat').getAttribute('data-chat-id'))!;
}

const saveState = (page: Page) => page.getByTestId('save-state');

test('a double Enter stores the message once', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  host = await startHost(dataDir, { CARDSHARK_DEMO_PACE_MS: '2000' });
  const chatId = await setup(page, host.url);

  const box = page.getByLabel('Message');
  await box.fill('hello once');
  // Two Enters in one task: both key handlers run before React re-renders or main answers.
  await box.evaluate((el) => {
    for (let i = 0; i < 2; i++) el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
  });
  // The reply is streaming and no write is pending any more ("Saving reply…" = only the reply is still being written).
  await expect(page.getByTestId('streaming')).toBeVisible();
  await expect(saveState(page)).toHaveText('Saving reply…');
  await expect(page.locator('[data-testid=message][data-role=user]')).toHaveCount(1);
  await expect(box).toHaveValue('');

  expect(await host.stop()).toBe(0);
  host = undefined;
  const store = await openChatStore({ dataDir });
  try {
    const users = (await store.loadChat(chatId)).messages.filter((m) => m.role === 'user');
    expect(users.map((m) => m.content)).toEqual(['hello once']);
  } finally {
    await store.close();
  }
});

test('Send is disabled while a message is being sent', async ({ page }) => {
  host = await startHost(path.join(await tempRoot(), 'data'), { CARDSHARK_DEMO_PACE_MS: '2000' });
  await setup(page, host.url);
  // Hold main's answer to appendMessage back, so the send stays pending while we look.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.routeWebSocket(/\/ws/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage(async (m) => {
      if (typeof m === 'string' && JSON.parse(m).channel === 'appendMessage') await held;
      server.send(m);
    });
  });
  await page.reload();
  await expect(page.getByTestId('save-state')).toHaveText('Saved');
  await page.getByLabel('Message').fill('slow one');
  const sendButton = page.getByRole('button', { name: 'Send' });
  await sendButton.click();
  await expect(saveState(page)).toHaveText('Saving…');
  await expect(sendButton).toBeDisabled();
  release();
  await expect(page.getByTestId('streaming')).toBeVisible();
  await expect(page.locator('[data-testid=message][data-role=user]')).toHaveCount(1);
});

test('a failed edit stays an error with Retry until that edit succeeds', async ({ page }) => {
  host = await startHost(path.join(await tempRoot(), 'data'), { CARDSHARK_DEMO_PACE_MS: '0' });
  await setup(page, host.url);
  await page.getByLabel('Message').fill('original');
  await page.getByLabel('Message').press('Enter');
  await expect(page.locator('[data-testid=message][data-role=assistant]')).toHaveCount(1);
  await expect(saveState(page)).toHaveText('Saved');

  const mine = page.locator('[data-testid=message][data-role=user]');
  await mine.getByRole('button', { name: 'Edit' }).click();
  await mine.getByLabel('Edit message').fill('y'.repeat(1_000_001)); // over LIMITS.contentChars: main refuses it
  await mine.getByRole('button', { name: 'Save edit' }).click();
  await expect(saveState(page)).toHaveAttribute('data-state', 'error');
  await expect(saveState(page).getByRole('button', { name: 'Retry' })).toBeVisible();

  // An unrelated write succeeds: a new chat is created and opened (createChat + setActiveChat).
  await page.getByRole('button', { name: 'New chat' }).click();
  await expect(page.getByTestId('chat')).toHaveCount(2);
  const newest = page.getByTestId('chat').first();
  await expect(newest).toHaveAttribute('data-active', 'true');
  // Those writes finished (createChat resolved before the list grew); the edit is still not stored.
  await expect(saveState(page)).toHaveAttribute('data-state', 'error');
  await expect(saveState(page).getByRole('button', { name: 'Retry' })).toBeVisible();

  // Retrying the same (still too large) edit fails again: still an error.
  await saveState(page).getByRole('button', { name: 'Retry' }).click();
  await expect(saveState(page)).toHaveAttribute('data-state', 'error');

  // Editing that message again, successfully, clears its failure.
  const firstChat = page.getByTestId('chat').nth(1);
  await firstChat.getByRole('button').first().click();
  await expect(firstChat).toHaveAttribute('data-active', 'true');
  await mine.getByRole('button', { name: 'Edit' }).click();
  await mine.getByLabel('Edit message').fill('fixed');
  await mine.getByRole('button', { name: 'Save edit' }).click();
  await expect(mine.getByTestId('message-content')).toHaveText('fixed');
  await expect(saveState(page)).toHaveText('Saved');
});

test('a reply too long to store keeps what fits, marked as an error', async ({ page }) => {
  // A fake OpenAI-compatible endpoint whose reply is over LIMITS.contentChars: the stream
  // works, but the store refuses to save the reply.
  const chunk = 'z'.repeat(50_000);
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 21; i++) res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: chunk } }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;

  host = await startHost(path.join(await tempRoot(), 'data'));
  await setup(page, host.url);
  await page.locator('summary', { hasText: 'Generation settings' }).click();
  await page.getByLabel('Provider').selectOption('openai');
  await page.getByLabel('Base URL').fill(`http://127.0.0.1:${port}/v1`);
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByTestId('notice').filter({ hasText: 'Settings saved' })).toHaveCount(1);

  await page.getByLabel('Message').fill('say a lot');
  await page.getByLabel('Message').press('Enter');
  // The renderer's own notice for a stream:end with an error.
  await expect(page.getByTestId('notice').filter({ hasText: 'Generation error' })).toHaveCount(1);
  await expect(page.getByTestId('streaming')).toHaveCount(0);
  // Checkpointed streams (issue 7): what fits was stored as it streamed; it is kept, marked as
  // an error, with Continue and Regenerate. Nothing that could be stored is thrown away.
  const reply = page.locator('[data-testid=message][data-role=assistant]');
  await expect(reply).toHaveCount(1);
  await expect(reply).toContainText('(error)');
  await expect(reply.getByRole('button', { name: 'Continue' })).toBeVisible();
  await expect(reply.getByRole('button', { name: 'Regenerate' })).toBeVisible();
  const stored = (await reply.getByTestId('message-content').textContent()) ?? '';
  expect(stored.length).toBeGreaterThanOrEqual(50_000);
  expect(stored.length).toBeLessThanOrEqual(1_000_000);
  expect(/^z+$/.test(stored)).toBe(true);
});

test('after a reconnect the open chat is reloaded, so a missed stream:end leaves no typing row', async ({ page }) => {
  host = await startHost(path.join(await tempRoot(), 'data'), { CARDSHARK_DEMO_PACE_MS: '30' });
  // Proxy the page's socket; on the first connection swallow stream:end, as if it were lost.
  const conns: { close: () => Promise<void> }[] = [];
  let swallowed = 0;
  await page.routeWebSocket(/\/ws/, (ws) => {
    const first = conns.length === 0;
    conns.push(ws);
    const server = ws.connectToServer();
    server.onMessage((m) => {
      if (first && typeof m === 'string' && JSON.parse(m).event === 'stream:end') swallowed++;
      else ws.send(m);
    });
  });
  await setup(page, host.url);
  await page.getByLabel('Message').fill('are you there?');
  await page.getByLabel('Message').press('Enter');
  await expect.poll(() => swallowed, { timeout: 15_000 }).toBe(1);
  await expect(page.getByTestId('streaming')).toBeVisible(); // stuck: its end never arrived

  await conns[0]!.close(); // the connection drops; the page reconnects by itself
  await expect(page.getByTestId('streaming')).toHaveCount(0);
  await expect(page.locator('[data-testid=message][data-role=assistant]')).toHaveCount(1);
  await expect(page.getByTestId('notice').filter({ hasText: 'Reconnected' })).toHaveCount(1);
  await expect(page.getByTestId('notice').filter({ hasText: 'Disconnected' })).toHaveCount(1);
  expect(conns).toHaveLength(2);
});

test('two scroll events in one frame load an older page once', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  // Two pages exactly: after the one older page there is nothing more to load, so the
  // rows stay put while we walk them.
  const { chatId } = await buildBigChat(dataDir, 200);
  host = await startHost(dataDir);
  const cursors: string[] = [];
  page.on('websocket', (ws) =>
    ws.on('framesent', (f) => {
      const m = JSON.parse(String(f.payload));
      if (m.channel === 'loadChat' && m.payload.options?.before) cursors.push(m.payload.options.before);
    }),
  );
  await page.goto(host.url);
  await page.locator(`[data-testid=chat][data-chat-id="${chatId}"]`).getByRole('button').first().click();
  await expect(page.locator('[data-testid=message][data-id="m199"]')).toBeVisible();

  const list = page.getByTestId('message-list');
  // Two scroll events before React re-renders (a wheel and a scrollbar drag in one frame).
  await list.evaluate((el) => {
    el.scrollTop = 0;
    el.dispatchEvent(new Event('scroll'));
    el.dispatchEvent(new Event('scroll'));
  });
  // The older page arrived and it was the last one (the loading row is gone with hasMore).
  await expect(list.locator('.vlist-loading')).toHaveCount(0);
  expect(cursors).toEqual(['m100']);

  // Walk the list top to bottom: each message id sits at one place only (a page added
  // twice puts its ids ~100 rows apart), and the ids form one unbroken run.
  const height = await list.evaluate((el) => el.scrollHeight);
  const seen = new Map<string, number>();
  for (let y = 0; y < height; y += 300) {
    await list.evaluate((el, y) => {
      el.scrollTop = y;
      el.dispatchEvent(new Event('scroll'));
    }, y);
    const rows = await page
      .locator('.vrow')
      .evaluateAll((els) => els.map((e) => [(e.querySelector('[data-testid=message]') as HTMLElement | null)?.dataset.id ?? '', parseFloat((e as HTMLElement).style.top)] as const));
    for (const [id, top] of rows) {
      if (!id) continue;
      const prev = seen.get(id);
      expect(prev === undefined || Math.abs(prev - top) < 3000, `${id} at ${prev} and at ${top}`).toBe(true);
      if (prev === undefined) seen.set(id, top);
    }
  }
  const nums = [...seen.keys()].map((id) => Number(id.slice(1)));
  expect(nums.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
});
