// The per-chat position index (electron/store/positions/): a cache of where each message line is,
// so a jump (loadChat { around }) in a freshly opened store reads only the lines it returns. Deleted,
// damaged, stale (the chat changed outside the app) or cut short by a SIGKILL, it never makes a
// jump wrong: every page is compared with one computed from a full read of the file.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { appendFile, readFile, readdir, rename, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeFs, openChatStore, readFullState, type ChatStore, type FsSeam } from '../../electron/store/index.ts';
import { Layout } from '../../electron/store/layout.ts';
import { PREPARE_MIN_BYTES } from '../../electron/store/positions/position-cache.ts';
import { buildBigChat } from '../fixtures/big-chat.ts';
import type { Message } from '../../shared/chat-format.ts';
import { chatPath, tempDir } from './helpers.ts';

const CHILD = join(import.meta.dirname, 'positions-child.ts');
const CHARACTER = 'seraphina';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** The page around `id` computed from a full read of the file (the rules of window-page.ts). */
async function expectedAround(path: string, id: string, limit: number) {
  const state = readFullState(await readFile(path));
  if ('error' in state) throw new Error(state.error);
  const list = state.messages;
  const at = list.findIndex((m) => m.id === id);
  if (at === -1) return 'NOT_FOUND';
  const rest = limit - 1;
  const older = list.slice(0, at).reverse();
  const newer = list.slice(at + 1);
  let nOld = Math.min(older.length, Math.floor(rest / 2));
  const nNew = Math.min(newer.length, rest - nOld);
  nOld = Math.min(older.length, rest - nNew);
  return { messages: [...older.slice(0, nOld).reverse(), list[at]!, ...newer.slice(0, nNew)], hasMore: older.length > nOld, hasNewer: newer.length > nNew };
}

const strip = (m: Message) => ({ id: m.id, content: m.content, swipe_id: m.swipe_id, swipes: m.swipes, edited: m.edited });

async function expectJumpsRight(s: ChatStore, chatId: string, path: string, ids: string[], limit = 15): Promise<void> {
  for (const id of ids) {
    const want = await expectedAround(path, id, limit);
    const got = await s.loadChat(chatId, { around: id, limit }).catch((e: { code?: string }) => e.code ?? e);
    if (want === 'NOT_FOUND') expect(got, `jump to ${id}`).toBe('NOT_FOUND');
    else {
      expect(typeof got, `jump to ${id}: ${String(got)}`).toBe('object');
      const page = got as Awaited<ReturnType<ChatStore['loadChat']>>;
      expect(page.messages.map(strip), `jump to ${id}`).toEqual(want.messages.map(strip));
      expect(page.hasMore, `hasMore of ${id}`).toBe(want.hasMore);
      expect(page.hasNewer, `hasNewer of ${id}`).toBe(want.hasNewer);
    }
  }
}

/** A chat of `n` messages with edits, swipes, appended text and deletes among them. */
async function buildChat(dir: string, n: number, seed = 1): Promise<{ chatId: string; path: string; ids: string[] }> {
  const s = await openChatStore({ dataDir: dir });
  try {
    const { chatId } = await s.createChat({ characterId: CHARACTER });
    const rand = prng(seed);
    for (let i = 0; i < n; i += 250) {
      await s.appendMessages(chatId, Array.from({ length: Math.min(250, n - i) }, (_, k) => ({ id: `m${i + k}`, role: (k % 2 ? 'assistant' : 'user') as 'user' | 'assistant', content: `message ${i + k} ${'lorem ipsum '.repeat(1 + ((i + k) % 7))}` })));
    }
    for (let k = 0; k < n / 20; k++) {
      const id = `m${Math.floor(rand() * n)}`;
      const r = rand();
      const op = r < 0.4 ? s.updateMessage(chatId, id, { content: `edited ${k}` }) : r < 0.6 ? s.updateMessage(chatId, id, { addSwipe: `swipe ${k}` }) : r < 0.8 ? s.appendText(chatId, id, ` more ${k}`) : s.deleteMessage(chatId, id);
      await op.catch(() => {}); // already deleted
    }
    return { chatId, path: chatPath(dir, CHARACTER, chatId), ids: Array.from({ length: n }, (_, i) => `m${i}`) };
  } finally {
    await s.close();
  }
}

