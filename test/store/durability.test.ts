// Directory entries survive a power cut: every directory the store creates (the data directory
// included) and every rename/link target is fsync'd in its parent before the call is acknowledged.
// The lock is the one entry made durable in the background: before any write is acknowledged, and
// before the store creates any other entry.
// Checked on the real syscalls of a real child process, recorded with strace.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { Layout } from '../../electron/store/layout.ts';
import { tempDir } from './helpers.ts';

const STRACE = '/usr/bin/strace';
const child = fileURLToPath(new URL('./durability-child.ts', import.meta.url));

type Event = { kind: 'create'; path: string; call: string } | { kind: 'fsync'; path: string } | { kind: 'ack'; step: string };

/** strace -f output → events in completion order (an interrupted call counts where it resumed). */
function parseTrace(text: string, markDir: string): Event[] {
  const pending = new Map<string, string>();
  const events: Event[] = [];
  for (const raw of text.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(raw);
    if (!m) continue;
    const [, pid, rest] = m as unknown as [string, string, string];
    let line = rest;
    if (line.endsWith('<unfinished ...>')) {
      pending.set(pid, line.slice(0, -'<unfinished ...>'.length));
      continue;
    }
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(line);
    if (resumed) {
      line = (pending.get(pid) ?? '') + resumed[1];
      pending.delete(pid);
    }
    const call = /^(\w+)\(/.exec(line)?.[1];
    const ok = /\)\s+=\s+0$/.test(line);
    const strings = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]!);
    if ((call === 'mkdir' || call === 'mkdirat') && ok) events.push({ kind: 'create', path: strings[0]!, call });
    else if (/^(rename|renameat2?|link|linkat)$/.test(call ?? '') && ok) {
      events.push({ kind: 'create', path: strings[strings.length - 1]!, call: call! });
      // A rename also removes the source entry: that must be durable too (deleteChat).
      if (call!.startsWith('rename')) events.push({ kind: 'create', path: strings[0]!, call: `${call} (source)` });
    } else if ((call === 'fsync' || call === 'fdatasync') && ok) {
      const fdPath = /^\w+\(\d+<([^>]*)>/.exec(line)?.[1];
      if (fdPath) events.push({ kind: 'fsync', path: fdPath });
    } else if (call === 'openat' && strings.some((s) => s.startsWith(join(markDir, 'ACK-')))) {
      events.push({ kind: 'ack', step: strings.find((s) => s.startsWith(join(markDir, 'ACK-')))!.slice(join(markDir, 'ACK-').length) });
    }
  }
  return events;
}

const LOCK = '/cardshark.lock';
/** An open acknowledges no write: the lock it took is made durable in the background (dir-lock.ts). */
const OPENS = ['open', 'reopen'];

/**
 * Entries under `root` whose parent was not fsync'd after them and before the next
 * acknowledgement; the lock's link may stay so past the acknowledgement of an open (only).
 */
function unsyncedEntries(events: Event[], root: string): string[] {
  const problems: string[] = [];
  let open: { path: string; call: string }[] = [];
  for (const e of events) {
    if (e.kind === 'create' && e.path.startsWith(root)) open.push(e);
    else if (e.kind === 'fsync') open = open.filter((c) => dirname(c.path) !== e.path);
    else if (e.kind === 'ack') {
      const late = (c: { path: string; call: string }) => !(OPENS.includes(e.step) && c.path.endsWith(LOCK) && c.call.startsWith('link'));
      problems.push(...open.filter(late).map((c) => `${c.call} ${c.path.slice(root.length)} before ack ${e.step}`));
      open = open.filter((c) => !late(c));
    }
  }
  return problems;
}

/** Entries the store created under `root` while the lock it had just linked was not yet durable in its folder. */
function writesBeforeLockDurable(events: Event[], root: string): string[] {
  const problems: string[] = [];
  let lockDir: string | null = null;
  for (const e of events) {
    if (e.kind === 'create' && e.path.endsWith(LOCK) && e.call.startsWith('link')) lockDir = dirname(e.path);
    else if (e.kind === 'fsync' && e.path === lockDir) lockDir = null;
    else if (e.kind === 'create' && lockDir && e.path.startsWith(root)) problems.push(`${e.call} ${e.path.slice(root.length)}`);
  }
  return problems;
}

describe('durable directory entries', () => {
  if (!existsSync(STRACE)) console.warn(`skipping the strace test: ${STRACE} is not installed (apt-get install strace)`);
  it.skipIf(!existsSync(STRACE))('fsyncs the parent of every created directory and rename/link target before acknowledging (strace)', async () => {
    const root = tempDir();
    const dataDir = join(root, 'nested', 'deeper', 'data');
    const markDir = join(root, 'marks');
    const traceFile = join(root, 'trace.txt');
    await promisify(execFile)(
      STRACE,
      ['-f', '-y', '-s', '4096', '-e', 'trace=mkdir,mkdirat,openat,fsync,fdatasync,rename,renameat,renameat2,link,linkat', '-o', traceFile, process.execPath, child, dataDir, markDir],
      { timeout: 60_000 },
    );
    const events = parseTrace(await readFile(traceFile, 'utf8'), markDir);
    expect(events.filter((e) => e.kind === 'ack').map((e) => (e as { step: string }).step)).toEqual(['open', 'createChat', 'append1', 'append2', 'compact', 'close', 'reopen', 'load', 'deleteChat', 'settings', 'end']);
    // The trace really covers every kind of new entry: nested data dir, chat, backup, quarantine, trash, app document.
    const created = events.filter((e) => e.kind === 'create').map((e) => (e as { path: string }).path.slice(root.length));
    const device = new Layout(dataDir).deviceDir.slice(root.length); // this device's own folder: the lock, the settings
    for (const expected of ['/nested', '/nested/deeper', '/nested/deeper/data', '/nested/deeper/data/chats/alice', '/nested/deeper/data/backups', '/nested/deeper/data/quarantine', '/nested/deeper/data/trash/alice', '/nested/deeper/data/devices', device, `${device}/app`, `${device}/app/config.json`, `${device}/cardshark.lock`]) {
      expect(created).toContain(expected);
    }
    expect(created.some((p) => p.startsWith('/nested/deeper/data/backups/') && p.endsWith('.jsonl'))).toBe(true);
    expect(created.some((p) => p.startsWith('/nested/deeper/data/quarantine/') && p.endsWith('.bin'))).toBe(true);
    expect(unsyncedEntries(events, root)).toEqual([]);
    expect(writesBeforeLockDurable(events, root)).toEqual([]);
  }, 90_000);

});

describe.skipIf(process.platform === 'win32')('data directory mode', () => {
  it('creates a new data directory (and its missing parents) private to the user, 0700', async () => {
    const root = tempDir();
    const dataDir = join(root, 'new-parent', 'data');
    const s = await openChatStore({ dataDir });
    await s.close();
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect((await stat(dirname(dataDir))).mode & 0o777).toBe(0o700);
  });

  it('leaves the mode of an existing data directory as it is', async () => {
    const dataDir = join(tempDir(), 'data');
    await mkdir(dataDir, { mode: 0o755 });
    const s = await openChatStore({ dataDir });
    await s.close();
    expect((await stat(dataDir)).mode & 0o777).toBe(0o755);
  });
});
