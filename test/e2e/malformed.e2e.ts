// Scenario 4: malformed calls from the page context straight to the transport.
// Each gets a typed error, the host stays up, nothing is written outside the data dir.
import { expect, test } from '@playwright/test';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import WebSocket from 'ws';
import { ERROR_CODES } from '../../shared/errors.ts';
import { startHost, tempRoot, type RunningHost } from './host.ts';

let host: RunningHost | undefined;
test.afterEach(async () => {
  await host?.stop();
  host = undefined;
});

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...(await walk(p)));
  }
  return out;
}

const HUGE = 'x'.repeat(1_200_000);
const CHAT = '0b0e4b5e-6a4e-4c47-9c61-5b3c1e2a9d11';
// [label, frame] — frames are sent raw, so some are not even JSON.
const BAD_FRAMES: [string, unknown][] = [
  ['not json', 'this is not json'],
  ['json array', [1, 2, 3]],
  ['no channel', { id: 1 }],
  ['unknown channel', { id: 2, channel: 'fs:readFile', payload: { path: '/etc/passwd' } }],
  ['proto channel', { id: 3, channel: '__proto__', payload: {} }],
  ['constructor channel', { id: 4, channel: 'constructor', payload: {} }],
  ['wrong types', { id: 5, channel: 'createCharacter', payload: { name: 42 } }],
  ['null payload', { id: 6, channel: 'createChat', payload: null }],
  ['extra keys', { id: 7, channel: 'listCharacters', payload: { sneaky: true } }],
  ['path-like character id', { id: 8, channel: 'createChat', payload: { characterId: '../../etc' } }],
  ['path-like chat id', { id: 9, channel: 'loadChat', payload: { chatId: '../../etc/passwd' } }],
  ['absolute path id', { id: 10, channel: 'listChats', payload: { characterId: '/etc' } }],
  ['dotdot message id', { id: 11, channel: 'deleteMessage', payload: { chatId: CHAT, messageId: '..' } }],
  ['huge content', { id: 12, channel: 'appendMessage', payload: { chatId: CHAT, message: { role: 'user', content: HUGE } } }],
  ['huge title', { id: 13, channel: 'renameChat', payload: { chatId: CHAT, title: HUGE } }],
  ['huge name', { id: 14, channel: 'createCharacter', payload: { name: HUGE } }],
  ['bad role', { id: 15, channel: 'appendMessage', payload: { chatId: CHAT, message: { role: 'root', content: 'x' } } }],
  ['negative limit', { id: 16, channel: 'loadChat', payload: { chatId: CHAT, options: { limit: -1 } } }],
  ['unknown chat', { id: 17, channel: 'getChat', payload: { chatId: CHAT } }],
  ['file url setting', { id: 18, channel: 'setGenerationSettings', payload: { baseUrl: 'file:///etc/passwd' } }],
  ['bad generate mode', { id: 19, channel: 'generate', payload: { mode: 'rm -rf', chatId: CHAT } }],
  ['empty patch', { id: 20, channel: 'updateMessage', payload: { chatId: CHAT, messageId: 'm1', patch: {} } }],
];

test('4: malformed calls get typed errors, the host stays up, nothing escapes the data dir', async ({ page }) => {
  const root = await tempRoot();
  const dataDir = path.join(root, 'data');
  host = await startHost(dataDir);
  await page.goto(host.url);
  await expect(page.getByText('Add a character on the left to begin.')).toBeVisible();

  const answers = await page.evaluate(async (frames) => {
    const token = sessionStorage.getItem('cardshark.token');
    const ws = new WebSocket(`ws://${location.host}/ws?token=${token}`);
    await new Promise((r, j) => {
      ws.onopen = r;
      ws.onerror = j;
    });
    const results: unknown[] = [];
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data));
      if (m.kind === 'result') results.push(m);
    };
    for (const [, f] of frames) ws.send(typeof f === 'string' ? f : JSON.stringify(f));
    const deadline = Date.now() + 10_000;
    while (results.length < frames.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // An oversized frame closes this socket (1009) instead of reaching the binding.
    const closed = new Promise<number>((r) => (ws.onclose = (e) => r(e.code)));
    ws.send('x'.repeat(29 * 1024 * 1024)); // above MAX_FRAME_BYTES (28 MiB, sized for a 20 MiB card import)
    return { results, closeCode: await closed };
  }, BAD_FRAMES);

  expect(answers.results).toHaveLength(BAD_FRAMES.length);
  for (const r of answers.results as { id: unknown; result: { ok: boolean; error?: { code: string; message: string } } }[]) {
    expect(r.result.ok, JSON.stringify(r)).toBe(false);
    expect(ERROR_CODES).toContain(r.result.error!.code);
    expect(typeof r.result.error!.message).toBe('string');
  }
  const byId = new Map((answers.results as { id: number; result: { error: { code: string } } }[]).map((r) => [r.id, r.result.error.code]));
  for (let id = 1; id <= 20; id++) expect(byId.get(id), `frame ${id}`).toBe(id === 17 ? 'NOT_FOUND' : 'INVALID_INPUT');
  expect(answers.closeCode).toBe(1009);

  // A wrong token and a foreign Origin are refused before any handler runs.
  for (const [url, origin] of [
    [`${host.origin.replace('http', 'ws')}/ws?token=nope`, host.origin],
    [`${host.origin.replace('http', 'ws')}/ws?token=${host.token}`, 'http://evil.example'],
  ] as const) {
    const refused = await new Promise<boolean>((resolve) => {
      const ws = new WebSocket(url, { origin });
      ws.on('open', () => resolve(false));
      ws.on('error', () => resolve(true));
    });
    expect(refused, `${url} from ${origin}`).toBe(true);
  }

  // Still up and still working through the UI.
  expect(host.proc.exitCode).toBeNull();
  await page.reload();
  await page.getByLabel('New character name').fill('Still here');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByTestId('character')).toHaveText(['Still here']);

  // Nothing outside the data dir, and nothing odd inside it.
  expect(await readdir(root)).toEqual(['data']);
  for (const p of await walk(dataDir)) {
    const rel = path.relative(dataDir, p);
    expect(rel.startsWith('..'), p).toBe(false);
    expect(rel.split(path.sep)[0], p).toMatch(/^(app|chats|devices|\.stignore|backups|trash|quarantine)$/);
    expect(rel, p).not.toMatch(/etc|passwd/); // rel: the random temp dir name may contain "etc"
  }
});
