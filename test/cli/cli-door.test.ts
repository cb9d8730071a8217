// The CLI door (electron/cli/control.ts) with the real commands on a real store, in this process:
// an import asked for through the door shows its progress to the CLI that asked, and stops,
// keeping nothing, when that CLI goes away (interrupted) mid-import.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { openCharacterRegistry } from '../../electron/app-data/characters.ts';
import { runCliCommand, type CliOutput } from '../../electron/cli/commands.ts';
import { askRunningApp, startControlServer } from '../../electron/cli/control.ts';
import { Layout } from '../../electron/store/layout.ts';
import { openChatStore } from '../../electron/store/index.ts';
import { tempDir } from '../store/helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const stChat = (n: number) =>
  [JSON.stringify({ user_name: 'You', character_name: 'Keeper', create_date: '2024-01-01 @10h 00m 00s 000ms', chat_metadata: {} })]
    .concat(Array.from({ length: n }, (_, i) => JSON.stringify({ name: i % 2 ? 'Keeper' : 'You', is_user: i % 2 === 0, send_date: 1_700_000_000_000 + i, mes: `message ${i} ${'x'.repeat(200)}` })))
    .join('\n');

async function door() {
  const dataDir = tempDir();
  const store = await openChatStore({ dataDir });
  const answered: CliOutput[] = [];
  const server = await startControlServer(dataDir, async (req, progress) => {
    const out = await runCliCommand({ store, characters: () => openCharacterRegistry(dataDir), personaName: () => undefined, ...(progress ? { progress } : {}) }, req);
    answered.push(out);
    return out;
  });
  cleanups.push(async () => {
    await server.close();
    await store.close();
  });
  return { dataDir, store, answered };
}

describe('the CLI door', () => {
  it('an import through the running app shows its progress to the CLI', { timeout: 120_000 }, async () => {
    const { dataDir } = await door();
    const file = join(dataDir, '..', `${Date.now()}-big.jsonl`);
    await writeFile(file, stChat(60_000));
    cleanups.push(() => import('node:fs/promises').then((f) => f.rm(file, { force: true })));
    const lines: (string | null)[] = [];
    const out = await askRunningApp(dataDir, { argv: ['import', file], cwd: '/' }, (line) => lines.push(line));
    expect(out?.exitCode).toBe(0);
    expect(lines.some((l) => l !== null && /^importing \d\/1 .*: (reading, \d+%|writing, \d+% read, \d+ messages)$/.test(l))).toBe(true);
    expect(lines.at(-1)).toBeNull(); // the line is cleared before the answer is printed
  });

  it('a CLI interrupted mid-import cancels it: the app keeps no chat and no partial file', { timeout: 120_000 }, async () => {
    const { dataDir, store, answered } = await door();
    const file = join(dataDir, '..', `${Date.now()}-big.jsonl`);
    await writeFile(file, stChat(200_000));
    cleanups.push(() => import('node:fs/promises').then((f) => f.rm(file, { force: true })));
    const d = JSON.parse(await readFile(new Layout(dataDir).controlFile, 'utf8')) as { socket: string; token: string };
    const conn = createConnection(d.socket);
    conn.write(`${JSON.stringify({ token: d.token, argv: ['import', file], cwd: '/', progress: true })}\n`);
    for await (const line of createInterface({ input: conn })) {
      if (/writing/.test(JSON.parse(line).progress ?? '')) break; // the import is writing the chat
    }
    conn.destroy(); // the CLI is interrupted
    while (answered.length === 0) await new Promise((r) => setTimeout(r, 50));
    expect(answered[0]!.stderr).toMatch(/^CANCELLED: /);
    expect(await store.listAllChats()).toEqual([]);
    const left = await readdir(join(dataDir, 'chats'), { recursive: true }).catch(() => []);
    expect(left.filter((n) => /\.jsonl/.test(String(n)))).toEqual([]);
  });
});
