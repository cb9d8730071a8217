// Per-device state (issue 17): two computers on one synced data folder each keep their own lock,
// index and caches under devices/<deviceId>/, so neither waits on the other; two processes of one
// computer (one device id) still exclude each other by the lock.
import { spawn } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { currentDeviceId, deviceIdFor } from '../../electron/store/device-id.ts';
import { Layout } from '../../electron/store/layout.ts';
import { STIGNORE } from '../../electron/store/stignore.ts';
import { openChatStore } from '../../electron/store/index.ts';
import { tempDir } from './helpers.ts';
import { startStoreProcess, stdoutLines, type StoreProcess } from './store-process.ts';

const HOLDER = fileURLToPath(new URL('./lock-holder.ts', import.meta.url));
const running: StoreProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.kill()));
});

const envWith = (deviceId: string | undefined): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.CARDSHARK_DEVICE_ID;
  if (deviceId) env.CARDSHARK_DEVICE_ID = deviceId;
  return env;
};

async function start(dataDir: string, opts: Parameters<typeof startStoreProcess>[2]): Promise<StoreProcess> {
  const p = await startStoreProcess(dataDir, 50, opts);
  running.push(p);
  return p;
}

/** Both processes create a chat and append to it and to the other's: every call succeeds. */
async function bothWrite(a: StoreProcess, b: StoreProcess): Promise<void> {
  const chatA = (await a.call('createChat', { characterId: 'alice', title: 'from a' })).ok.chatId as string;
  const chatB = (await b.call('createChat', { characterId: 'alice', title: 'from b' })).ok.chatId as string;
  for (let i = 0; i < 5; i++) {
    expect(await a.call('appendMessage', chatA, { id: `a${i}`, role: 'user', content: `a ${i}` })).toMatchObject({ ok: { id: `a${i}` } });
    expect(await b.call('appendMessage', chatB, { id: `b${i}`, role: 'user', content: `b ${i}` })).toMatchObject({ ok: { id: `b${i}` } });
  }
}

