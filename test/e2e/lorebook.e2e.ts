// Issue 18 in the UI: a card's lorebook ("Eldoria", as on SillyTavern's Seraphina) and the chat's
// author's note reach a fake OpenAI-compatible server on 127.0.0.1 (started here): the entry only
// when a message mentions Eldoria, the note at its depth. The prompt viewer shows the request part
// by part; a lorebook entry edited in the character editor is what the next request sends.
import { expect, test } from '@playwright/test';
import path from 'node:path';
import { openCharacterRegistry } from '../../electron/app-data/characters.ts';
import { fakeEndpoint, type FakeEndpoint } from './fake-endpoint.ts';
import { startHost, tempRoot, type RunningHost } from './host.ts';
import { useEndpoint } from './ui.ts';
import { plainV2Card } from '../fixtures/cards.ts';

let host: RunningHost | undefined;
let endpoint: FakeEndpoint | undefined;
test.afterEach(async () => {
  await host?.stop();
  host = undefined;
  await endpoint?.close();
  endpoint = undefined;
});

const ELDORIA = 'Eldoria is the ancient forest realm Seraphina protects.';
const CARD = plainV2Card({
  description: '{{char}} is the guardian of an enchanted forest.',
  personality: 'caring',
  first_mes: 'Rest now, {{user}}.',
  character_book: { name: 'Seraphina lore', scan_depth: 2, extensions: {}, entries: [{ id: 0, keys: ['Eldoria'], content: ELDORIA, extensions: {}, enabled: true, insertion_order: 100, name: 'Eldoria' }] },
});

test('the Eldoria entry reaches the model only when Eldoria is mentioned; the author\'s note sits at its depth; the prompt viewer shows it', async ({ page }, info) => {
  const ep = (endpoint = await fakeEndpoint('The forest listens.'));
  const dataDir = path.join(await tempRoot(), 'data');
  await openCharacterRegistry(dataDir).importCard(Buffer.from(JSON.stringify(CARD)));
  host = await startHost(dataDir);
  await page.goto(host.url);

  await useEndpoint(page, ep.base, () => page.getByLabel('Your name').fill('Ann'));

  await page.getByTestId('character').filter({ hasText: 'Seraphina' }).click();
  await page.getByRole('button', { name: 'New chat' }).click();
  await expect(page.locator('[data-testid=message][data-role=assistant]')).toHaveCount(1);

  // The author's note, saved with the chat from the prompt panel.
  await page.getByRole('button', { name: 'Prompt' }).click();
  const panel = page.getByRole('dialog', { name: 'Prompt' });
  await panel.getByLabel("Author's note", { exact: true }).fill('NOTE: rain falls on {{user}}.');
  await panel.getByLabel("Author's note depth").fill('1');
  await panel.getByRole('button', { name: 'Save note' }).click();
  await expect(panel.getByTestId('prompt-message').filter({ hasText: 'NOTE: rain falls on Ann.' })).toHaveCount(1);
  await expect(panel.getByTestId('prompt-total')).toContainText('lorebook none active');
  await panel.getByRole('button', { name: 'Close' }).click();

  const send = async (text: string, n: number) => {
    await page.getByLabel('Message').fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
    await expect(page.locator('[data-testid=message][data-role=assistant]')).toHaveCount(n + 1, { timeout: 15_000 });
    await expect.poll(() => ep.bodies.length).toBe(n);
    return ep.bodies[n - 1]!.messages;
  };
  const first = await send('Where am I?', 1);
  expect(JSON.stringify(first)).not.toContain(ELDORIA);
  const at = first.findIndex((m) => m.content === 'Where am I?');
  expect(first[at - 1]).toEqual({ role: 'system', content: 'NOTE: rain falls on Ann.' });

  const second = await send('Tell me about Eldoria.', 2);
  expect(second[0]!.content).toContain(ELDORIA);
  const at2 = second.findIndex((m) => m.content === 'Tell me about Eldoria.');
  expect(second[at2 - 1]).toEqual({ role: 'system', content: 'NOTE: rain falls on Ann.' });

  // The viewer: the entry, the note, the history, with token counts labelled as an estimate.
  await page.getByRole('button', { name: 'Prompt' }).click();
  await expect(panel.getByTestId('prompt-total')).toContainText('lorebook Eldoria');
  await expect(panel.getByTestId('prompt-total')).toContainText('(estimate by gpt-tokenizer)'); // the fake endpoint has no tokenizer API
  await expect(panel.locator('details[data-kind=lorebook] summary')).toContainText('Lorebook: Eldoria');
  await page.screenshot({ path: info.outputPath('prompt-viewer.png'), fullPage: true });
  await panel.getByRole('button', { name: 'Close' }).click();

  // Edit the entry in the character editor: the next request sends the new text.
  await page.getByRole('button', { name: 'Edit Seraphina' }).click();
  const editor = page.getByRole('dialog', { name: 'Edit character' });
  await expect(editor.getByTestId('lore-entry')).toHaveCount(1);
  await editor.getByLabel('Entry 1 content').fill('EDITED: Eldoria has silver trees.');
  await editor.getByLabel('Entry 1 keys').fill('Eldoria, silver');
  await editor.getByRole('button', { name: 'Add entry' }).click();
  await editor.getByLabel('Entry 2 keys').fill('moon');
  await editor.getByLabel('Entry 2 content').fill('NEVER: the moon entry, not mentioned.');
  await page.screenshot({ path: info.outputPath('lorebook-editor.png'), fullPage: true });
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('notice').filter({ hasText: 'Saved Seraphina' })).toHaveCount(1);
  await editor.getByRole('button', { name: 'Close' }).click();
  const third = await send('Is it silver?', 3);
  expect(third[0]!.content).toContain('EDITED: Eldoria has silver trees.');
  expect(JSON.stringify(third)).not.toContain('NEVER');
});
