// Takes the README's second screenshot (docs/screenshot-prompt.png): a card with a lorebook, a chat
// that mentions its entry, a branch of that chat in the list, and the prompt viewer showing the next
// request part by part with the lorebook entry and the author's note. The real renderer in Debian's
// Chromium through the browser host, replies by the offline demo generator.
// Run: npm run build:renderer && node scripts/screenshot-prompt.ts
import path from 'node:path';
import { chromium } from 'playwright';
import { openCharacterRegistry } from '../electron/app-data/characters.ts';
import { CHROMIUM_ARGS } from '../playwright.config.ts';
import { startHost, tempRoot, ROOT } from '../test/e2e/host.ts';
import { plainV2Card } from '../test/fixtures/cards.ts';

const card = plainV2Card({
  description: '{{char}} is the guardian of an enchanted forest.',
  personality: 'caring',
  first_mes: '*Seraphina kneels beside you.* Rest now, {{user}}. You are safe in the glade.',
  character_book: {
    name: 'Seraphina lore',
    scan_depth: 2,
    extensions: {},
    entries: [{ id: 0, keys: ['Eldoria'], content: 'Eldoria is the ancient forest realm Seraphina protects; its heart is the Glade.', extensions: {}, enabled: true, insertion_order: 100, name: 'Eldoria' }],
  },
});

const dataDir = path.join(await tempRoot(), 'data');
await openCharacterRegistry(dataDir).importCard(Buffer.from(JSON.stringify(card)));
const host = await startHost(dataDir);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(host.url);
  await page.getByTestId('character').filter({ hasText: 'Seraphina' }).click();
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.locator('[data-testid=message][data-role=assistant]').first().waitFor();
  const send = async (text: string, replies: number) => {
    await page.getByLabel('Message').fill(text);
    await page.getByLabel('Message').press('Enter');
    await page.locator('[data-testid=message][data-role=assistant]').nth(replies).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Stop' }).waitFor({ state: 'detached', timeout: 30_000 });
  };
  await send('*sits up slowly* Where am I?', 1);
  await send('Tell me about Eldoria.', 2);
  // A branch from the first reply: it shows in the list as "branch of"; then back to the original chat.
  const parentId = await page.locator('[data-testid=chat][data-active=true]').getAttribute('data-chat-id');
  await page.getByTestId('message').nth(2).getByRole('button', { name: 'Branch' }).click();
  await page.locator('[data-testid=chat][data-active=true]').getByTestId('chat-branch-of').waitFor();
  await page.locator(`[data-testid=chat][data-chat-id="${parentId}"]`).getByRole('button').first().click();
  await page.getByText('Tell me about Eldoria.').waitFor();
  await page.getByRole('button', { name: 'Prompt' }).click();
  const panel = page.getByRole('dialog', { name: 'Prompt' });
  await panel.getByLabel("Author's note", { exact: true }).fill('[Style: gentle, descriptive. It is dusk in the Glade.]');
  await panel.getByLabel("Author's note depth").fill('2');
  await panel.getByRole('button', { name: 'Save note' }).click();
  await panel.getByTestId('prompt-total').filter({ hasText: 'lorebook Eldoria' }).waitFor();
  await panel.locator('details[data-kind=lorebook] summary').first().click();
  await page.screenshot({ path: path.join(ROOT, 'docs', 'screenshot-prompt.png') });
} finally {
  await browser.close();
  await host.stop();
}
