// Issue 7 §1 in the UI: a damaged settings file is reported (not a crash, not a silent reset,
// the API key kept), and the saving settings panel stores its values (validated) across reloads.
import { expect, test } from '@playwright/test';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startHost, tempRoot, type RunningHost } from './host.ts';
import { Layout } from '../../electron/store/layout.ts';

let host: RunningHost | undefined;
test.afterEach(async () => {
  await host?.stop();
  host = undefined;
});

test('damaged settings: notice, key salvaged; the saving panel persists valid values', async ({ page }) => {
  const dataDir = path.join(await tempRoot(), 'data');
  await mkdir(new Layout(dataDir).deviceAppDir, { recursive: true });
  const damaged = JSON.stringify({ apiKey: 'sk-keep-me', provider: 'openai', autosaveIntervalMs: 'often' });
  await writeFile(path.join(new Layout(dataDir).deviceAppDir, 'config.json'), damaged);
  host = await startHost(dataDir);
  await page.goto(host.url);
  await expect(page.getByTestId('notice').filter({ hasText: /settings file was damaged/ })).toHaveCount(1);
  const kept = (await readdir(new Layout(dataDir).deviceAppDir)).filter((n) => n.startsWith('config.json.damaged-'));
  expect(kept).toHaveLength(1);
  expect(await readFile(path.join(new Layout(dataDir).deviceAppDir, kept[0]!), 'utf8')).toBe(damaged);

  await page.locator('summary', { hasText: 'Generation settings' }).click();
  await expect(page.getByText('API key (set)')).toBeVisible();

  await page.locator('summary', { hasText: 'Saving settings' }).click();
  const autosave = page.getByLabel('Autosave interval (ms)');
  await expect(autosave).toHaveValue('1000');
  await autosave.fill('250');
  await page.getByLabel('Backups kept per chat').fill('3');
  await page.getByRole('button', { name: 'Save saving settings' }).click();
  await expect(page.getByTestId('notice').filter({ hasText: 'Autosave and backup choices stored' })).toHaveCount(1);

  // Out of range: the form refuses it (the contract would too: test/app/settings.test.ts); nothing stored.
  await autosave.fill('50');
  await page.getByRole('button', { name: 'Save saving settings' }).click();

  await page.reload();
  await page.locator('summary', { hasText: 'Saving settings' }).click();
  await expect(page.getByLabel('Autosave interval (ms)')).toHaveValue('250');
  await expect(page.getByLabel('Backups kept per chat')).toHaveValue('3');
  const file = path.join(new Layout(dataDir).deviceAppDir, 'config.json');
  expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ apiKey: 'sk-keep-me', autosaveIntervalMs: 250, backupRetention: 3 });
  if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
  expect(await page.content()).not.toContain('sk-keep-me');
});
