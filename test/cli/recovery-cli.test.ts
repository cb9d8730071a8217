// The maintenance CLI as a user runs it (a child process on a real data folder): doctor's exit
// code, repair, backups/restore, trash/undelete, stats, --json, and the lock.
import { execFile } from 'node:child_process';
import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { chatPath, tempDir } from '../store/helpers.ts';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '..', '..', 'electron', 'entry', 'cli.ts');

async function cli(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, '--data-dir', dir, ...args], { env: { ...process.env, CARDSHARK_DATA_DIR: '' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('cardshark CLI: recovery commands', () => {
  it('doctor finds a damaged chat (exit 1), repair fixes it, doctor is then healthy (exit 0)', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    const c = await s.createChat({ characterId: 'alice', title: 'T' });
    await s.appendMessage(c.chatId, { id: 'a', role: 'user', content: 'one' });
    await s.close();
    await appendFile(join(dir, 'chats', 'alice', `${c.chatId}.jsonl`), 'garbage line\n{"id":"b","role":"user","content":"two","timestamp":5}\n');

    const sick = await cli(dir, 'doctor', '--json');
    expect(sick.code).toBe(1);
    const report = JSON.parse(sick.stdout);
    expect(report).toMatchObject({ healthy: false, checked: 1, problems: 1 });
    expect(report.chats[0].report.problems[0]).toMatchObject({ kind: 'invalid_line', line: 3 });

    const fixed = await cli(dir, 'repair', c.chatId, '--json');
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.stdout)[0]).toMatchObject({ chatId: c.chatId, repaired: true });
    expect((await cli(dir, 'doctor')).code).toBe(0);

    const list = JSON.parse((await cli(dir, 'list', '--json')).stdout);
    expect(list).toEqual([expect.objectContaining({ chatId: c.chatId, messageCount: 2 })]);
    const backups = JSON.parse((await cli(dir, 'backups', c.chatId, '--json')).stdout);
    expect(backups).toHaveLength(1);
    expect(backups[0].label).toBe('before repair');
    const restored = await cli(dir, 'restore', c.chatId, backups[0].backupId, '--json');
    expect(JSON.parse(restored.stdout)).toMatchObject({ chatId: c.chatId, undoBackupId: expect.any(String) });
    expect((await cli(dir, 'doctor')).code).toBe(1); // the damaged original is back, as asked
    // Each backup says why it was taken, in --json and in the text listing.
    const after = JSON.parse((await cli(dir, 'backups', c.chatId, '--json')).stdout);
    expect(after.map((b: { label: string }) => b.label)).toEqual(['before restore', 'before repair']);
    expect((await cli(dir, 'backups', c.chatId)).stdout).toContain('(before restore)');

    // A character of the app's registry without any chat counts too.
    const { openCharacterRegistry } = await import('../../electron/app-data/characters.ts');
    await openCharacterRegistry(dir).create('Chatless');
    const stats = JSON.parse((await cli(dir, 'stats', '--json')).stdout);
    expect(stats).toMatchObject({ chats: 1, characters: 2 });
    expect(stats.folders.backups.files).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('trash and undelete; write commands refuse while the app holds the lock', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    const c = await s.createChat({ characterId: 'bob' });
    await s.deleteChat(c.chatId);
    const locked = await cli(dir, 'undelete', c.chatId);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/LOCKED/);
    await s.close();
    const trash = JSON.parse((await cli(dir, 'trash', '--json')).stdout);
    expect(trash).toEqual([expect.objectContaining({ chatId: c.chatId, characterId: 'bob' })]);
    expect((await cli(dir, 'undelete', c.chatId)).code).toBe(0);
    expect(JSON.parse((await cli(dir, 'trash', '--json')).stdout)).toEqual([]);
  }, 60_000);

  it('undelete <chatId> <trashId> restores the copy trash names when one chat is in the trash twice', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    const c = await s.createChat({ characterId: 'bob' });
    await s.appendMessage(c.chatId, { role: 'user', content: 'first life' });
    await s.deleteChat(c.chatId);
    // The chat's file comes back (a sync tool), one message longer, and is deleted again.
    const [trashed] = await readdir(join(dir, 'trash', 'bob'));
    await writeFile(chatPath(dir, 'bob', c.chatId), `${await readFile(join(dir, 'trash', 'bob', trashed!), 'utf8')}{"id":"x2","role":"user","content":"second life","timestamp":2}\n`);
    await s.refreshChat(c.chatId, 'bob');
    await new Promise((r) => setTimeout(r, 5));
    await s.deleteChat(c.chatId);
    await s.close();
    const trash = JSON.parse((await cli(dir, 'trash', '--json')).stdout) as { trashId: string; messageCount: number }[];
    expect(trash.map((t) => t.messageCount).sort()).toEqual([1, 2]);
    expect((await cli(dir, 'trash')).stdout).toContain(trash[0]!.trashId);
    const older = trash.find((t) => t.messageCount === 1)!;
    const r = await cli(dir, 'undelete', c.chatId, older.trashId, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ chatId: c.chatId, messageCount: 1 });
    expect(JSON.parse((await cli(dir, 'trash', '--json')).stdout)).toEqual([expect.objectContaining({ messageCount: 2 })]);
  }, 60_000);

  it('--data-dir=DIR (one argument) names the data folder as --data-dir DIR does', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    const c = await s.createChat({ characterId: 'alice', title: 'T' });
    await s.close();
    const r = await run(process.execPath, [CLI, `--data-dir=${dir}`, 'list', '--json'], { env: { ...process.env, CARDSHARK_DATA_DIR: '' } });
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ chatId: c.chatId })]);
  }, 60_000);
});