const sample = (ids: string[], k: number, seed: number) => {
  const rand = prng(seed);
  return [...Array.from({ length: k }, () => ids[Math.floor(rand() * ids.length)]!), ids[0]!, ids.at(-1)!, 'no-such-id'];
};

/** An fs seam counting the bytes read through handles of files whose path ends with `suffix`. */
function countingSeam(suffix: string): { seam: FsSeam; bytes: () => number } {
  let bytes = 0;
  const seam: FsSeam = {
    ...nodeFs,
    open: (async (path: string, flags?: string, mode?: number) => {
      const fh = await nodeFs.open(path, flags, mode);
      if (!String(path).endsWith(suffix)) return fh;
      const read = fh.read.bind(fh) as (...a: unknown[]) => Promise<{ bytesRead: number; buffer: Buffer }>;
      (fh as unknown as { read: unknown }).read = async (...a: unknown[]) => {
        const r = await read(...a);
        bytes += r.bytesRead;
        return r;
      };
      return fh;
    }) as FsSeam['open'],
  };
  return { seam, bytes: () => bytes };
}

/** The id on line `n` of a chat file (0: the header). */
function idOfLine(path: string, n: number): string {
  return (JSON.parse(readFileSync(path, 'utf8').split('\n')[n]!) as { id: string }).id;
}

const indexFile = (dir: string, chatId: string) => join(new Layout(dir).positionsDir, `${chatId}.pos`);

