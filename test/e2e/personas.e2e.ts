// Personas in the UI (issue 18): two personas made in the sidebar, with a picture; the first is the
// default; a chat chooses the other in its header. The request body at a fake OpenAI-compatible
// server on 127.0.0.1 carries the chat's persona ({{user}}, its description), the user's messages
// show its name and avatar, and the choice is remembered after a restart of the app.
import { expect, test, type Page } from '@playwright/test';
import path from 'node:path';
import { openCharacterRegistry } from '../../electron/app-data/characters.ts';
import { makePng, plainV2Card } from '../fixtures/cards.ts';
import { fakeEndpoint, type FakeEndpoint } from './fake-endpoint.ts';
import { startHost, tempRoot, type RunningHost } from './host.ts';
import { useEndpoint } from './ui.ts';

let host: RunningHost | undefined;
let endpoint: FakeEndpoint | undefined;
test.afterEach(async () => {
  await host?.stop();
  host = undefined;
  await endpoint?.close();
  endpoint = undefined;
});

const CARD = plainV2Card({ description: '{{char}} guards the forest.', scenario: '{{user}} is lost.', first_mes: 'Rest now, {{user}}.' });

async function addPersona(page: Page, name: string, description: string, picture?: Buffer) {
  const panel = page.getByTestId('personas-panel');
  await panel.getByRole('button', { name: 'New persona' }).click();
  await panel.getByLabel('Persona name').fill(name);
  await panel.getByLabel('Persona description').fill(description);
  if (picture) await panel.getByLabel('Persona picture').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: picture });
  await panel.getByRole('button', { name: 'Add persona' }).click();
  await expect(panel.getByTestId('persona').filter({ hasText: name })).toHaveCount(1);
}

test('personas: made in the sidebar, one chosen per chat and remembered; the request carries the chat persona; its name and avatar on the user messages', async ({ page }, info) => {
  const ep = (endpoint = await fakeEndpoint('The forest listens.'));
  const dataDir = path.join(await tempRoot(), 'data');
  await openCharacterRegistry(dataDir).importCard(Buffer.from(JSON.stringify(CARD)));
  host = await startHost(dataDir);
  await page.goto(host.url);

  await useEndpoint(page, ep.base);
  await page.locator('summary', { hasText: 'Generation settings' }).click();

  await page.locator('summary', { hasText: 'Personas' }).click();
  await addPersona(page, 'Sir Knight', '{{user}} wears armour.', makePng(400, 300));
  await addPersona(page, 'Wren the Witch', 'A witch of the marsh.');
  const knightRow = page.getByTestId('persona').filter({ hasText: 'Sir Knight' });
  await expect(knightRow).toContainText('default');
  await expect(knightRow.locator('img.avatar')).toHaveCount(1);

  await page.getByTestId('character').filter({ hasText: 'Seraphina' }).click();
  await page.getByRole('button', { name: 'New chat' }).click();
  await expect(page.locator('[data-testid=message][data-role=assistant]')).toContainText('Rest now, Sir Knight.');
  const picker = page.getByLabel('Persona for this chat');
  await expect(picker).toHaveValue('');

  const send = async (text: string, n: number) => {
    await page.getByLabel('Message').fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
    await expect(page.locator('[data-testid=message][data-role=assistant]')).toHaveCount(n + 1, { timeout: 15_000 });
    await expect.poll(() => ep.bodies.length).toBe(n);
    return JSON.stringify(ep.bodies[n - 1]!.messages);
  };
  const first = await send('Hello, I am {{user}}.', 1);
  expect(first).toContain('Sir Knight wears armour.');
  expect(first).toContain('Sir Knight is lost.');
  expect(first).toContain('Hello, I am Sir Knight.');
  const firstUser = page.locator('[data-testid=message][data-role=user]').first();
  await expect(firstUser.locator('.msg-name')).toHaveText('Sir Knight');
  await expect(firstUser.locator('img.avatar')).toHaveCount(1);

  // This chat chooses the witch: the next request speaks as her; the knight's message keeps his name.
  await picker.selectOption({ label: 'Wren the Witch' });
  await expect(page.getByTestId('personas-panel')).toBeVisible();
  const second = await send('And now I am {{user}}.', 2);
  expect(second).toContain('A witch of the marsh.');
  expect(second).toContain('Wren the Witch is lost.');
  expect(second).toContain('And now I am Wren the Witch.');
  expect(second).not.toContain('wears armour');
  const users = page.locator('[data-testid=message][data-role=user]');
  await expect(users.nth(1).locator('.msg-name')).toHaveText('Wren the Witch');
  await expect(users.nth(0).locator('.msg-name')).toHaveText('Sir Knight');
  await page.screenshot({ path: info.outputPath('personas.png'), fullPage: true });

  // After a restart: the chat still speaks as the witch, the personas and the default are kept.
  await host.stop();
  host = await startHost(dataDir);
  await page.goto(host.url);
  await page.getByTestId('character').filter({ hasText: 'Seraphina' }).click();
  await expect(page.locator('[data-testid=message][data-role=user]')).toHaveCount(2);
  await expect(page.getByLabel('Persona for this chat').locator('option:checked')).toHaveText('Wren the Witch');
  await page.locator('summary', { hasText: 'Personas' }).click();
  await expect(page.getByTestId('persona')).toHaveCount(2);
  await expect(page.getByTestId('persona').filter({ hasText: 'Sir Knight' })).toContainText('default');
  await page.screenshot({ path: info.outputPath('personas-after-restart.png'), fullPage: true });
});
