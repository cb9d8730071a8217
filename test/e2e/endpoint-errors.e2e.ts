// Issue 15 §6 and §8 in the UI: a failing endpoint always says so. Local fake endpoints on
// 127.0.0.1 (started here) that never answer, stall mid-reply, or answer 200 with garbage; the
// timeouts are set short through Generation settings. Each shows an error in the window within
// its timeout; a stalled reply's text stays, as interrupted (Continue is offered). An API key an
// HTTP header cannot carry is refused at its input.
import { expect, test, type Page } from '@playwright/test';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startHost, tempRoot, type RunningHost } from './host.ts';
import { addCharacter, newChat } from './ui.ts';

let host: RunningHost | undefined;
let server: Server | undefined;
test.afterEach(async () => {
  await host?.stop();
  host = undefined;
  await new Promise((r) => (server ? (server.closeAllConnections(), server.close(r)) : r(undefined)));
  server = undefined;
});

/** A fake endpoint: `completion` answers POST /v1/chat/completions; GET /v1/models answers `models`. */
async function fakeEndpoint(completion: (res: ServerResponse) => void, models = '{"data": [{"id": "m"}]}'): Promise<string> {
  server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(models);
      } else completion(res);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

const chunk = (text: string) => `data: ${JSON.stringify({ choices: [{ delta: { content: text } }] })}\n\n`;

/** Opens the app, points Generation settings at `base` with 2 s timeouts, and opens a new chat. */
async function openWith(page: Page, base: string) {
  host = await startHost(path.join(await tempRoot(), 'data'));
  await page.goto(host.url);
  await page.locator('summary', { hasText: 'Generation settings' }).click();
  await page.getByLabel('Provider').selectOption('openai');
  await page.getByLabel('Base URL').fill(base);
  await page.getByLabel('Connect timeout (s)').fill('2');
  await page.getByLabel('Idle timeout (s)').fill('2');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByTestId('notice').filter({ hasText: 'Settings saved' })).toHaveCount(1);
  await addCharacter(page, 'Echo');
  await newChat(page);
}

/** Sends a message and resolves with the error notice of its reply, and how long it took. */
async function sendAndAwaitError(page: Page, text: string) {
  await page.getByLabel('Message').fill(text);
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Send' }).click();
  const notice = page.getByTestId('notice').filter({ hasText: 'Generation error' });
  await expect(notice).toHaveCount(1, { timeout: 15_000 });
  return { notice, ms: Date.now() - t0 };
}

test('a hanging endpoint shows an error at the connect timeout', async ({ page }) => {
  const base = await fakeEndpoint(() => {}); // takes the request, never answers
  await openWith(page, base);
  const { notice, ms } = await sendAndAwaitError(page, 'Anyone there?');
  await expect(notice).toContainText('the generation endpoint did not answer within 2 s');
  expect(ms).toBeGreaterThanOrEqual(1_500);
  expect(ms).toBeLessThan(10_000);
  await expect(page.getByTestId('streaming')).toHaveCount(0);
  await expect(page.locator('[data-testid=message][data-role=assistant]')).toHaveCount(0);
});

test('a reply that stalls shows an error at the idle timeout and keeps its text, to be continued', async ({ page }) => {
  const base = await fakeEndpoint((res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(chunk('The lighthouse keeper '));
    // then nothing, ever
  });
  await openWith(page, base);
  const { notice, ms } = await sendAndAwaitError(page, 'Tell me a story.');
  await expect(notice).toContainText('the generation endpoint sent nothing for 2 s; the reply so far is kept');
  expect(ms).toBeLessThan(10_000);
  const reply = page.locator('[data-testid=message][data-role=assistant]');
  await expect(reply).toHaveCount(1);
  await expect(reply.getByTestId('message-content')).toHaveText('The lighthouse keeper');
  await expect(reply).toContainText('(interrupted)');
  await expect(reply.getByRole('button', { name: 'Continue' })).toBeVisible();
});

test('a garbage endpoint shows what was wrong; Test connection fails on a garbage model list; a key with non-Latin-1 characters is refused at its input', async ({ page }) => {
  const base = await fakeEndpoint((res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('data: {"choices": [{"delta": {"content": "Hi"\n\n');
  }, '<html>It works!</html>');
  await openWith(page, base);
  const { notice, ms } = await sendAndAwaitError(page, 'Hello?');
  await expect(notice).toContainText("the generation endpoint's answer was malformed: the data on line 1 is not valid JSON");
  expect(ms).toBeLessThan(10_000);

  await page.getByRole('button', { name: 'Test connection' }).click();
  const result = page.getByTestId('connection-result');
  await expect(result).toHaveAttribute('data-ok', 'false');
  await expect(result).toContainText('Failed: The endpoint answered 200, but not with a model list');
  await expect(result).not.toContainText('It works');

  await page.getByLabel(/API key/).fill('sk-ключ');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByTestId('field-error-apiKey')).toContainText('the API key may hold only printable characters');
  await expect(page.getByText('API key (none)')).toBeVisible();
});
