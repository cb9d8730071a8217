// The data-directory lock, across real processes.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { tempDir } from './helpers.ts';

const holderScript = fileURLToPath(new URL('./lock-holder.ts', import.meta.url));

function startHolder(dir: string): Promise<{ child: ChildProcessWithoutNullStreams; first: string }> {
  const child = spawn(process.execPath, [holderScript, dir]);
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').once('data', (d: string) => resolve({ child, first: d.trim() }));
    child.once('error', reject);
  });
}
const exited = (c: ChildProcessWithoutNullStreams) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)));

describe('data directory lock', () => {
  it('refuses a second store in the same process with LOCKED', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    await expect(openChatStore({ dataDir: dir })).rejects.toMatchObject({ code: 'LOCKED', details: { pid: process.pid } });
    await s.close();
    const again = await openChatStore({ dataDir: dir });
    await again.close();
  });

  it('tells a second process who holds the lock, and that process writes nothing', async () => {
    const dir = tempDir();
    const { child, first } = await startHolder(dir);
    expect(first).toBe('HELD');
    const before = await readdir(dir, { recursive: true });
    await expect(openChatStore({ dataDir: dir })).rejects.toMatchObject({ code: 'LOCKED', details: { pid: child.pid } });
    const second = await startHolder(dir);
    expect(JSON.parse(second.first)).toMatchObject({ code: 'LOCKED', details: { pid: child.pid } });
    await exited(second.child);
    expect(await readdir(dir, { recursive: true })).toEqual(before);
    child.stdin.write('release\n');
    await exited(child);
    const s = await openChatStore({ dataDir: dir });
    await s.close();
  });

  it('recovers at once from the lock of a SIGKILLed process', async () => {
    const dir = tempDir();
    const { child } = await startHolder(dir);
    child.kill('SIGKILL');
    await exited(child);
    expect(JSON.parse(await readFile(join(dir, 'cardshark.lock'), 'utf8'))).toMatchObject({ pid: child.pid });
    const s = await openChatStore({ dataDir: dir });
    expect(JSON.parse(await readFile(join(dir, 'cardshark.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    await s.close();
  });

  it('treats a lock whose pid now belongs to another process (pid reuse) as stale', async () => {
    const dir = tempDir();
    // pid 1 is alive, but its start time is not the one recorded.
    await writeFile(join(dir, 'cardshark.lock'), JSON.stringify({ pid: 1, hostname: hostname(), procStart: '1', token: 't', acquiredAt: 0 }));
    const s = await openChatStore({ dataDir: dir });
    await s.close();
  });

  it('of many processes racing for a stale lock, exactly one wins', async () => {
    const dir = tempDir();
    await writeFile(join(dir, 'cardshark.lock'), JSON.stringify({ pid: 2 ** 22 + 7, hostname: hostname(), procStart: null, token: 'dead', acquiredAt: 0 }));
    const racers = await Promise.all(Array.from({ length: 6 }, () => startHolder(dir)));
    const held = racers.filter((r) => r.first === 'HELD');
    expect(held).toHaveLength(1);
    for (const r of racers) if (r.first !== 'HELD') expect(JSON.parse(r.first)).toMatchObject({ code: 'LOCKED', details: { pid: held[0]!.child.pid } });
    held[0]!.child.stdin.write('release\n');
    await Promise.all(racers.map((r) => exited(r.child)));
  });
});
