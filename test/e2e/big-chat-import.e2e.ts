// A 60 MB SillyTavern chat imported from the UI (issue 16): picked with the file input, sent in
// chunks, imported by main with a progress bar for the file, then listed and opened. A second big
// file, cancelled, leaves no chat.
import { expect, test } from '@playwright/test';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { startHost, tempRoot, type RunningHost } from './host.ts';
import { addCharacter } from './ui.ts';

let hosts: RunningHost[] = [];
test.afterEach(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  hosts = [];
});

/** Writes a SillyTavern chat of `n` messages (~600 bytes each) to a file, streamed. */
async function writeStChat(file: string, n: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(`${JSON.stringify({ user_name: 'You', character_name: 'Keeper', create_date: '2024-01-01@10h00m00s', chat_metadata: {} })}\n`);
  for (let i = 0; i < n; i++) {
    const ok = out.write(`${JSON.stringify({ name: i % 2 ? 'Keeper' : 'You', is_user: i % 2 === 0, send_date: 1_700_000_000_000 + i, mes: `line ${i}: ${'the lantern swings in the dark hall; '.repeat(15)}` })}\n`);
    if (!ok) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

test('a 60 MB chat imports from the UI with a progress bar, and a cancelled one leaves nothing', async ({ page }) => {
  test.setTimeout(240_000);
  const dir = await tempRoot();
  const big = path.join(dir, 'keeper-big.jsonl');
  await writeStChat(big, 100_000); // ~60 MB
  const host = await startHost(path.join(dir, 'data'));
  hosts.push(host);
  await page.goto(host.url);
  await addCharacter(page, 'Keeper');

  await page.getByTestId('chat-import-input').setInputFiles(big);
  await expect(page.getByTestId('import-file-progress')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('import-file-status')).toContainText(/sending|reading|writing/);
  await expect(page.getByTestId('notice').filter({ hasText: 'keeper-big.jsonl: 1 chat(s) imported, 100000 messages' })).toHaveCount(1, { timeout: 180_000 });
  await expect(page.getByTestId('import-progress')).toHaveCount(0);
  await expect(page.getByTestId('chat')).toHaveCount(1);
  await expect(page.getByTestId('message').last()).toContainText('line 99999', { timeout: 30_000 });

  // The same file again under another name, cancelled while it is sent: no second chat.
  const again = path.join(dir, 'keeper-again.jsonl');
  await writeStChat(again, 100_001);
  await page.getByTestId('chat-import-input').setInputFiles(again);
  await expect(page.getByTestId('import-file-progress')).toBeVisible({ timeout: 60_000 });
  await page.getByTestId('import-cancel').click();
  await expect(page.getByTestId('notice').filter({ hasText: 'Import of keeper-again.jsonl cancelled' })).toHaveCount(1, { timeout: 60_000 });
  await expect(page.getByTestId('import-progress')).toHaveCount(0);
  await expect(page.getByTestId('chat')).toHaveCount(1);
});
