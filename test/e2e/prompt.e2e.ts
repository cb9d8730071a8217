// Issue 10 §2 in the UI: persona and samplers in the generation settings, "Test connection"
// against a local fake OpenAI-compatible server (127.0.0.1, started here), a new chat opening
// with the card's greeting and its alternate greetings as swipes, and the request the server
// receives: system prompt from the card's fields, the persona's name for {{user}}, the history,
// the samplers.
import { expect, test } from '@playwright/test';
import { mkdir, writeFile } from 'node:fs/promises';
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

const CARD = plainV2Card({
  description: '{{char}} is the guardian of an enchanted forest.',
  personality: 'caring, protective',
  scenario: '{{user}} wakes up wounded in {{char}}\'s glade.',
  first_mes: '*Seraphina tends to {{user}}\'s wounds.* Rest now, {{user}}.',
  alternate_greetings: ['Welcome back, {{user}}.', '<BOT> hums a quiet song.'],
  mes_example: '<START>\n{{user}}: Who are you?\n{{char}}: A friend of the forest.',
  system_prompt: 'You are {{char}}, speaking with {{user}}. {{original}}',
  post_history_instructions: 'Reply as {{char}} only; never write for {{user}}.',
});

test('persona, samplers and the card reach the endpoint; the greeting has its swipes; Test connection is ok', async ({ page }) => {
  const reply = 'The forest is quiet tonight. ';
  const ep = (endpoint = await fakeEndpoint(reply));
  const dataDir = path.join(await tempRoot(), 'data');
  // The character is a card imported into the registry, as the app's Import does.
  await openCharacterRegistry(dataDir).importCard(Buffer.from(JSON.stringify(CARD)));
  host = await startHost(dataDir);
  await page.goto(host.url);

  await useEndpoint(page, ep.base, async () => {
    await page.getByLabel(/API key/).fill('sk-e2e-secret');
    await page.getByLabel('Your name').fill('Ann');
    await page.getByLabel('Your description').fill('{{user}} is a lost traveller with a lantern.');
    await page.getByLabel('Context size (tokens)').fill('4096');
    await page.getByLabel('Max reply tokens').fill('120');
    await page.getByLabel('Temperature').fill('0.65');
    await page.getByLabel('Top-p').fill('0.9');
    await page.getByLabel('Stop sequences').fill('\\nAnn:\n</s>');
  });
  await expect(page.getByText('API key (set)')).toBeVisible();

  await page.getByRole('button', { name: 'Test connection' }).click();
  const result = page.getByTestId('connection-result');
  await expect(result).toHaveAttribute('data-ok', 'true');
  await expect(result).toHaveText('OK: Connected (200): 1 model listed.');
  expect(ep.hits.map((h) => `${h.method} ${h.url} ${h.authorization}`)).toEqual(['GET /v1/models Bearer sk-e2e-secret']);

  // A new chat opens with the greeting, macros replaced, and the alternate greetings as swipes.
  await page.getByTestId('character').filter({ hasText: 'Seraphina' }).click();
  await page.getByRole('button', { name: 'New chat' }).click();
  const greeting = page.locator('[data-testid=message][data-role=assistant]');
  await expect(greeting).toHaveCount(1);
  // Stored as "*Seraphina tends to Ann's wounds.* Rest now, Ann."; the action shows in italics.
  await expect(greeting.getByTestId('message-content')).toHaveText("Seraphina tends to Ann's wounds. Rest now, Ann.");
  await expect(greeting.getByTestId('message-content').locator('em')).toHaveText("Seraphina tends to Ann's wounds.");
  await expect(greeting.getByTestId('swipe-counter')).toHaveText('1/3');
  await greeting.getByRole('button', { name: 'Next swipe' }).click();
  await expect(greeting.getByTestId('message-content')).toHaveText('Welcome back, Ann.');
  await expect(greeting.getByTestId('swipe-counter')).toHaveText('2/3');

  await page.getByLabel('Message').fill('Where am I?');
  await page.getByRole('button', { name: 'Send' }).click();
  const replies = page.locator('[data-testid=message][data-role=assistant]');
  await expect(replies).toHaveCount(2, { timeout: 15_000 });
  await expect(replies.nth(1).getByTestId('message-content')).toHaveText(reply);

  const completions = ep.hits.filter((h) => h.url === '/v1/chat/completions');
  expect(completions).toHaveLength(1);
  expect(completions[0]!.authorization).toBe('Bearer sk-e2e-secret');
  const body = JSON.parse(completions[0]!.body);
  expect(body).toMatchObject({ model: 'fake-model', stream: true, temperature: 0.65, top_p: 0.9, max_tokens: 120, stop: ['\nAnn:', '</s>'] });
  expect(body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'system', 'assistant', 'user', 'system']);
  const system: string = body.messages[0].content;
  expect(system).toMatch(/^You are Seraphina, speaking with Ann\. Write Seraphina's next reply in a fictional chat between Seraphina and Ann\./);
  expect(system).toContain('Seraphina is the guardian of an enchanted forest.');
  expect(system).toContain("Seraphina's personality: caring, protective");
  expect(system).toContain("Scenario: Ann wakes up wounded in Seraphina's glade.");
  expect(system).toContain('Ann is a lost traveller with a lantern.');
  expect(body.messages[1].content).toContain('Ann: Who are you?\nSeraphina: A friend of the forest.');
  // The history: the greeting as the user left it (swipe 2), then the message.
  expect(body.messages[2]).toEqual({ role: 'assistant', content: 'Welcome back, Ann.' });
  expect(body.messages[3]).toEqual({ role: 'user', content: 'Where am I?' });
  expect(body.messages[4]).toEqual({ role: 'system', content: 'Reply as Seraphina only; never write for Ann.' });
  expect(completions[0]!.body).not.toMatch(/\{\{|<BOT>|<USER>/);

  // The key stayed main-side.
  expect(await page.content()).not.toContain('sk-e2e-secret');
});
