// Copies of a chat whose id is taken (a chat file copied by hand under another name) are imported
// by the chats watcher (a sync tool's conflict copy is merged instead: conflict-merge.test.ts): the same bytes
// at most once, and all or nothing. Real files, real chokidar events, real processes: `touch`,
// another process deleting and writing the file again, and an importing process SIGKILLed.
import { execFile, spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../electron/durable/durable.ts';
import { openChatStore } from '../../electron/store/index.ts';
import { chatIdFromHash } from '../../electron/store/import-chat.ts';
import { createServices } from '../../electron/ipc/services.ts';
import type { ChatStore } from '../../electron/store/types.ts';
import { tempDir } from '../store/helpers.ts';
import { external, messageLine, startServices, until } from './helpers.ts';
import { Layout } from '../../electron/store/layout.ts';

const run = promisify(execFile);
const CHILD = path.join(import.meta.dirname, 'import-child.ts');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** The store and the services (with the watcher) on a data directory, as the app starts them. */
async function start(dataDir: string) {
  const { store, services, events } = await startServices(cleanups, dataDir);
  return { store, services, events };
}

/** The chats imported from a file named `name` (titled "… (from <name>)"). */
async function importsOf(store: ChatStore, characterId: string, name: string) {
  return (await store.listChats(characterId)).filter((c) => c.title.endsWith(`(from ${name})`));
}

/** A chat of `n` messages in character `cz`, closed; returns its file's bytes and folder. */
async function chatWith(dataDir: string, n: number) {
  const store = await openChatStore({ dataDir });
  const chat = await store.createChat({ characterId: 'cz', title: 'Synced' });
  for (let i = 0; i < n; i += 500) {
    await store.appendMessages(chat.chatId, Array.from({ length: Math.min(500, n - i) }, (_, k) => ({ role: 'user' as const, content: `message ${i + k} ${'x'.repeat(150)}`, timestamp: 1_700_000_000_000 + i + k })));
  }
  await store.close();
  const dir = path.join(dataDir, 'chats', 'cz');
  return { chatId: chat.chatId, dir, bytes: await readFile(path.join(dir, `${chat.chatId}.jsonl`), 'utf8') };
}

describe('a conflict file is imported at most once (the same bytes)', () => {
  it('a touch and a re-download of the same bytes (with a live watcher, and while the app is closed) import nothing more; other bytes are imported', async () => {
    const dataDir = tempDir();
    const { chatId, dir, bytes } = await chatWith(dataDir, 2);
    let app = await start(dataDir);
    const name = `${chatId} copy-20250102-030405-XYZ1234.jsonl`;
    const file = path.join(dir, name);
    const theirs = `${bytes}${messageLine('there-1', 'from the laptop')}`;
    await external('write', file, theirs);
    await until(() => app.events.find(([n, p]) => n === 'chat:changed' && p.source === 'external' && p.chatId !== chatId), 5000, 'the conflict file imported');
    await app.services.watcher!.idle();
    expect((await importsOf(app.store, 'cz', name)).map((c) => c.messageCount)).toEqual([3]);

    /** Waits until the watcher has seen what happened to the files so far: an outside append to the original chat, seen, then idle. */
    let marks = 0;
    const settled = async () => {
      const id = `mark-${++marks}`;
      await external('append', path.join(dir, `${chatId}.jsonl`), messageLine(id, 'a mark'));
      await until(() => app.events.find(([n, p]) => n === 'chat:changed' && p.chatId === chatId && p.summary.messageCount === 2 + marks), 5000, `mark ${id} seen`);
      await app.services.watcher!.idle();
    };

    await sleep(20); // a later mtime even on a coarse clock
    await run('touch', [file]);
    await settled();
    expect(await importsOf(app.store, 'cz', name)).toHaveLength(1);

    // A re-download: another process deletes the file and writes the same bytes (a new inode).
    await external('delete', file);
    await external('write', file, theirs);
    await settled();
    expect(await importsOf(app.store, 'cz', name)).toHaveLength(1);

    // The same bytes under another name are the same bytes.
    const copyName = `${chatId} copy-20250102-030405-XYZ1234 (1).jsonl`;
    await external('write', path.join(dir, copyName), theirs);
    await settled();
    expect(await importsOf(app.store, 'cz', copyName)).toHaveLength(0);

    // Other bytes are imported (so the checks above can fail).
    const newer = `${theirs}${messageLine('there-2', 'more from the laptop')}`;
    const otherName = `${chatId} copy-20250103-030405-XYZ1234.jsonl`;
    await external('write', path.join(dir, otherName), newer);
    await settled();
    expect((await importsOf(app.store, 'cz', otherName)).map((c) => c.messageCount)).toEqual([4]);

    // While the app is closed: touched and downloaded again; the next start imports nothing.
    await app.services.shutdown();
    await sleep(20);
    await run('touch', [file]);
    await external('delete', path.join(dir, otherName));
    await external('write', path.join(dir, otherName), newer);
    app = await start(dataDir);
    await app.services.watcher!.idle();
    expect(await importsOf(app.store, 'cz', name)).toHaveLength(1);
    expect(await importsOf(app.store, 'cz', otherName)).toHaveLength(1);
    expect(await importsOf(app.store, 'cz', copyName)).toHaveLength(0);
    expect(await readFile(file, 'utf8')).toBe(theirs); // the file itself is left as it is
  }, 60_000);

  it('a record of imports written by an earlier version (dev:ino:size:mtime only) still counts', async () => {
    const dataDir = tempDir();
    const { chatId, dir, bytes } = await chatWith(dataDir, 1);
    const name = `${chatId} copy-20250102-030405-OLD0000.jsonl`;
    const file = path.join(dir, name);
    await writeFile(file, `${bytes}${messageLine('old-1', 'imported by an earlier version')}`);
    // An earlier version imported it and recorded the file's identity only.
    const st = await stat(file, { bigint: true });
    await mkdir(new Layout(dataDir).deviceAppDir, { recursive: true });
    await writeFile(path.join(new Layout(dataDir).deviceAppDir, 'imported-files.json'), JSON.stringify({ files: { [path.join('cz', name)]: `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}` } }));
    let app = await start(dataDir);
    await app.services.watcher!.idle();
    expect(await importsOf(app.store, 'cz', name)).toHaveLength(0);
    await app.services.shutdown();
    // Touched since: the earlier version's record still decides (the new one knows the bytes' hash).
    await sleep(20);
    await run('touch', [file]);
    app = await start(dataDir);
    await app.services.watcher!.idle();
    expect(await importsOf(app.store, 'cz', name)).toHaveLength(0);
  }, 30_000);
});

describe('a conflict file import is all or nothing', () => {
  it('an importing process SIGKILLed before and after the rename of its import leaves zero or one complete import, never a partial one; the next start completes it once', async () => {
    // Large enough that the import (read, parse, hash, serialise, write, fsync) takes a few hundred ms
    // here, so kills land inside it; the old import (a chat, then batches of 500) was cut mid-way.
    const N = 3000;
    const template = tempDir();
    const { chatId, dir: templateDir, bytes } = await chatWith(template, N);
    const name = `${chatId} copy-20250102-030405-KILL000.jsonl`;
    const conflict = `${bytes}${messageLine('there-1', 'from the laptop')}`;
    await writeFile(path.join(templateDir, name), conflict);
    // The file the import renames into place (its id is derived from the bytes): seen by inotify, it times the rename.
    const importFile = `${chatIdFromHash(sha256(conflict))}.jsonl`;

    /** Runs the importing child on a copy of the template; kills it `killAfterMs` after it starts watching (never, if undefined). */
    const child = async (killAfterMs?: number) => {
      const dataDir = tempDir();
      await cp(template, dataDir, { recursive: true });
      let watchingAt = 0;
      let renamedAt = 0;
      let doneAt = 0;
      const dirWatch = watch(path.join(dataDir, 'chats', 'cz'), (_event, file) => {
        if (file === importFile && !renamedAt) renamedAt = performance.now();
      });
      try {
        const killed = await new Promise<boolean>((resolve, reject) => {
          const c = spawn(process.execPath, [CHILD, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
          let timer: NodeJS.Timeout | undefined;
          c.stdout.setEncoding('utf8').on('data', (d: string) => {
            if (d.includes('watching')) {
              watchingAt = performance.now();
              if (killAfterMs !== undefined) timer = setTimeout(() => c.kill('SIGKILL'), killAfterMs);
            }
            if (d.includes('done')) doneAt = performance.now();
          });
          c.once('error', reject);
          c.once('exit', (_code, signal) => {
            clearTimeout(timer);
            resolve(signal === 'SIGKILL');
          });
        });
        return { dataDir, killed, renameMs: renamedAt ? renamedAt - watchingAt : null, doneMs: doneAt ? doneAt - watchingAt : null };
      } finally {
        dirWatch.close();
      }
    };

    // How long the import takes here, uninterrupted: when its rename lands, and when it is done.
    const calibration = await child();
    expect(calibration.renameMs, 'the import renamed into place').not.toBeNull();
    expect(calibration.doneMs).not.toBeNull();
    const rename = calibration.renameMs!;
    const afterRename = calibration.doneMs! - rename;

    /** Kills at `killAfterMs`, then checks what the crash left and what the next start makes of it. */
    const killedRun = async (label: string, killAfterMs: number) => {
      const r = await child(killAfterMs);
      // After the crash: zero or one import, and a complete one.
      const store = await openChatStore({ dataDir: r.dataDir });
      const after = await importsOf(store, 'cz', name);
      expect(after.length, label).toBeLessThanOrEqual(1);
      for (const c of after) expect(c.messageCount, `${label}: a partial import`).toBe(N + 1);
      expect((await readdir(path.join(r.dataDir, 'chats', 'cz'))).filter((f) => !f.endsWith('.jsonl')), `${label}: temp files left`).toEqual([]);
      // The next start imports it if it was not, and never a second time.
      const services = createServices<boolean>({ store, emit: () => {}, isTrustedSender: () => true });
      await services.ready;
      await services.watcher!.idle();
      expect((await importsOf(store, 'cz', name)).map((c) => c.messageCount), `${label}: after the next start`).toEqual([N + 1]);
      await services.shutdown();
      return r.killed ? (after.length === 0 ? 'before' : 'after') : 'exited';
    };

    // Kill points spread over the import before its rename, and over the rest of the run after it
    // (the directory fsync, the imports record, the notice): a crash between the import and its
    // record must not import the bytes twice.
    const outcomes = { before: 0, after: 0, exited: 0 };
    const points = [...[0.15, 0.4, 0.65, 0.9].map((f) => f * rename), ...[0.2, 0.5, 0.8].map((f) => rename + f * afterRename)];
    for (const [i, ms] of points.entries()) outcomes[await killedRun(`kill ${i} at ${ms.toFixed(0)} ms`, ms)]++;
    // Timing on a loaded machine varies: a side not reached yet gets a few more tries, aimed at it.
    for (let extra = 0; extra < 6 && (outcomes.before === 0 || outcomes.after === 0); extra++) {
      const ms = outcomes.before === 0 ? Math.random() * rename * 0.8 : rename + (0.2 + Math.random() * 0.6) * afterRename;
      outcomes[await killedRun(`extra kill ${extra} at ${ms.toFixed(0)} ms`, ms)]++;
    }
    // Both outcomes were seen: kills before the rename (nothing imported) and after it (the whole import).
    expect(outcomes.before, JSON.stringify(outcomes)).toBeGreaterThan(0);
    expect(outcomes.after, JSON.stringify(outcomes)).toBeGreaterThan(0);
  }, 300_000);
});
