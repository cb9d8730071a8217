// The CLI's import and export commands, as a user runs them (a child process, real files).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonl, tempDir, treeHash, writeSource } from './helpers.ts';
import { Layout } from '../../electron/store/layout.ts';

const CLI = join(import.meta.dirname, '..', '..', 'electron', 'entry', 'cli.ts');
const cli = (dataDir: string, ...args: string[]) => spawnSync(process.execPath, [CLI, ...args, '--data-dir', dataDir], { encoding: 'utf8', timeout: 60_000 });

const header = { user_name: 'You', character_name: 'Seraphina', create_date: '2024-10-18@20h52m30s', chat_metadata: {} };
const m = (mes: string, isUser: boolean) => ({ name: isUser ? 'You' : 'Seraphina', is_user: isUser, is_system: false, send_date: '2024-10-18T20:52:30.000Z', mes, extra: {} });

describe('cli import / export', () => {
  it('imports a folder (text and --json), is idempotent, reports damaged lines, exports both formats', () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const src = join(dir, 'chats');
    writeSource(join(src, 'Seraphina', 'one.jsonl'), jsonl(header, m('a', true), m('b', false)));
    writeSource(join(src, 'Seraphina', 'two.jsonl'), `${jsonl(header, m('c', true))}\n{"broken`);
    const before = treeHash(src);

    const text = cli(dataDir, 'import', src, '--character', 'sera');
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^created {2}[0-9a-f-]{36} {2}sera {2}"one" {2}2 messages$/m);
    expect(text.stdout).toMatch(/^ {2}not imported: Seraphina\/two\.jsonl:3: not valid JSON: the last line is cut off$/m);
    expect(text.stdout).toMatch(/2 chat\(s\) created, 0 already imported, 1 line\(s\) not imported, 0 source\(s\) failed/);

    // The import left index.json current: the next start lists the chats without reading them again.
    const index = JSON.parse(readFileSync(new Layout(dataDir).indexFile, 'utf8')) as { chats: { summary: { title: string; messageCount: number; revision: number; sizeBytes: number }; file: { size: number; ino?: string; mtimeNs?: string } }[] };
    expect(index.chats.map((e) => [e.summary.title, e.summary.messageCount]).sort()).toEqual([['one', 2], ['two', 1]]);
    for (const e of index.chats) expect(e.file).toMatchObject({ size: e.summary.sizeBytes, ino: expect.any(String), mtimeNs: expect.any(String) });

    const again = cli(dataDir, 'import', src, '--json');
    expect(again.status, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as { chats: { chatId: string; status: string; messageCount: number; characterId: string }[] };
    expect(report.chats.map((c) => [c.status, c.messageCount, c.characterId])).toEqual([
      ['already_imported', 2, 'sera'],
      ['already_imported', 1, 'sera'],
    ]);
    expect(treeHash(src)).toBe(before);

    const list = JSON.parse(cli(dataDir, 'list', 'sera', '--json').stdout) as unknown[];
    expect(list).toHaveLength(2);

    const out = join(dir, 'out.jsonl');
    const ex = cli(dataDir, 'export', report.chats[0]!.chatId, '--format', 'st', '--out', out, '--json');
    expect(ex.status, ex.stderr).toBe(0);
    expect(JSON.parse(ex.stdout)).toMatchObject({ format: 'st', messages: 2, out });
    const lines = readFileSync(out, 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[2]!)).toMatchObject({ mes: 'b', is_user: false, name: 'Seraphina' });

    const v1 = cli(dataDir, 'export', report.chats[0]!.chatId, '--format', 'v1', '--out', join(dir, 'v1.jsonl'));
    expect(v1.stdout).toMatch(/^wrote 2 messages \(\d+ bytes, v1\) to /);
    expect(JSON.parse(readFileSync(join(dir, 'v1.jsonl'), 'utf8').split('\n')[0]!)).toMatchObject({ format: 'cardshark-chat', version: 1, character_id: 'sera' });
  }, 120_000); // six CLI processes, on a shared machine

  it('bad arguments are typed errors with a non-zero exit', () => {
    const dir = tempDir();
    const missing = cli(join(dir, 'data'), 'import', join(dir, 'nope'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^NOT_FOUND: /);
    const fmt = cli(join(dir, 'data'), 'export', '6f1c1f7e-3b1d-4c59-9a53-0f4f1d0b2a11', '--format', 'xml', '--out', join(dir, 'x'));
    expect(fmt.status).toBe(1);
    expect(fmt.stderr).toMatch(/^INVALID_INPUT: --format must be st or v1/);
  }, 60_000);
});
