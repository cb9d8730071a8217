// Import of SillyTavern chats in the real renderer: drag-and-drop of several files onto the chat
// files panel (a progress bar across them), the chats listed and opened with their swipes, a
// damaged file imported as far as it reads, a second drop of the same file importing nothing,
// and the open chat exported back as a SillyTavern file.
import { expect, test } from '@playwright/test';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { startHost, tempRoot, type RunningHost } from './host.ts';
import { dropFiles } from './drop.ts';
import { addCharacter } from './ui.ts';

let hosts: RunningHost[] = [];
test.afterEach(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  hosts = [];
});

const header = JSON.stringify({ user_name: 'You', character_name: 'Seraphina', create_date: '2024-10-18@20h52m30s', chat_metadata: { integrity: 'x' } });
const line = (o: object) => JSON.stringify(o);
// BOM, CRLF and no trailing newline, as SillyTavern and Windows editors leave them.
const stChat = Buffer.from(
  '\uFEFF' +
    [
      header,
      line({ name: 'You', is_user: true, is_system: false, send_date: '2025-01-02T10:11:40.123Z', mes: 'Where am I?', extra: {} }),
      line({ name: 'Seraphina', is_user: false, is_system: false, send_date: 'June 19, 2023 2:20pm', mes: 'In my glade.', swipe_id: 1, swipes: ['Safe.', 'In my glade.'], extra: { api: 'openai', model: 'm' } }),
    ].join('\r\n'),
);
const damaged = Buffer.from([header, line({ name: 'You', is_user: true, send_date: 1735812700000, mes: 'First' }), '{"name":"Seraphina","mes":"cut in ha'].join('\n'));
const third = Buffer.from([header, line({ name: 'You', is_user: true, send_date: 1735812700, mes: 'Hello again' })].join('\n'));

test('SillyTavern chats dropped on the chat panel import with a progress bar, open with their swipes, and export back', async ({ page }) => {
  const host = await startHost(path.join(await tempRoot(), 'data'));
  hosts.push(host);
  await page.goto(host.url);
  await addCharacter(page, 'Seraphina');

  // Record whether the progress bar was ever on screen: three small files go by quickly.
  await page.evaluate(() => {
    const w = window as unknown as { sawProgress: boolean };
    w.sawProgress = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid=import-progress]')) w.sawProgress = true;
    }).observe(document.body, { childList: true, subtree: true });
  });
  const jsonl = 'application/jsonl';
  await dropFiles(page, 'chat-files', [
    { name: 'Seraphina - 2024-10-18.jsonl', mime: jsonl, bytes: stChat },
    { name: 'damaged.jsonl', mime: jsonl, bytes: damaged },
    { name: 'third.jsonl', mime: jsonl, bytes: third },
  ]);
  await expect(page.getByTestId('chat')).toHaveCount(3);
  await expect(page.getByTestId('import-progress')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { sawProgress: boolean }).sawProgress)).toBe(true);
  await expect(page.getByTestId('notice').filter({ hasText: 'damaged.jsonl: 1 chat(s) imported, 1 messages; 1 damaged line(s) not imported' })).toHaveCount(1);

  // The first file's chat is open: both messages, the second swipe selected.
  await expect(page.getByTestId('message')).toHaveCount(2);
  await expect(page.getByTestId('message').filter({ hasText: 'In my glade.' })).toHaveCount(1);
  await expect(page.getByTestId('swipe-counter')).toHaveText('2/2');

  // The same file again: nothing new.
  await dropFiles(page, 'chat-files', [{ name: 'copy.jsonl', mime: jsonl, bytes: stChat }]);
  // It says where the chat already is (issue 18): its title and character.
  await expect(page.getByTestId('notice').filter({ hasText: /copy\.jsonl: 0 chat\(s\) imported, 0 messages; already imported as “[^”]+” of Seraphina/ })).toHaveCount(1);
  await expect(page.getByTestId('chat')).toHaveCount(3);

  // Export the open chat as SillyTavern JSONL: the messages and swipes come back.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export (SillyTavern)' }).click();
  const file = await (await download).path();
  const lines = (await readFile(file!, 'utf8')).split('\n').map((l) => JSON.parse(l));
  expect(lines.slice(1).map((m) => m.mes)).toEqual(['Where am I?', 'In my glade.']);
  expect(lines[2]).toMatchObject({ swipes: ['Safe.', 'In my glade.'], swipe_id: 1, is_user: false });
  // Speakers keep the names the chat gave them; the header names the persona and the character (issue 18).
  expect(lines.slice(1).map((m) => m.name)).toEqual(['You', 'Seraphina']);
  expect(lines[0]).toMatchObject({ user_name: 'User', character_name: 'Seraphina' });
});
