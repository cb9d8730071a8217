// `npm run cli` while the app is open (issue 16): the running app carries the command out and the
// CLI prints the same output; the app's windows hear of the result at once. A real browser host
// process, a real CLI process, a real WebSocket client standing in for a window.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Layout } from '../../electron/store/layout.ts';
import { startHost, tempRoot, type RunningHost } from '../e2e/host.ts';

const exec = promisify(execFile);
const CLI = join(import.meta.dirname, '..', '..', 'electron', 'entry', 'cli.ts');
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Run = { code: number; stdout: string; stderr: string };
async function cli(dir: string, args: string[], opts: { cwd?: string; uid?: number; gid?: number } = {}): Promise<Run> {
  try {
    const r = await exec(process.execPath, [CLI, '--data-dir', dir, ...args], { env: { ...process.env, CARDSHARK_DATA_DIR: '', INIT_CWD: opts.cwd ?? process.cwd() }, ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid! } : {}) });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function host(): Promise<{ dir: string; h: RunningHost; events: { event: string; payload: any }[] }> {
  const dir = await tempRoot();
  const h = await startHost(dir);
  cleanups.push(() => h.stop());
  const ws = new WebSocket(`ws://127.0.0.1:${new URL(h.url).port}/ws?token=${h.token}`, { origin: h.origin });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  cleanups.push(async () => ws.close());
  const events: { event: string; payload: any }[] = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.kind === 'event') events.push({ event: msg.event, payload: msg.payload });
  });
  return { dir, h, events };
}

const stChat = (n: number) =>
  [JSON.stringify({ user_name: 'You', character_name: 'Lantern Keeper', create_date: '2024-01-01 @10h 00m 00s 000ms', chat_metadata: {} })]
    .concat(Array.from({ length: n }, (_, i) => JSON.stringify({ name: i % 2 ? 'Lantern Keeper' : 'You', is_user: i % 2 === 0, send_date: 1_700_000_000_000 + i, mes: `message ${i}` })))
    .join('\n');

describe('the CLI while the app runs', () => {
  it('import, list and export are carried out by the running app; its window hears of the new chat at once', { timeout: 60_000 }, async () => {
    const { dir, events } = await host();
    const src = join(await tempRoot(), 'keeper.jsonl');
    await writeFile(src, stChat(40));

    const imported = await cli(dir, ['import', 'keeper.jsonl', '--json'], { cwd: join(src, '..') });
    expect(imported.stderr).not.toMatch(/LOCKED/);
    expect(imported.code).toBe(0);
    const report = JSON.parse(imported.stdout);
    expect(report.chats).toHaveLength(1);
    const chat = report.chats[0];
    expect(chat).toMatchObject({ status: 'created', messageCount: 40 });
    // The window heard of it without asking: the new chat and its character.
    expect(events.some((e) => e.event === 'chat:changed' && e.payload.chatId === chat.chatId && e.payload.summary.messageCount === 40)).toBe(true);
    expect(events.some((e) => e.event === 'characters:changed')).toBe(true);

    const listed = await cli(dir, ['list', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((c: { chatId: string }) => c.chatId)).toContain(chat.chatId);

    const out = join(await tempRoot(), 'back.jsonl');
    const exported = await cli(dir, ['export', chat.chatId, '--format', 'st', '--out', out]);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/wrote 40 messages/);
    expect((await readFile(out, 'utf8')).split('\n').filter(Boolean)).toHaveLength(41);

    // Errors come back as the CLI prints them.
    const bad = await cli(dir, ['show', 'not-a-chat']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^[A-Z_]+: /);
  });

  it('once the app has quit, the CLI opens the folder itself; while it runs, its door file is readable by the user alone', { timeout: 60_000 }, async () => {
    const { dir, h } = await host();
    const door = await stat(new Layout(dir).controlFile);
    expect(door.mode & 0o077).toBe(0);
    expect((await cli(dir, ['create', 'someone', 'made here', '--json'])).code).toBe(0);
    await h.stop();
    const listed = await cli(dir, ['list', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((c: { title: string }) => c.title)).toContain('made here');
  });

  it('the door folder of an app killed with SIGKILL is removed when the app starts again', { timeout: 60_000 }, async () => {
    const { dir, h } = await host();
    const crashed = JSON.parse(await readFile(new Layout(dir).controlFile, 'utf8')) as { socket: string };
    h.proc.kill('SIGKILL');
    await new Promise((r) => h.proc.once('exit', r));
    expect(existsSync(crashed.socket)).toBe(true);
    const again = await startHost(dir);
    cleanups.push(() => again.stop());
    expect(existsSync(dirname(crashed.socket))).toBe(false);
    expect((await cli(dir, ['list', '--json'])).code).toBe(0);
  });

  // As root only (to run a process as another user), with a node that user may run: the project's
  // own node may sit under a private (0700) folder, as in CI's clone.
  const SYSTEM_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p));
  it.skipIf(process.getuid?.() !== 0 || !SYSTEM_NODE)('another user can neither read the door file nor connect to the socket, even with the data folder open to all', { timeout: 60_000 }, async () => {
    const { dir, events } = await host();
    // The folders themselves do not protect the door (the data folder, and this device's folder in it).
    for (const d of [dir, join(dir, 'devices'), new Layout(dir).deviceDir]) await chmod(d, 0o755);
    const door = JSON.parse(await readFile(new Layout(dir).controlFile, 'utf8')) as { socket: string; token: string };
    const probe = `
      const fs = require('node:fs'), net = require('node:net');
      let read; try { fs.readFileSync(${JSON.stringify(new Layout(dir).controlFile)}); read = 'read'; } catch (e) { read = e.code; }
      const c = net.createConnection(${JSON.stringify(door.socket)});
      c.on('connect', () => { c.write(JSON.stringify({ token: ${JSON.stringify(door.token)}, argv: ['create', 'someone', 'intruder'], cwd: '/' }) + '\\n'); c.on('data', () => {}); c.on('end', () => { console.log(read + ' connected'); }); });
      c.on('error', (e) => console.log(read + ' ' + e.code));`;
    const before = events.length;
    const r = await exec(SYSTEM_NODE!, ['-e', probe], { uid: 65534, gid: 65534 });
    expect(r.stdout.trim()).toBe('EACCES EACCES');
    // The user's own CLI still gets in.
    expect((await cli(dir, ['list', '--json'])).code).toBe(0);
    expect(events.slice(before).some((e) => e.event === 'chat:changed')).toBe(false);
  });
});
