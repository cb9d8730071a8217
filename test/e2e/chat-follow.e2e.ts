// Issue 18 §3: new messages never land off-screen unannounced. At the bottom the view follows a
// streaming reply; scrolled up, a "new messages ↓" button appears, and takes the reader down.
import { expect, test, type Page } from '@playwright/test';
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

/** A data dir with one active chat long enough to scroll. */
async function seed(count: number): Promise<string> {
  const dataDir = path.join(await tempRoot(), 'data');
  const character = await openCharacterRegistry(dataDir).create('Mira');
  const store = await openChatStore({ dataDir });
  const { chatId } = await store.createChat({ characterId: character.id, title: 'Long' });
  await store.appendMessages(chatId, Array.from({ length: count }, (_, i) => ({ id: `s${i}`, role: i % 2 ? ('assistant' as const) : ('user' as const), content: `Seeded message ${i}.` })));
  await store.close();
  const state = openAppState(dataDir);
  await state.setActiveCharacter(character.id);
  await state.setActiveChat(character.id, chatId);
  return dataDir;
}

/** How far the list's bottom edge is from the bottom of its content, in px (0: at the bottom). */
const gapBelow = (page: Page) => page.getByTestId('message-list').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);

test.setTimeout(180_000);

test('at the bottom the view follows a streaming reply; scrolled up, "new messages ↓" appears and takes you down', async ({ page }, info) => {
  await page.setViewportSize({ width: 760, height: 520 }); // narrow: the reply wraps onto more lines as it grows
  host = await startHost(await seed(60), { CARDSHARK_DEMO_PACE_MS: '300' });
  await page.goto(host.url);
  await expect(page.locator('[data-testid=message][data-id="s59"]')).toBeVisible();

  // 1. At the bottom: send, and the streaming reply stays in view while it grows.
  await page.getByLabel('Message').fill('Tell me a long story about the storm, please.');
  await page.getByRole('button', { name: 'Send' }).click();
  const streaming = page.getByTestId('streaming');
  await expect(streaming).toBeVisible();
  const heights: number[] = [];
  // Sampled while the reply grows (60 samples, ≥ 12 s, or until it ends): on two busy cores the
  // words may come slower than their pace, and a sample waits up to 1 s for the view to follow.
  for (let i = 0; i < 60 && (await streaming.count()) > 0; i++) {
    const box = await streaming.boundingBox().catch(() => null);
    if (box) heights.push(box.height);
    // Following is done on the next frame after the reply grows: a sample may fall in between.
    await expect.poll(() => gapBelow(page), { timeout: 1_000 }).toBeLessThan(6);
    if (i === 3) await page.screenshot({ path: info.outputPath('follow-streaming.png') });
    await page.waitForTimeout(200);
  }
  expect(Math.max(...heights)).toBeGreaterThan(Math.min(...heights)); // it grew while we watched
  await expect(streaming).toHaveCount(0, { timeout: 90_000 });
  expect(await gapBelow(page)).toBeLessThan(6);
  await expect(page.getByTestId('new-below')).toHaveCount(0);

  // 2. Scrolled up: the next send and its reply are below the view, and the button says so.
  await page.getByTestId('message-list').evaluate((el) => {
    el.scrollTop = 0;
    el.dispatchEvent(new Event('scroll'));
  });
  await page.getByLabel('Message').fill('And then?');
  await page.getByRole('button', { name: 'Send' }).click();
  const button = page.getByTestId('new-below');
  await expect(button).toBeVisible();
  await expect(button).toHaveText('new messages ↓');
  expect(await gapBelow(page)).toBeGreaterThan(200); // the view stayed where the reader was
  await page.screenshot({ path: info.outputPath('new-messages-button.png') });
  await button.click();
  await expect(button).toHaveCount(0);
  expect(await gapBelow(page)).toBeLessThan(6);
  await expect(page.getByTestId('message').filter({ hasText: 'And then?' })).toBeVisible();
  await page.screenshot({ path: info.outputPath('after-button.png') });
});
