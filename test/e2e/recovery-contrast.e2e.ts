// Issue 18 §6: the recovery screens (a damaged chat's notice, the backups list, "Recently deleted")
// pass WCAG AA contrast (4.5:1 for text): checked by axe-core's color-contrast rule
// (@axe-core/playwright) and on the computed colours (contrast.ts).
import { AxeBuilder } from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { openChatStore } from '../../electron/store/index.ts';
import { openCharacterRegistry } from '../../electron/app-data/characters.ts';
import { openAppState } from '../../electron/app-data/app-state.ts';
import { contrastFailures } from './contrast.ts';
import { startHost, tempRoot, type RunningHost } from './host.ts';

let host: RunningHost | undefined;
test.afterEach(async () => {
  await host?.stop();
  host = undefined;
});

/** axe-core's WCAG AA colour-contrast findings inside the given parts of the page. */
async function axeContrast(page: Page, selectors: string[]) {
  let axe = new AxeBuilder({ page }).withRules(['color-contrast']);
  for (const s of selectors) axe = axe.include(s);
  const r = await axe.analyze();
  return { passed: r.passes.flatMap((p) => p.nodes).length, violations: r.violations.flatMap((v) => v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`)) };
}

test('the damaged-chat notice, the backups panel, "Recently deleted" and the wrong-token page pass WCAG AA contrast', async ({ page }, info) => {
  const dataDir = path.join(await tempRoot(), 'data');
  const character = await openCharacterRegistry(dataDir).create('Ada');
  const store = await openChatStore({ dataDir });
  const damaged = await store.createChat({ characterId: character.id, title: 'Damaged' });
  await store.appendMessage(damaged.chatId, { id: 'g1', role: 'user', content: 'Good line one' });
  await store.compactChat(damaged.chatId); // a labelled backup to list
  const other = await store.createChat({ characterId: character.id, title: 'Deleted one' });
  await store.deleteChat(other.chatId);
  await store.close();
  await appendFile(path.join(dataDir, 'chats', character.id, `${damaged.chatId}.jsonl`), '{"id":"g2","role":"user","content":broken}\n');
  const state = openAppState(dataDir);
  await state.setActiveCharacter(character.id);
  await state.setActiveChat(character.id, damaged.chatId);

  host = await startHost(dataDir);
  await page.goto(host.url);
  const notice = page.getByTestId('chat-health');
  await expect(notice).toContainText('damaged');
  await page.getByRole('button', { name: 'Backups' }).click();
  const backups = page.getByTestId('backups-panel');
  await expect(backups.getByTestId('backup')).toHaveCount(1);
  await expect(backups.getByTestId('backup-label')).toHaveText('before compaction');
  await page.getByText('Recently deleted').click();
  const deleted = page.getByTestId('deleted-chat');
  await expect(deleted).toHaveCount(1);
  await page.screenshot({ path: info.outputPath('recovery-screens.png') });

  for (const [name, root] of [['damaged-chat notice', notice], ['backups panel', backups], ['recently deleted', page.locator('.deleted-chats')]] as const) {
    const { checked, failures } = await contrastFailures(root);
    expect(checked, `${name}: text elements checked`).toBeGreaterThan(0);
    expect(failures, `${name}: text below 4.5:1`).toEqual([]);
  }

  const axe = await axeContrast(page, ['[data-testid="chat-health"]', '[data-testid="backups-panel"]', '.deleted-chats']);
  expect(axe.passed, 'axe: elements checked').toBeGreaterThan(0);
  expect(axe.violations, 'axe: color-contrast').toEqual([]);

  // The wrong-token page, which tells the user how to get back in.
  await page.goto('about:blank'); // a hash change alone would not load the page again
  await page.goto(`${host.origin}/#token=${'0'.repeat(host.token.length)}`);
  const tokenPage = page.getByTestId('token-error');
  await expect(tokenPage).toContainText('npm start');
  const { checked, failures } = await contrastFailures(tokenPage);
  expect(checked).toBeGreaterThan(0);
  expect(failures, 'token page: text below 4.5:1').toEqual([]);
  const tokenAxe = await axeContrast(page, ['[data-testid="token-error"]']);
  expect(tokenAxe.passed).toBeGreaterThan(0);
  expect(tokenAxe.violations, 'axe: token page color-contrast').toEqual([]);
});
