// Issue 14, fault 2: when the app finds another CardShark took its data folder over (it was paused
// or asleep past the lock's heartbeat), the window says so, for good: nothing more is saved.
import { expect, test } from '@playwright/test';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startHost, tempRoot, type RunningHost } from './host.ts';
import { addCharacter, newChat } from './ui.ts';
import { Layout } from '../../electron/store/layout.ts';

let hosts: RunningHost[] = [];
test.afterEach(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  hosts = [];
});

test('the data-folder lock taken over: a banner that stays says writing stopped', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  const host = await startHost(dataDir);
  hosts.push(host);
  await page.goto(host.url);
  await addCharacter(page, 'Lia');
  await newChat(page);
  await expect(page.getByTestId('lock-lost')).toHaveCount(0);

  // What a takeover leaves at the path: a new lock file, another owner's.
  const lock = new Layout(dataDir).lockFile;
  await writeFile(`${lock}.other`, JSON.stringify({ pid: 4242, hostname: 'elsewhere.example', procStart: '1', token: 'other', acquiredAt: Date.now() }));
  await rename(`${lock}.other`, lock);
  // The host's next heartbeat (every 10 s) finds it.
  await expect(page.getByTestId('lock-lost')).toBeVisible({ timeout: 25_000 });
  await expect(page.getByTestId('lock-lost')).toContainText('stopped saving');
  await expect(page.getByTestId('lock-lost')).toContainText('restart');
});
