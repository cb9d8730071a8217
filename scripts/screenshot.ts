// Takes the README's screenshot (docs/screenshot.png): the real renderer in Debian's Chromium through
// the browser host, a card imported by drag-and-drop, its greeting and a short exchange with the
// offline demo generator. Run: npm run build:renderer && node scripts/screenshot.ts
import path from 'node:path';
import { chromium } from 'playwright';
import { CHROMIUM_ARGS } from '../playwright.config.ts';
import { startHost, tempRoot, ROOT } from '../test/e2e/host.ts';
import { dropFiles } from '../test/e2e/drop.ts';
import { v3Png } from '../test/fixtures/cards.ts';

const host = await startHost(path.join(await tempRoot(), 'data'));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(host.url);
  await dropFiles(page, 'character-panel', [{ name: 'Seraphina.png', mime: 'image/png', bytes: v3Png() }]);
  await page.getByTestId('character').filter({ hasText: 'Seraphina' }).waitFor();
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.locator('[data-testid=message][data-role=assistant]').first().waitFor();
  await page.getByLabel('Message').fill('*looks around the glade* Where am I? "Hello?"');
  await page.getByLabel('Message').press('Enter');
  // The demo reply streams in, then is stored: two assistant messages, no Stop button.
  await page.locator('[data-testid=message][data-role=assistant]').nth(1).waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Stop' }).waitFor({ state: 'detached', timeout: 30_000 });
  await page.getByRole('button', { name: '×' }).click().catch(() => {}); // the import notice
  await page.screenshot({ path: path.join(ROOT, 'docs', 'screenshot.png') });
} finally {
  await browser.close();
  await host.stop();
}