describe('device ids', () => {
  it('are <hostname>-<8 hex>, lowercase, at most 64 chars; another hostname or machine gives another id', () => {
    const id = deviceIdFor('My_Laptop.local', 'abc');
    expect(id).toMatch(/^my-laptop-local-[0-9a-f]{8}$/);
    // The same id in every version (it names this device's folder): sha256 of "abc\0My_Laptop.local".
    expect(id).toBe('my-laptop-local-4bd35a90');
    expect(deviceIdFor('My_Laptop.local', 'abc')).toBe(id);
    expect(deviceIdFor('pc-a', 'abc').slice(-8)).not.toBe(deviceIdFor('pc-b', 'abc').slice(-8)); // the hash covers the hostname
    expect(deviceIdFor('pc', 'm1')).not.toBe(deviceIdFor('pc', 'm2'));
    const long = deviceIdFor('x'.repeat(300), '');
    expect(long.length).toBeLessThanOrEqual(64);
    expect(deviceIdFor('---', '')).toMatch(/^device-[0-9a-f]{8}$/);
  });

  it('CARDSHARK_DEVICE_ID overrides it; a bad one is INVALID_INPUT, not a path', () => {
    expect(currentDeviceId({ CARDSHARK_DEVICE_ID: 'laptop-2' })).toBe('laptop-2');
    for (const bad of ['../x', 'A', 'a/b', '-a', 'x'.repeat(65), 'a b']) {
      expect(() => currentDeviceId({ CARDSHARK_DEVICE_ID: bad })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });
});

describe('two devices on one data folder', () => {
  it('two processes with different device ids both open and write; each has its own lock and index', async () => {
    const dir = tempDir();
    const a = await start(dir, { env: envWith('desk-1') });
    const b = await start(dir, { env: envWith('laptop-2') });
    await bothWrite(a, b);
    await a.call('close');
    await b.call('close');
    for (const id of ['desk-1', 'laptop-2']) expect(existsSync(new Layout(dir, id).indexFile)).toBe(true);
    expect(existsSync(join(dir, 'index.json'))).toBe(false);
    expect(existsSync(join(dir, 'cardshark.lock'))).toBe(false);
    expect((await readdir(join(dir, 'devices'))).sort()).toEqual(['desk-1', 'laptop-2']);
    // Both see all chats.
    const s = await openChatStore({ dataDir: dir });
    expect((await s.listChats('alice')).map((c) => c.title).sort()).toEqual(['from a', 'from b']);
    await s.close();
  });

  it('a second process with the same device id is refused (LOCKED) as before', async () => {
    const dir = tempDir();
    const holder = spawn(process.execPath, [HOLDER, dir], { env: envWith('desk-1') });
    const next = stdoutLines(holder);
    expect(await next()).toBe('HELD');
    const second = spawn(process.execPath, [HOLDER, dir], { env: envWith('desk-1') });
    expect(JSON.parse(await stdoutLines(second)())).toMatchObject({ code: 'LOCKED', details: { pid: holder.pid } });
    // Another device is not held up.
    const other = spawn(process.execPath, [HOLDER, dir], { env: envWith('laptop-2') });
    expect(await stdoutLines(other)()).toBe('HELD');
    for (const c of [holder, other]) {
      const exited = new Promise((r) => c.once('exit', r));
      c.stdin.write('release\n');
      await exited;
    }
  });

  it('writes a .stignore for Syncthing that leaves devices/ alone, and never rewrites an edited one', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    await s.close();
    const text = await readFile(join(dir, STIGNORE), 'utf8');
    expect(text.split('\n')).toContain('/devices');
    await writeFile(join(dir, STIGNORE), '/devices\n// mine\n');
    const again = await openChatStore({ dataDir: dir });
    await again.close();
    expect(await readFile(join(dir, STIGNORE), 'utf8')).toBe('/devices\n// mine\n');
  });
});

/** Kernel start time of `pid` (field 22 of /proc/<pid>/stat), as the lock records it. */
function startTimeOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

describe.skipIf(process.platform !== 'linux')('the lock of an earlier version (<data>/cardshark.lock)', () => {
  it('held by a live process on this computer: refused (LOCKED), nothing opened; from another computer or a dead process: ignored', async () => {
    const dir = tempDir();
    const old = spawn('sleep', ['60']);
    try {
      const legacy = join(dir, 'cardshark.lock');
      await writeFile(legacy, JSON.stringify({ pid: old.pid, hostname: hostname(), procStart: startTimeOf(old.pid!), token: 'old-version', acquiredAt: Date.now() }));
      await expect(openChatStore({ dataDir: dir })).rejects.toMatchObject({ code: 'LOCKED', details: { pid: old.pid, legacy: true } });
      expect(existsSync(new Layout(dir).lockFile)).toBe(false);
      await writeFile(legacy, JSON.stringify({ pid: old.pid, hostname: 'laptop.example', procStart: '1', token: 'old-version', acquiredAt: Date.now() }));
      await (await openChatStore({ dataDir: dir })).close();
    } finally {
      old.kill('SIGKILL');
    }
    await new Promise((r) => old.once('exit', r));
    await writeFile(join(dir, 'cardshark.lock'), JSON.stringify({ pid: old.pid, hostname: hostname(), procStart: '1', token: 'old-version', acquiredAt: Date.now() }));
    await (await openChatStore({ dataDir: dir })).close();
  });
});

/** Whether this process may make a UTS namespace and set a hostname there (root, unshare from util-linux). */
function canUnshareUts(): boolean {
  const r = spawnSync('unshare', ['--uts', 'sh', '-c', 'hostname cardshark-probe && hostname'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === 'cardshark-probe';
}
const unshareOk = canUnshareUts();

describe('two hostnames (UTS namespaces) on one data folder', () => {
  if (!unshareOk) console.warn('skipping the UTS namespace device test: `unshare --uts` with a hostname is not permitted here (it needs root and util-linux)');
  it.skipIf(!unshareOk)('give two device ids; both open and write without waiting', async () => {
    const dir = tempDir();
    const wrap = (host: string) => ['unshare', '--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', host];
    const a = await start(dir, { env: envWith(undefined), wrap: wrap('pc-a') });
    const b = await start(dir, { env: envWith(undefined), wrap: wrap('pc-b') });
    await bothWrite(a, b);
    await a.call('close');
    await b.call('close');
    const ids = (await readdir(join(dir, 'devices'))).sort();
    expect(ids).toHaveLength(2);
    expect(ids[0]).toMatch(/^pc-a-[0-9a-f]{8}$/);
    expect(ids[1]).toMatch(/^pc-b-[0-9a-f]{8}$/);
    for (const id of ids) expect(existsSync(new Layout(dir, id).lockFile)).toBe(false); // released at close
  });
});
