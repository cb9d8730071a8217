// Issue 18, "Branch from here" in the browser: a message's Branch button makes a new chat holding
// the history up to it, opens it, and the chat list shows its link to the parent; the parent keeps
// every message; after a restart of the app the branch still holds its prefix and its link.
// Copy puts a message's text on the clipboard; Impersonate writes the user's next message into the
// composer and sends nothing.
import { expect, test, type Page } from '@playwright/test';
import path from 'node:path';
import { addCharacter, newChat, sendAndWait } from './ui.ts';
import { startHost, tempRoot, type RunningHost } from './host.ts';

let host: RunningHost | undefined;
test.afterEach(async () => {
  await host?.stop();
  host = undefined;
});

const contents = (page: Page) => page.getByTestId('message-content').allInnerTexts();

test('Branch from here: a new linked chat with the history up to the message; the parent unchanged; both after a restart', async ({ page, context }, info) => {
  const dataDir = path.join(await tempRoot(), 'data');
  host = await startHost(dataDir);
  await page.goto(host.url);
  await addCharacter(page, 'Brancher');
  const parentId = await newChat(page);
  await sendAndWait(page, 'first question');
  await sendAndWait(page, 'second question');
  const parentTexts = await contents(page);
  expect(parentTexts.length).toBeGreaterThanOrEqual(4);

  // Copy: the message's text on the clipboard (the browser host is a secure context on 127.0.0.1).
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: host.origin });
  const firstQuestion = page.locator('[data-testid=message][data-role=user]').filter({ hasText: 'first question' });
  await firstQuestion.getByRole('button', { name: 'Copy' }).click();
  await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('first question');

  // Branch at the reply to the first question: the branch holds everything up to it.
  const cut = parentTexts.indexOf('first question') + 1;
  const at = page.getByTestId('message').nth(cut);
  await at.getByRole('button', { name: 'Branch' }).click();
  const branchRow = page.locator('[data-testid=chat][data-active=true]');
  await expect(branchRow).not.toHaveAttribute('data-chat-id', parentId);
  await expect(branchRow.getByTestId('chat-branch-of')).toContainText('branch of');
  await expect(branchRow).toContainText('(branch)');
  await expect(page.getByTestId('message')).toHaveCount(cut + 1);
  expect(await contents(page)).toEqual(parentTexts.slice(0, cut + 1));
  await expect(page.getByTestId('save-state')).toHaveText('Saved');
  await page.screenshot({ path: info.outputPath('branch-open.png') });
  const branchId = (await branchRow.getAttribute('data-chat-id'))!;

  // The branch goes its own way; the parent keeps all its messages.
  await sendAndWait(page, 'a different path');
  await page.locator(`[data-testid=chat][data-chat-id="${parentId}"]`).getByRole('button').first().click();
  await expect(page.getByTestId('message')).toHaveCount(parentTexts.length);
  expect(await contents(page)).toEqual(parentTexts);

  // After a restart of the app: the branch still holds its prefix and its link.
  await host.stop();
  host = await startHost(dataDir);
  await page.goto(host.url);
  const row = page.locator(`[data-testid=chat][data-chat-id="${branchId}"]`);
  await expect(row.getByTestId('chat-branch-of')).toContainText('branch of');
  await row.getByRole('button').first().click();
  // Its prefix, then what was sent in it (and the reply to that).
  await expect(page.locator('[data-testid=message][data-role=user]').filter({ hasText: 'a different path' })).toHaveCount(1);
  expect((await contents(page)).slice(0, cut + 2)).toEqual([...parentTexts.slice(0, cut + 1), 'a different path']);
  await page.screenshot({ path: info.outputPath('branch-after-restart.png') });
});

test('Impersonate: the next message of the user appears in the composer, after what was typed; nothing is sent or stored', async ({ page }) => {
  host = await startHost(path.join(await tempRoot(), 'data'));
  await page.goto(host.url);
  await addCharacter(page, 'Mimic');
  await newChat(page);
  await sendAndWait(page, 'hello');
  const count = await page.getByTestId('message').count();
  await page.getByLabel('Message').fill('I think');
  await page.getByRole('button', { name: 'Impersonate' }).click();
  await expect.poll(() => page.getByLabel('Message').inputValue(), { timeout: 20_000 }).toMatch(/^I think\n[^]{10,}/);
  await expect(page.getByRole('button', { name: 'Stop impersonating' })).toHaveCount(0, { timeout: 20_000 });
  await expect(page.getByRole('button', { name: 'Impersonate' })).toBeEnabled();
  await expect(page.getByTestId('message')).toHaveCount(count);
  // Sent only when the user sends it.
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.locator('[data-testid=message][data-role=user]')).toHaveCount(2);
});