/** Opens a fresh store, runs `fn`, closes it (which saves a pending index). */
async function withStore(dir: string, fn: (s: ChatStore) => Promise<void>, seam?: FsSeam): Promise<void> {
  const s = await openChatStore({ dataDir: dir, ...(seam ? { fs: seam } : {}) });
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

describe('position index', () => {
  it('a jump in a freshly opened store reads only the lines it returns, once the index exists', async () => {
    const dir = tempDir();
    const { chatId, path, ids } = await buildChat(dir, 5000);
    // The first jump scans the file and saves the index (on close at the latest).
    await withStore(dir, (s) => expectJumpsRight(s, chatId, path, ['m100']));
    expect((await stat(indexFile(dir, chatId))).size).toBeGreaterThan(0);
    const size = (await stat(path)).size;
    const counter = countingSeam('.jsonl');
    await withStore(dir, async (s) => {
      const before = counter.bytes(); // opening the log reads its head and last line
      const page = await s.loadChat(chatId, { around: 'm250', limit: 20 });
      const read = counter.bytes() - before;
      expect(page.messages.some((m) => m.id === 'm250')).toBe(true);
      // The log's head and last line, and the lines of the page read in windows of 32 KiB: a small part of the file.
      expect(size).toBeGreaterThan(600_000);
      expect(read, `bytes of the chat read by one jump (the file has ${size})`).toBeLessThan(128 * 1024);
    }, counter.seam);
    await withStore(dir, (s) => expectJumpsRight(s, chatId, path, sample(ids, 40, 7)));
  }, 60_000);

  it('a big chat opened without an index gets one in the background, so its first jump is quick too', async () => {
    const dir = tempDir();
    const big = buildBigChat({ dataDir: dir, messages: 10_000, fsync: false });
    expect(big.bytes).toBeGreaterThan(PREPARE_MIN_BYTES);
    const file = indexFile(dir, big.chatId);
    const s = await openChatStore({ dataDir: dir, positionsFlushDelayMs: 20 });
    try {
      await s.loadChat(big.chatId, { limit: 20 }); // the newest page: no scan of the file
      expect(await stat(file).then(() => true, () => false)).toBe(false);
      await expect.poll(() => stat(file).then(() => true, () => false), { timeout: 20_000 }).toBe(true);
    } finally {
      await s.close();
    }
    const counter = countingSeam('.jsonl');
    const ids = Array.from({ length: 5 }, (_, k) => idOfLine(big.path, 1 + k * 1999));
    await withStore(dir, async (s2) => {
      const before = counter.bytes();
      await s2.loadChat(big.chatId, { around: ids[1]!, limit: 20 });
      expect(counter.bytes() - before).toBeLessThan(128 * 1024);
      await expectJumpsRight(s2, big.chatId, big.path, ids);
    }, counter.seam);
  }, 60_000);

  it('a jump reads the head of the position index and the few blocks it needs, not the whole index', async () => {
    const dir = tempDir();
    const big = buildBigChat({ dataDir: dir, messages: 60_000, fsync: false });
    const ids = Array.from({ length: 4 }, (_, k) => idOfLine(big.path, 1 + k * 17_003));
    await withStore(dir, (s) => s.loadChat(big.chatId, { around: ids[1]!, limit: 50 }).then(() => {})); // scans the chat, saves the index
    const indexBytes = (await stat(indexFile(dir, big.chatId))).size;
    expect(indexBytes).toBeGreaterThan(1_000_000);
    for (const id of ids) {
      const counter = countingSeam('.pos');
      await withStore(dir, async (s) => {
        const page = await s.loadChat(big.chatId, { around: id, limit: 50 });
        expect(page.messages.some((m) => m.id === id)).toBe(true);
        // The head and a handful of 16 KiB blocks (the id's hash bucket, the page's rows), whatever the chat's size.
        expect(counter.bytes(), `bytes of the position index (${indexBytes}) read by one jump`).toBeLessThan(256 * 1024);
      }, counter.seam);
    }
    await withStore(dir, (s) => expectJumpsRight(s, big.chatId, big.path, [ids[0]!, ids[3]!]));
  }, 60_000);

  it('jumps are right when the index is deleted, filled with random bytes, or cut short', async () => {
    const dir = tempDir();
    const { chatId, path, ids } = await buildChat(dir, 2000, 2);
    const jumps = sample(ids, 25, 3);
    await withStore(dir, (s) => expectJumpsRight(s, chatId, path, jumps));
    const file = indexFile(dir, chatId);
    const good = await readFile(file);
    const rand = prng(9);
    const damaged: [string, Buffer][] = [
      ['random bytes', Buffer.from(Array.from({ length: good.length }, () => Math.floor(rand() * 256)))],
      ['a few bytes flipped in the body', (() => { const b = Buffer.from(good); for (let k = 0; k < 8; k++) b[good.length - 1 - Math.floor(rand() * (good.length / 2))]! ^= 0xff; return b; })()],
      ['a byte flipped in the head', (() => { const b = Buffer.from(good); b[20] = b[20]! ^ 0x01; return b; })()],
      ['cut in half', good.subarray(0, good.length >> 1)],
      ['cut to 10 bytes', good.subarray(0, 10)],
      ['empty', Buffer.alloc(0)],
    ];
    for (const [what, bytes] of damaged) {
      await writeFile(file, bytes);
      await withStore(dir, (s) => expectJumpsRight(s, chatId, path, jumps)).catch((e: Error) => {
        throw new Error(`${what}: ${e.message}`);
      });
      // Rebuilt: the next store has a good index again.
      expect((await readFile(file)).length, what).toBeGreaterThan(100);
    }
    await rm(file);
    await withStore(dir, (s) => expectJumpsRight(s, chatId, path, jumps));
    expect((await stat(file)).size).toBeGreaterThan(0);
  }, 60_000);

  it('jumps are right when the chat changed outside the app: replaced, appended to, edited in place', async () => {
    const dir = tempDir();
    const { chatId, path, ids } = await buildChat(dir, 2000, 4);
    const jumps = sample(ids, 20, 5);
    await withStore(dir, (s) => expectJumpsRight(s, chatId, path, jumps));
    const lines = (await readFile(path, 'utf8')).split('\n');

    // Replaced (an editor's temp file + rename) by the chat without its first 300 messages' lines.
    const kept = [lines[0]!, ...lines.slice(1).filter((l) => !/^\{"id":"m([0-9]|[0-9][0-9]|[0-2][0-9][0-9])"/.test(l))];
    await writeFile(`${path}.tmp`, kept.join('\n'));
    await rename(`${path}.tmp`, path);
    await withStore(dir, (s) => expectJumpsRight(s, chatId, path, [...jumps, 'm5', 'm299', 'm300']));

    // Appended to by another program: new messages, and changes to old ones.
    const t = Date.now();
    await appendFile(path, `${[
      JSON.stringify({ id: 'x1', role: 'user', content: 'from another program', timestamp: t }),
      JSON.stringify({ op: 'edit', id: 'm1500', content: 'edited by another program', timestamp: t }),
      JSON.stringify({ op: 'delete', id: 'm1501', timestamp: t }),
      JSON.stringify({ role: 'assistant', id: 'x2', content: 'other key order', timestamp: t }),
    ].join('\n')}\n`);
    await withStore(dir, (s) => expectJumpsRight(s, chatId, path, [...jumps, 'm1500', 'm1501', 'm1502', 'x1', 'x2']));

    // Edited in place, same size: one message's id changed (m1700 -> n1700), another's text.
    const edit = async (restoreMtime: boolean) => {
      const before = await stat(path);
      const buf = await readFile(path);
      const at = buf.indexOf('{"id":"m1700"');
      buf.write('n', at + 7);
      const text = buf.indexOf('message 1702 ');
      buf.write('MESSAGE', text);
      await writeFile(path, buf);
      if (restoreMtime) await utimes(path, before.atime, before.mtime); // a tool that keeps the mtime: the lines read still tell
      expect((await stat(path)).size).toBe(before.size);
    };
    await edit(false);
    await withStore(dir, (s) => expectJumpsRight(s, chatId, path, [...jumps, 'm1700', 'n1700', 'm1702', 'm1701']));
    // The same trick again, keeping the mtime: the index was rebuilt after the first edit; now n1700 -> m1700... via a second id.
    const buf = await readFile(path);
    const at = buf.indexOf('{"id":"m1650"');
    buf.write('q', at + 7);
    const before = await stat(path);
    await writeFile(path, buf);
    await utimes(path, before.atime, before.mtime);
    await withStore(dir, (s) => expectJumpsRight(s, chatId, path, [...jumps, 'm1650', 'q1650', 'm1649', 'm1651']));

    // Cut short outside the app (the last lines removed).
    const now = await readFile(path);
    await truncate(path, now.lastIndexOf('\n', now.length - 2) + 1);
    await withStore(dir, (s) => expectJumpsRight(s, chatId, path, [...jumps, 'x2']));
  }, 60_000);

  it('follows the app\'s own appends, edits and deletes in one store and across stores', async () => {
    const dir = tempDir();
    const { chatId, path, ids } = await buildChat(dir, 1000, 6);
    const rand = prng(11);
    const all = [...ids];
    for (let round = 0; round < 4; round++) {
      await withStore(dir, async (s) => {
        for (let k = 0; k < 30; k++) {
          const r = rand();
          const id = all[Math.floor(rand() * all.length)]!;
          if (r < 0.3) {
            const nid = `r${round}-${k}`;
            all.push(nid);
            await s.appendMessage(chatId, { id: nid, role: 'user', content: `appended ${nid}` });
          } else if (r < 0.5) await s.updateMessage(chatId, id, { content: `re-edited ${round} ${k}` }).catch(() => {});
          else if (r < 0.6) await s.deleteMessage(chatId, id).catch(() => {});
          else if (r < 0.7) await s.updateMessage(chatId, id, { addSwipe: `swipe ${round} ${k}` }).catch(() => {});
          await expectJumpsRight(s, chatId, path, [all[Math.floor(rand() * all.length)]!, all.at(-1)!]);
        }
      });
      await withStore(dir, (s) => expectJumpsRight(s, chatId, path, sample(all, 15, round)));
    }
  }, 120_000);

  it('a SIGKILL while a child saves its index leaves jumps right (10 kills at random moments)', async () => {
    const dir = tempDir();
    const { chatId, path, ids } = await buildChat(dir, 3000, 8);
    let withIndex = 0;
    for (let round = 0; round < 10; round++) {
      const child = spawn(process.execPath, [CHILD, dir, chatId, `r${round}k`], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((r) => child.once('exit', r));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`round ${round}: the child exited (${code}) before it was ready`)));
      });
      await new Promise((r) => setTimeout(r, 5 + round * 17));
      child.kill('SIGKILL');
      await exited;
      await rm(new Layout(dir).lockFile, { force: true });
      if (await stat(indexFile(dir, chatId)).then(() => true, () => false)) withIndex++;
      await withStore(dir, (s) => expectJumpsRight(s, chatId, path, [...sample(ids, 10, round), `r${round}k0`, `r${round}k1`, `r${round}k3`]));
    }
    // Temp files of an interrupted save may stay in the cache folder: they are never read.
    expect((await readdir(new Layout(dir).positionsDir)).filter((n) => n.endsWith('.pos')).length).toBe(1);
    expect(withIndex).toBeGreaterThan(0);
  }, 120_000);
});

