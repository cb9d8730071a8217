// `npm run cli -- export` names the user's messages that carry no name by the chat's persona (the one
// it chose, else the default), as the app's Export does; with no personas, by the settings' name.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { openPersonas } from '../../electron/app-data/personas.ts';

const CLI = join(import.meta.dirname, '..', '..', 'electron', 'entry', 'cli.ts');
const cli = (dataDir: string, ...args: string[]) => spawnSync(process.execPath, [CLI, ...args, '--data-dir', dataDir], { encoding: 'utf8', timeout: 60_000 });

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('cli export and personas', () => {
  it("names unnamed user messages and the header's user_name by the chat's persona", async () => {
    const dir = await mkdtemp(join(os.tmpdir(), 'cardshark-cli-persona-'));
    dirs.push(dir);
    const dataDir = join(dir, 'data');
    const store = await openChatStore({ dataDir });
    const a = await store.createChat({ characterId: 'sera', title: 'a' });
    const b = await store.createChat({ characterId: 'sera', title: 'b' });
    for (const c of [a, b]) await store.appendMessages(c.chatId, [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello', name: 'Sera' }]);
    await store.close();
    const personas = openPersonas(dataDir);
    await personas.create({ name: 'Sir Knight' }); // the default
    const witch = await personas.create({ name: 'Wren the Witch' });
    await personas.choose(b.chatId, witch.id);

    for (const [chat, name] of [[a, 'Sir Knight'], [b, 'Wren the Witch']] as const) {
      const out = join(dir, `${chat.title}.jsonl`);
      const r = cli(dataDir, 'export', chat.chatId, '--format', 'st', '--out', out);
      expect(r.status, r.stderr).toBe(0);
      const lines = (await readFile(out, 'utf8')).split('\n').map((l) => JSON.parse(l));
      expect(lines[0].user_name).toBe(name);
      expect(lines[1]).toMatchObject({ is_user: true, name });
    }
  });
});
