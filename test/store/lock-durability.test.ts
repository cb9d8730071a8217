// Taking the data-folder lock fsyncs nothing on the way (a jump in a fresh process need not wait
// for the disk): the lock file and its folder are fsync'd in the background, and no write of the
// store starts, nor is acknowledged, before that is done (electron/store/lock/dir-lock.ts). The
// fsyncs are held, or failed, through the fs seam: a power cut cannot be made on demand, but what
// it would find can: no byte of this run on disk while the lock is not durable.
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeFs, openChatStore, type FsSeam } from '../../electron/store/index.ts';
import { Layout } from '../../electron/store/layout.ts';
import { chatPath, errnoError, tempDir } from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, sleep(ms).then(() => 'timed out' as const)]);

/**
 * A seam that holds (or fails) the fsync of the lock file and of its folder until `release()`,
 * and records, in order, those fsyncs and every open of a chat file for writing.
 */
function lockSyncSeam(dataDir: string, fail?: string) {
  const layout = new Layout(dataDir);
  const events: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const held = async (what: string, sync: () => Promise<void>) => {
    await released;
    if (fail) throw errnoError(fail);
    await sync();
    events.push(what);
  };
  const seam: FsSeam = {
    ...nodeFs,
    open: (async (path: string, flags?: string, mode?: number) => {
      const fh = await nodeFs.open(path, flags, mode);
      const p = String(path);
      const sync = fh.sync.bind(fh);
      // The lock is written to a private temp file, then linked into place: the same inode.
      if (basename(p).startsWith(`${basename(layout.lockFile)}.`) && p.endsWith('.tmp')) fh.sync = () => held('sync lock file', sync);
      else if (p === dirname(layout.lockFile) && (flags ?? 'r') === 'r') fh.sync = () => held('sync lock folder', sync);
      if (p.endsWith('.jsonl') && flags !== undefined && flags !== 'r') events.push(`open chat ${flags}`);
      return fh;
    }) as FsSeam['open'],
  };
  return { seam, events, release };
}

async function chatWithOneMessage(dataDir: string): Promise<{ chatId: string; path: string }> {
  const store = await openChatStore({ dataDir });
  const { chatId } = await store.createChat({ characterId: 'sera', title: 't' });
  await store.appendMessages(chatId, [{ role: 'user', content: 'before' }]);
  await store.close();
  return { chatId, path: chatPath(dataDir, 'sera', chatId) };
}

describe('the lock is made durable in the background; writes wait for it', () => {
  it('opens and reads while the fsyncs of the lock are held; an append neither starts nor is acknowledged until they are done', async () => {
    const dataDir = tempDir();
    const { chatId, path } = await chatWithOneMessage(dataDir);
    const before = await readFile(path);
    const { seam, events, release } = lockSyncSeam(dataDir);
    const store = await within(openChatStore({ dataDir, fs: seam }), 5_000);
    if (store === 'timed out') throw new Error('openChatStore waited for the fsync of the lock');
    try {
      const page = await store.loadChat(chatId);
      expect(page.messages.map((m) => m.content)).toEqual(['before']);
      const append = store.appendMessages(chatId, [{ role: 'assistant', content: 'after' }]);
      expect(await within(append, 300)).toBe('timed out');
      expect(await readFile(path)).toEqual(before); // not even started: no byte of this run on disk
      expect(events).toEqual([]);
      release();
      await append;
      expect(events).toEqual(['sync lock file', 'sync lock folder', 'open chat a']);
      expect((await store.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['before', 'after']);
    } finally {
      release();
      await store.close();
    }
  });

  it('a lock that cannot be made durable (EIO): reads go on, every write fails IO_ERROR and changes nothing, and close releases the lock', async () => {
    const dataDir = tempDir();
    const { chatId, path } = await chatWithOneMessage(dataDir);
    const before = await readFile(path);
    const { seam, events, release } = lockSyncSeam(dataDir, 'EIO');
    release();
    const store = await openChatStore({ dataDir, fs: seam });
    try {
      expect((await store.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['before']);
      await expect(store.appendMessages(chatId, [{ role: 'user', content: 'lost?' }])).rejects.toMatchObject({ code: 'IO_ERROR' });
      await expect(store.createChat({ characterId: 'sera', title: 'new' })).rejects.toMatchObject({ code: 'IO_ERROR' });
      await expect(store.appendMessages(chatId, [{ role: 'user', content: 'again' }])).rejects.toMatchObject({ code: 'IO_ERROR' });
      expect(await readFile(path)).toEqual(before);
      expect(events).toEqual([]);
    } finally {
      await store.close().catch(() => {});
    }
    // The lock was released: the next open takes it, and finds the chat as it was.
    const again = await openChatStore({ dataDir });
    try {
      expect((await again.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['before']);
      expect((await again.listChats('sera')).length).toBe(1);
    } finally {
      await again.close();
    }
  });
});
