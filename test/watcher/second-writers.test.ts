// Issue 14, "Prove it": a randomized test of the app against a second writer. The app is the real
// service wiring (createServices: the binding the renderer calls, the chats-folder watcher, the
// conflict keeper, the autosave debouncer, a streamed reply from a scripted provider); the second
// writer is a real, separate, long-lived process (second-writer.ts) that appends valid records,
// writes a line in two parts, edits in place at the same length, replaces files atomically (from
// the file as it is, or from the stale copy it last saw), deletes, copies a chat into another
// character's folder, drops sync-conflict copies and touches or re-downloads them. Their operations
// interleave with app writes, settle points, and restarts (close and reopen in the same data dir,
// with an app write racing the close, and outside writes while the app is closed).
//
// What is checked (each failure is named by the tag in brackets):
// - [app-write-lost] every acknowledged app write (a message appended or edited, a streamed reply as
//   far as the user saw it) is in its chat's file, or in a copy the user is told about, unless a later
//   write superseded it. "Told about" (a reported copy): a chat that is not one of the chats this test
//   made or imported, that was named by a `chat:changed` event, and whose title is quoted in a
//   `notice` event (the conflict keeper's and the watcher's import notices both quote it).
//   Superseded: a later acknowledged edit or delete of that message, a later outside edit of it, or
//   an outside delete of the file. An outside replace supersedes only what it saw: a replace built
//   on a stale copy does not supersede app writes made after that copy was read.
// - [outside-write-lost] every record the other program wrote is in the file, unless the other
//   program itself replaced it later (an in-place edit of it, a delete of the file).
// - [truncated] nothing is truncated that the app did not write: while the file has the inode the
//   other program last wrote, it starts with every byte that program left there (a byte shadow
//   taken by the writer process right after each of its operations).
// - [outside-file-modified] files the other program dropped in (a copy in another folder, a
//   sync-conflict copy) keep their bytes exactly.
// - [chat-moved] a chat keeps its id and its folder across restarts.
// - [import-twice] / [import-partial] a dropped file's bytes are imported at most once, and an
//   import holds every message of the file (no half-made chat).
// - [view-stale] once the watcher has settled, what the app shows (loadChat) is what the file holds.
// - [stale-revision] a write carrying the revision of a load is refused once the chat's content
//   changed after that load (by the app or the other program).
// - [refused-landed] a write answered with an error wrote nothing.
// - [ack-after-close] no store write is acknowledged after close; [draft-lost] a draft acknowledged
//   before exit is on disk after the restart.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open as openFile, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { openChatStore, readFullState, type ChatStore } from '../../electron/store/index.ts';
import { createServices, type Services } from '../../electron/ipc/services.ts';
import type { Provider } from '../../electron/generation/provider.ts';
import type { Snap, WriterCommand, WriterReply } from './second-writer.ts';

// ---- the second writer: one long-lived child process for the whole file ----

class SecondWriter {
  private readonly waiting: ((r: WriterReply) => void)[] = [];
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private constructor(child: ChildProcessByStdio<Writable, Readable, null>) {
    this.child = child;
    createInterface({ input: child.stdout }).on('line', (line) => this.waiting.shift()?.(JSON.parse(line) as WriterReply));
  }
  static start(): SecondWriter {
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'second-writer.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
    return new SecondWriter(child);
  }
  async send(c: WriterCommand): Promise<Extract<WriterReply, { ok: true }>> {
    const reply = await new Promise<WriterReply>((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(`${JSON.stringify(c)}\n`);
    });
    if (!reply.ok) throw new Error(`second writer failed on ${JSON.stringify(c)}: ${reply.error}`);
    return reply;
  }
  stop(): void {
    this.child.kill();
  }
}

// ---- operations ----

type ExtOp =
  | { e: 'append'; k: number; odd: boolean }
  | { e: 'begin'; k: number }
  | { e: 'finish'; k: number }
  | { e: 'inplace'; k: number; i: number }
  | { e: 'replace'; k: number; stale: boolean }
  | { e: 'syncStale'; k: number }
  | { e: 'delete'; k: number }
  | { e: 'copy'; k: number }
  | { e: 'drop'; k: number; odd: boolean }
  | { e: 'touchDrop'; n: number; redownload: boolean }
  | { e: 'newChat'; folder: number };
type AppOp =
  | { a: 'append'; k: number }
  | { a: 'edit'; k: number; i: number }
  | { a: 'delete'; k: number; i: number }
  | { a: 'load'; k: number }
  | { a: 'editAt'; k: number; i: number }
  | { a: 'draft'; k: number }
  | { a: 'streamStart'; k: number }
  | { a: 'streamChunk'; k: number }
  | { a: 'streamEnd'; k: number }
  | { a: 'streamStop'; k: number };
/** A write racing the close: through the binding after `delayMs`, or (`sameTick`) on the store itself, issued in the tick that closes it. */
type Race = { r: 'append' | 'draft' | 'import'; k: number; delayMs: number; sameTick: boolean };
type Op =
  | { t: 'app'; op: AppOp }
  | { t: 'ext'; op: ExtOp }
  | { t: 'both'; app: AppOp; ext: ExtOp }
  | { t: 'settle' }
  | { t: 'restart'; race: Race | null; closed: ExtOp | null };

const k = fc.nat(5);
const i = fc.nat(20);
const odd = fc.constantFrom(false, false, false, true);
const extOp: fc.Arbitrary<ExtOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ e: fc.constant('append' as const), k, odd }) },
  { weight: 2, arbitrary: fc.record({ e: fc.constant('begin' as const), k }) },
  { weight: 2, arbitrary: fc.record({ e: fc.constant('finish' as const), k }) },
  { weight: 3, arbitrary: fc.record({ e: fc.constant('inplace' as const), k, i }) },
  { weight: 2, arbitrary: fc.record({ e: fc.constant('replace' as const), k, stale: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ e: fc.constant('syncStale' as const), k }) },
  { weight: 1, arbitrary: fc.record({ e: fc.constant('delete' as const), k }) },
  { weight: 1, arbitrary: fc.record({ e: fc.constant('copy' as const), k }) },
  { weight: 2, arbitrary: fc.record({ e: fc.constant('drop' as const), k, odd }) },
  { weight: 1, arbitrary: fc.record({ e: fc.constant('touchDrop' as const), n: fc.nat(3), redownload: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ e: fc.constant('newChat' as const), folder: fc.nat(1) }) },
);
const appWrite: fc.Arbitrary<AppOp> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ a: fc.constant('append' as const), k }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('edit' as const), k, i }) },
);
const appOp: fc.Arbitrary<AppOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ a: fc.constant('append' as const), k }) },
  { weight: 3, arbitrary: fc.record({ a: fc.constant('edit' as const), k, i }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('delete' as const), k, i }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('load' as const), k }) },
  { weight: 2, arbitrary: fc.record({ a: fc.constant('editAt' as const), k, i }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('draft' as const), k }) },
  { weight: 2, arbitrary: fc.record({ a: fc.constant('streamStart' as const), k }) },
  { weight: 3, arbitrary: fc.record({ a: fc.constant('streamChunk' as const), k }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('streamEnd' as const), k }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('streamStop' as const), k }) },
);
// Concurrent with an app write: appends, and replaces from the file as it is or from a stale copy
// (the app's append may land between the other program's read and its rename, or between the
// store's check and its write). One race is left out: a same-size in-place edit racing an app write
// (between the store's stat and its write, or in the same timestamp tick) leaves exactly the
// identity, size and mtime the store's write left, so no stat can tell it apart (docs/DESIGN.md). It
// is generated on its own (`ext`), at every other moment, and must be handled there.
// (A stale replace lost an app append here once: an append of the other program between the store's
// check and its O_APPEND write put the app's line past where the store recorded it; fixed in
// log/append.ts. Counterexample: both(app append, ext append), then a stale replace.)
const bothExt: fc.Arbitrary<ExtOp> = fc.oneof(
  fc.record({ e: fc.constant('append' as const), k, odd: fc.constant(false) }),
  fc.record({ e: fc.constant('replace' as const), k, stale: fc.boolean() }),
);
const race: fc.Arbitrary<Race> = fc.record({ r: fc.constantFrom('append' as const, 'draft' as const, 'import' as const), k, delayMs: fc.constantFrom(0, 1, 3, 10, 30), sameTick: fc.boolean() });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ t: fc.constant('app' as const), op: appOp }) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant('ext' as const), op: extOp }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('both' as const), app: appWrite, ext: bothExt }) },
  { weight: 3, arbitrary: fc.constant({ t: 'settle' as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('restart' as const), race: fc.option(race, { freq: 2 }), closed: fc.option(extOp, { freq: 2 }) }) },
);
/** Compaction on close for every chat with a superseded line, or the defaults (64 KiB: never here). */
const config = fc.record({ compactOnClose: fc.boolean() });

// ---- the scripted provider: a reply's chunks come when the test says so ----

class Feed {
  private readonly queue: (string | null)[] = [];
  private wake: (() => void) | undefined;
  push(x: string | null): void {
    this.queue.push(x);
    this.wake?.();
  }
  async *reply(signal: AbortSignal): AsyncGenerator<string> {
    for (;;) {
      if (signal.aborted) return;
      const x = this.queue.shift();
      if (x === null) return;
      if (x !== undefined) {
        yield x;
        continue;
      }
      await new Promise<void>((r) => {
        this.wake = r;
        signal.addEventListener('abort', () => r(), { once: true });
      });
      this.wake = undefined;
    }
  }
}

// ---- the model ----

const SETTLE_MS = 20;
const TOKEN = /^[A-Z]\d{5}$/;

interface ChatM {
  id: string;
  folder: string;
  path: string;
  /** False once the other program deleted the file. */
  present: boolean;
  /** A line the other program is writing in two parts: the rest of it. */
  partial: { first: string; rest: string; id: string; content: string } | null;
  /** Bumped by every write to the file's content (app or outside); `streams` for stream activity. */
  gen: number;
  streams: number;
  lastLoad: { revision: number; gen: number; streams: number } | null;
}
interface Obligation {
  who: 'app' | 'ext';
  chat: ChatM;
  id: string;
  content: string;
  what: string;
  live: boolean;
  /** A line the other program wrote in two writes: its two parts. */
  parts?: [string, string];
}
interface StreamM {
  streamId: string;
  chat: ChatM;
  feed: Feed;
  superseded: boolean;
}

class Violations extends Error {}

async function runOnce(cfg: { compactOnClose: boolean }, ops: Op[], writer: SecondWriter): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cardshark-2w-'));
  const violations: string[] = [];
  const fail = (tag: string, msg: string) => violations.push(`[${tag}] ${msg}`);
  let n = 0;
  const token = (letter: string) => `${letter}${String(++n).padStart(5, '0')}`;
  const events: [string, any][] = [];
  const feeds: Feed[] = [];
  const provider: Provider = (ctx) => (feeds.shift() ?? new Feed()).reply(ctx.signal);
  /** When the watcher last looked at each path (it calls chatIdForPath once per check), and a log of checks and changes per path. */
  const lastCheck = new Map<string, number>();
  const watchLog = new Map<string, string[]>();
  const logWatch = (p: string, what: string) => watchLog.set(p, [...(watchLog.get(p) ?? []), `${what} ${performance.now().toFixed(1)}`]);
  /** Paths the other program changed since the last settle, with the time it was done. */
  const touched = new Map<string, { sent: number; done: number }>();

  /** When the app's store.close() resolved in the latest shutdown, and a hook run in the tick it is called. */
  let closedAt = Infinity;
  let storeClosed: Promise<void> = Promise.resolve();
  let beforeClose: (() => void) | undefined;
  let store!: ChatStore;
  let services!: Services<boolean>;
  let up = false;
  const open = async () => {
    store = await openChatStore({ dataDir, ...(cfg.compactOnClose ? { compactMinBytes: 0, compactRatio: 0.01 } : {}) });
    // The app's own store, seen through a proxy: the watcher's calls of chatIdForPath tell the test
    // it checked a path, and the shutdown's call of close() is where a racing write is issued.
    const seen = new Proxy(store, {
      get(target, prop) {
        if (prop === 'close') {
          return () => {
            beforeClose?.();
            const p = target.close();
            storeClosed = p.then(() => {
              closedAt = performance.now();
            });
            return p;
          };
        }
        if (prop === 'chatIdForPath') {
          return (p: string) => {
            lastCheck.set(p, performance.now());
            logWatch(p, 'checked');
            return target.chatIdForPath(p);
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    services = createServices<boolean>({ store: seen, emit: (e, p) => events.push([e, p]), isTrustedSender: () => true, provider, autosaveIntervalMs: () => 10, watchSettleMs: SETTLE_MS });
    up = true;
    await services.ready;
    // As the window does at start: the characters' chat lists (this reads every chat changed while the app was closed).
    for (const characterId of folders) await call('listChats', { characterId });
  };
  const shutdown = async () => {
    up = false;
    touched.clear(); // what changed meanwhile is the next start's to find, not this watcher's
    await services.shutdown();
  };
  const call = async (ch: string, p: unknown = {}) => (await services.binding.handle(true, ch, p)) as { ok: true; data: any } | { ok: false; error: any };
  const ok = async (ch: string, p: unknown = {}) => {
    const r = await call(ch, p);
    if (!r.ok) throw new Error(`${ch} ${JSON.stringify(p)}: ${JSON.stringify(r.error)}`);
    return r.data;
  };

  const chats: ChatM[] = [];
  const obligations: Obligation[] = [];
  const streams: StreamM[] = [];
  const refused: { chat: ChatM; token: string; what: string }[] = [];
  /** Files the other program dropped in: their bytes must stay. */
  /** Files the other program dropped in; `of`: a copy of that chat's file, same name, in another folder. */
  const dropped: { path: string; bytes: Buffer; conflictCopy: boolean; of?: ChatM }[] = [];
  /** What the writer process last left in each chat file (the byte shadow). */
  const shadow = new Map<string, { ino: string; bytes: Buffer }>();
  const drafts = new Map<ChatM, string>();
  const imports: { token: string; id: string }[] = [];
  const folders: string[] = [];

  /**
   * A copy of a chat under a name of its own, unique per run: imported as a chat. (Named as a sync
   * tool's conflict copy it would be merged into its chat and removed since issue 17; that is
   * tested in conflict-merge.test.ts and merge.test.ts.)
   */
  const conflictName = (c: ChatM) => `${c.id} copy-20250101-${String(100000 + ++n).slice(-6)}-ABCDEF7.jsonl`;
  const chatOf = (slot: number) => chats[slot % chats.length]!;
  const fileState = async (c: ChatM) => {
    const bytes = await readFile(c.path).catch(() => null);
    const state = bytes ? readFullState(bytes) : null;
    return { bytes, messages: state && !('error' in state) ? state.messages : [] };
  };
  /** A message of the file whose text is one token (the targets of edits), picked by index. */
  const target = async (c: ChatM, idx: number) => {
    const replies = new Set(streams.map(streamMessageId));
    const ms = (await fileState(c)).messages.filter((m) => TOKEN.test(m.content) && !replies.has(m.id));
    return ms.length ? ms[idx % ms.length]! : undefined;
  };
  const live = (c: ChatM) => streams.some((s) => s.chat === c && !ended(s));
  const ended = (s: StreamM) => events.some(([e, p]) => e === 'stream:end' && p.streamId === s.streamId);
  const streamText = (s: StreamM) =>
    events
      .filter(([e, p]) => e === 'stream:chunk' && p.streamId === s.streamId)
      .map(([, p]) => p.delta as string)
      .join('');
  const streamMessageId = (s: StreamM) => events.find(([e, p]) => e === 'stream:start' && p.streamId === s.streamId)?.[1].messageId as string;
  const supersede = (c: ChatM, id?: string) => {
    for (const o of obligations) if (o.chat === c && (id === undefined || o.id === id)) o.live = false;
  };
  const addSnaps = (snaps: Snap[]) => {
    for (const s of snaps) shadow.set(s.path, { ino: s.ino, bytes: Buffer.from(s.bytes, 'base64') });
  };
  const record = (id: string, content: string, oddRecord = false) =>
    `${JSON.stringify(oddRecord ? { id, role: 'assistant', content, swipes: [token('Z'), token('Y')], swipe_id: 1, timestamp: Date.now() } : { id, role: 'user', content, timestamp: Date.now() })}\n`;

  /** Nothing the other program left in a file was cut or changed while the file is the one it wrote. */
  const checkShadows = async (when: string) => {
    for (const [p, s] of shadow) {
      // The inode and the bytes of one file: read through one handle (the app may rename a merged chat over the path meanwhile).
      const fh = await openFile(p, 'r').catch(() => null);
      if (!fh) continue;
      const [st, now] = await Promise.all([fh.stat({ bigint: true }), fh.readFile()]).finally(() => fh.close());
      if (`${st.ino}:${st.birthtimeNs}` !== s.ino) continue; // replaced (by a compaction, or by the other program)
      if (now && !now.subarray(0, s.bytes.length).equals(s.bytes)) {
        fail('truncated', `${when}: ${path.relative(dataDir, p)} no longer starts with the ${s.bytes.length} bytes the other program left (now ${now.length} bytes)`);
        shadow.delete(p); // reported once
      }
    }
  };

  /**
   * Waits until the watcher has looked at every path the other program touched, then for it to be
   * idle. A check that called chatIdForPath well after the change (its stat is taken just before)
   * saw it. One that called it during the change may not have: then chokidar's own event for the
   * change is still to come (at most 50 ms late when throttled, 100 ms for an unlink it holds), and
   * the wait lasts until it must have come.
   */
  const settle = async () => {
    for (const [p, t] of touched) {
      const end = performance.now() + 5000;
      for (;;) {
        const seenAt = lastCheck.get(p) ?? 0;
        if (seenAt >= t.done + SETTLE_MS / 2) break;
        if (seenAt >= t.sent && performance.now() >= t.done + 120) break;
        if (performance.now() > end) {
          fail('unnoticed', `the watcher did not check ${path.relative(dataDir, p)} within 5 s of an outside change (${(watchLog.get(p) ?? []).join(', ')})`);
          break;
        }
        await sleep(5);
      }
    }
    touched.clear();
    await services.watcher!.idle();
  };
  /** When the writer process was sent its last command, and when it answered. */
  let last = { sent: 0, done: 0 };
  const send = async (c: WriterCommand) => {
    const sent = performance.now();
    const r = await writer.send(c);
    last = { sent, done: performance.now() };
    return r;
  };
  const touch = (p: string) => {
    if (up) touched.set(p, last);
    logWatch(p, 'changed');
  };

  /** After the watcher settled: what the app shows of each chat is what its file holds. */
  const checkViews = async (when: string) => {
    for (const c of chats) {
      if (!c.present || live(c)) continue;
      const r = await call('loadChat', { chatId: c.id, options: { limit: 1000 } });
      const file = await fileState(c);
      if (!r.ok) {
        // Unreadable (reported as such) is not a stale view; not listed while the file is there is.
        if (r.error.code === 'NOT_FOUND' && file.bytes) fail('view-stale', `${when}: chat ${c.id.slice(0, 8)} is not listed though its file exists`);
        continue;
      }
      const shown = JSON.stringify(r.data.messages.map((m: any) => [m.id, m.content]));
      const held = JSON.stringify(file.messages.map((m) => [m.id, m.content]));
      if (shown !== held) fail('view-stale', `${when}: chat ${c.id.slice(0, 8)} shows ${shown} but its file holds ${held}`);
    }
  };

  async function ext(o: ExtOp): Promise<void> {
    if (o.e === 'newChat') {
      const folder = folders[o.folder % folders.length]!;
      const id = randomUUID();
      const c: ChatM = { id, folder, path: path.join(dataDir, 'chats', folder, `${id}.jsonl`), present: true, partial: null, gen: 0, streams: 0, lastLoad: null };
      const header = `${JSON.stringify({ format: 'cardshark-chat', version: 1, chat_id: id, character_id: folder, timestamp: Date.now(), title: `Outside ${n}`, metadata: {} })}\n`;
      const mid = `e-${++n}`;
      const content = token('E');
      const line = record(mid, content);
      const cut = Math.floor(line.length / 2);
      const r = await send({ op: 'begin', path: c.path, text: header + line.slice(0, cut) });
      addSnaps(r.snaps);
      c.partial = { first: line.slice(0, cut), rest: line.slice(cut), id: mid, content };
      chats.push(c);
      touch(c.path);
      return;
    }
    if (o.e === 'touchDrop') {
      const d = dropped.filter((x) => x.conflictCopy)[o.n % Math.max(1, dropped.filter((x) => x.conflictCopy).length)];
      if (!d) return;
      const r = await send({ op: o.redownload ? 'redownload' : 'touch', path: d.path });
      addSnaps(r.snaps);
      touch(d.path);
      return;
    }
    const c = chatOf(o.k);
    if (!c.present) return;
    if (c.partial && o.e !== 'finish') return; // one writer at a time in that file
    switch (o.e) {
      case 'append': {
        const mid = `e-${++n}`;
        const content = token('E');
        const r = await send({ op: 'append', path: c.path, text: record(mid, content, o.odd) });
        if (!r.done) return;
        addSnaps(r.snaps);
        obligations.push({ who: 'ext', chat: c, id: mid, content, what: `outside append of ${mid}`, live: true });
        c.gen++;
        break;
      }
      case 'begin': {
        const mid = `e-${++n}`;
        const content = token('E');
        const line = record(mid, content);
        const cut = Math.floor(line.length / 2);
        const r = await send({ op: 'begin', path: c.path, text: line.slice(0, cut) });
        if (!r.done) return;
        addSnaps(r.snaps);
        c.partial = { first: line.slice(0, cut), rest: line.slice(cut), id: mid, content };
        c.gen++;
        break;
      }
      case 'finish': {
        const p = c.partial;
        if (!p) return;
        c.partial = null;
        const r = await send({ op: 'finish', path: c.path, text: p.rest });
        addSnaps(r.snaps);
        obligations.push({ who: 'ext', chat: c, id: p.id, content: p.content, what: `outside two-part append of ${p.id}`, live: true, parts: [p.first, p.rest] });
        c.gen++;
        break;
      }
      case 'inplace': {
        const m = await target(c, o.i);
        if (!m) return;
        const to = token('F');
        const r = await send({ op: 'inplace', path: c.path, from: m.content, to });
        addSnaps(r.snaps);
        if (!r.done) return;
        supersede(c, m.id);
        obligations.push({ who: 'ext', chat: c, id: m.id, content: to, what: `outside in-place edit of ${m.id}`, live: true });
        c.gen++;
        break;
      }
      case 'replace':
      case 'syncStale': {
        const mid = `e-${++n}`;
        const content = token('E');
        const stale = o.e === 'syncStale' || o.stale;
        const to = path.join(path.dirname(c.path), conflictName(c));
        const r =
          o.e === 'syncStale'
            ? await send({ op: 'syncStale', path: c.path, to, text: record(mid, content) })
            : await send({ op: 'replace', path: c.path, base: stale ? 'stale' : 'fresh', text: record(mid, content) });
        if (!r.done) return;
        addSnaps(r.snaps);
        if (o.e === 'syncStale') {
          const copy = r.snaps.find((s) => s.path === to)!;
          dropped.push({ path: to, bytes: Buffer.from(copy.bytes, 'base64'), conflictCopy: true });
          touch(to);
        }
        // A stale base was read before later app writes: those are not superseded (they must survive somewhere).
        // Outside writes are all in the base (the writer's copy is taken at each of its operations).
        obligations.push({ who: 'ext', chat: c, id: mid, content, what: `outside ${stale ? 'stale ' : ''}replace adding ${mid}`, live: true });
        c.gen++;
        break;
      }
      case 'delete': {
        const r = await send({ op: 'delete', path: c.path });
        if (!r.done) return;
        shadow.delete(c.path);
        c.present = false;
        supersede(c);
        for (const s of streams) if (s.chat === c && ended(s)) s.superseded = true;
        c.gen++;
        break;
      }
      case 'copy': {
        const other = folders.find((f) => f !== c.folder)!;
        const to = path.join(dataDir, 'chats', other, `${c.id}.jsonl`);
        if (dropped.some((d) => d.path === to)) return;
        const r = await send({ op: 'copy', path: c.path, to });
        if (!r.done) return;
        addSnaps(r.snaps);
        dropped.push({ path: to, bytes: Buffer.from(r.snaps[0]!.bytes, 'base64'), conflictCopy: false, of: c });
        touch(to);
        return;
      }
      case 'drop': {
        const to = path.join(path.dirname(c.path), conflictName(c));
        const mid = `e-${++n}`;
        const r = await send({ op: 'drop', path: c.path, to, text: record(mid, token('E'), o.odd) });
        if (!r.done) return;
        addSnaps(r.snaps);
        dropped.push({ path: to, bytes: Buffer.from(r.snaps[0]!.bytes, 'base64'), conflictCopy: true });
        touch(to);
        return;
      }
    }
    touch(c.path);
  }

  async function app(o: AppOp): Promise<void> {
    const c = chatOf(o.k);
    switch (o.a) {
      case 'append': {
        const id = `a-${++n}`;
        const content = token('A');
        const r = await call('appendMessage', { chatId: c.id, message: { id, role: 'user', content } });
        if (r.ok) {
          obligations.push({ who: 'app', chat: c, id, content, what: `app append of ${id}`, live: true });
          c.gen++;
        } else refused.push({ chat: c, token: content, what: `app append of ${id} (${r.error.code})` });
        return;
      }
      case 'edit':
      case 'editAt': {
        const m = await target(c, o.i);
        if (!m) return;
        const content = token('B');
        const load = c.lastLoad;
        if (o.a === 'editAt' && !load) return;
        const r = await call('updateMessage', { chatId: c.id, messageId: m.id, patch: { content }, ...(o.a === 'editAt' ? { expectedRevision: load!.revision } : {}) });
        if (r.ok) {
          if (o.a === 'editAt' && load!.streams === c.streams && load!.gen !== c.gen) {
            fail('stale-revision', `an edit of ${m.id} carrying revision ${load!.revision} from a load was accepted though the chat changed after that load`);
          }
          supersede(c, m.id);
          obligations.push({ who: 'app', chat: c, id: m.id, content, what: `app edit of ${m.id}`, live: true });
          c.gen++;
        } else refused.push({ chat: c, token: content, what: `app edit of ${m.id} (${r.error.code})` });
        return;
      }
      case 'delete': {
        const m = await target(c, o.i);
        if (!m) return;
        const r = await call('deleteMessage', { chatId: c.id, messageId: m.id });
        if (r.ok) {
          supersede(c, m.id);
          c.gen++;
        }
        return;
      }
      case 'load': {
        const r = await call('loadChat', { chatId: c.id, options: { limit: 1000 } });
        if (r.ok) c.lastLoad = { revision: r.data.revision, gen: c.gen, streams: c.streams };
        return;
      }
      case 'draft': {
        const text = token('D');
        const r = await call('setDraft', { chatId: c.id, text });
        if (r.ok) drafts.set(c, text);
        return;
      }
      case 'streamStart': {
        const feed = new Feed();
        feeds.push(feed);
        const r = await call('generate', { mode: 'new', chatId: c.id });
        if (!r.ok) {
          feeds.splice(feeds.indexOf(feed), 1);
          return;
        }
        streams.push({ streamId: r.data.streamId, chat: c, feed, superseded: false });
        c.streams++;
        return;
      }
      case 'streamChunk':
      case 'streamEnd':
      case 'streamStop': {
        const s = streams.find((x) => x.chat === c && !ended(x));
        if (!s) return;
        c.streams++;
        const chunks = () => events.filter(([e, p]) => e === 'stream:chunk' && p.streamId === s.streamId).length;
        const before = chunks();
        if (o.a === 'streamChunk') s.feed.push(token('S'));
        else if (o.a === 'streamEnd') s.feed.push(null);
        else await call('stopGeneration', { streamId: s.streamId });
        // The provider's step is done when its chunk went out, or the stream ended.
        const end = performance.now() + 5000;
        while (!(o.a === 'streamChunk' && chunks() > before) && !ended(s)) {
          if (performance.now() > end) throw new Error(`stream ${s.streamId} did not move within 5 s`);
          await sleep(1);
        }
        return;
      }
    }
  }

  async function restart(o: Extract<Op, { t: 'restart' }>): Promise<void> {
    let raced: Promise<void> | undefined;
    closedAt = Infinity;
    if (o.race) {
      const rc = o.race;
      const c = chatOf(rc.k);
      const id = `${rc.r === 'import' ? 'i' : 'a'}-${++n}`;
      const content = token(rc.r === 'import' ? 'I' : rc.r === 'draft' ? 'D' : 'A');
      const onStore = rc.sameTick && rc.r !== 'draft';
      const viaStore = async () => {
        const p =
          rc.r === 'append'
            ? store.appendMessage(c.id, { id, role: 'user', content })
            : store.importChat({ characterId: c.folder, title: `Imported ${content}`, created: Date.now(), messages: [{ id, role: 'user', content, timestamp: Date.now() }] });
        return p.then(
          () => ({ ok: true as const, data: { chats: [{ status: 'created' }] } }),
          (e: unknown) => ({ ok: false as const, error: e }),
        );
      };
      const go = async (first?: ReturnType<typeof viaStore>) => {
        let r;
        if (first) r = await first;
        else if (rc.r === 'append') r = await call('appendMessage', { chatId: c.id, message: { id, role: 'user', content } });
        else if (rc.r === 'draft') r = await call('setDraft', { chatId: c.id, text: content });
        else {
          const header = { format: 'cardshark-chat', version: 1, chat_id: randomUUID(), character_id: c.folder, timestamp: Date.now(), title: `Imported ${content}`, metadata: {} };
          const text = `${JSON.stringify(header)}\n${JSON.stringify({ id, role: 'user', content, timestamp: Date.now() })}\n`;
          r = await call('importChatFile', { fileName: `${content}.jsonl`, bytesBase64: Buffer.from(text).toString('base64'), characterId: c.folder });
          if (r.ok && !r.data.chats.some((x: any) => x.status === 'created')) return;
        }
        if (!r.ok) return;
        const at = performance.now();
        await storeClosed; // the ack and the close may resolve in either order
        if (rc.r !== 'draft' && at > closedAt) fail('ack-after-close', `a racing ${rc.r} (${content}) was acknowledged ${(at - closedAt).toFixed(1)} ms after the app had closed`);
        if (rc.r === 'append') {
          obligations.push({ who: 'app', chat: c, id, content, what: `app append of ${id} racing the close`, live: true });
          c.gen++;
        } else if (rc.r === 'draft') drafts.set(c, content);
        else imports.push({ token: content, id });
      };
      if (onStore) {
        // Issued in the very tick in which shutdown closes the store (after the watcher, the streams and the debouncer).
        raced = new Promise<void>((resolve, reject) => {
          beforeClose = () => go(viaStore()).then(resolve, reject);
        });
      } else raced = sleep(rc.delayMs).then(() => go());
    }
    await shutdown();
    await storeClosed;
    beforeClose = undefined;
    if (o.closed) await ext(o.closed);
    await raced;
    await open();
  }

  try {
    await writer.send({ op: 'reset' });
    await open();
    for (const name of ['Ada', 'Bo']) {
      const character = await ok('createCharacter', { name });
      const chat = await ok('createChat', { characterId: character.id, title: `${name}'s chat` });
      folders.push(character.id);
      chats.push({ id: chat.chatId, folder: character.id, path: path.join(dataDir, 'chats', character.id, `${chat.chatId}.jsonl`), present: true, partial: null, gen: 0, streams: 0, lastLoad: null });
    }

    for (const [step, o] of ops.entries()) {
      const when = `after step ${step} (${JSON.stringify(o)})`;
      if (o.t === 'app') await app(o.op);
      else if (o.t === 'ext') await ext(o.op);
      else if (o.t === 'both') {
        // Concurrent: the outside change and the app's write race. The edit never targets the message the outside edits.
        const m = o.ext.e === 'inplace' ? await target(chatOf(o.ext.k), o.ext.i) : undefined;
        const a = o.app.a === 'edit' ? await target(chatOf(o.app.k), o.app.i) : undefined;
        if (m && a && m.id === a.id) await app(o.app);
        else await Promise.all([app(o.app), ext(o.ext)]);
      } else if (o.t === 'settle') {
        await settle();
        await checkViews(when);
      } else await restart(o);
      await checkShadows(when);
    }

    // ---- the end: every two-part line completed, the watcher settled, a restart ----
    for (const c of chats) if (c.partial) await ext({ e: 'finish', k: chats.indexOf(c) });
    await settle();
    await checkViews('at the end');
    await shutdown();
    await open();
    await settle();
    await store.whenIndexed();
    await checkShadows('after the final restart');
    await checkViews('after the final restart');

    // Copies the user was told about: chats this test did not make, named by chat:changed and quoted in a notice.
    const own = new Set(chats.map((c) => c.id));
    const all = await store.listAllChats();
    const others = all.filter((s) => !own.has(s.chatId));
    const told = (s: { chatId: string; title: string }) =>
      events.some(([e, p]) => e === 'chat:changed' && p.chatId === s.chatId) && events.some(([e, p]) => e === 'notice' && String(p.message).includes(`"${s.title}"`));
    const copies: { chatId: string; characterId: string; title: string; reported: boolean; messages: Map<string, string> }[] = [];
    for (const s of others) {
      const page = await store.loadChat(s.chatId, { limit: 1000 }).catch(() => null);
      copies.push({ chatId: s.chatId, characterId: s.characterId, title: s.title, reported: told(s), messages: new Map((page?.messages ?? []).map((m) => [m.id, m.content])) });
    }
    // POSIX appends of two programs interleave whole writes: an app line written between the two
    // writes of another program's line lands inside it. All of that line's bytes stay, in order, with
    // only the app's whole lines between them; the app reads the two pieces as unreadable lines and
    // says so (a quarantine warning), and writes its own lines again on lines of their own
    // (log/append.ts). Nothing else may excuse an outside record that is not in its file.
    const splitInOrder = (text: string, [first, rest]: [string, string]) => {
      const a = text.indexOf(first);
      const b = a < 0 ? -1 : text.indexOf(rest, a + first.length);
      if (b < 0) return false;
      const between = text.slice(a + first.length, b);
      return between.endsWith('\n') && between.split('\n').slice(0, -1).every((l) => l === '' || (!l.includes('"id":"e-') && l.startsWith('{')));
    };
    const splitByAppLines = async (c: ChatM, parts: [string, string]) => {
      if (splitInOrder(await readFile(c.path, 'utf8').catch(() => ''), parts)) {
        const page = await store.loadChat(c.id, { limit: 1000 }).catch(() => null);
        return page?.warnings.some((w) => w.kind === 'quarantined_line') ?? false;
      }
      // Compacted since (on close): the split line is in the backup the compaction took, in order,
      // and its pieces are in the chat's quarantine, where the warning said they are.
      const backups = path.join(dataDir, 'backups', c.id);
      const inBackup = await Promise.all((await readdir(backups).catch(() => [] as string[])).map(async (n) => splitInOrder(await readFile(path.join(backups, n), 'utf8'), parts)));
      if (!inBackup.some(Boolean)) return false;
      const quarantine = path.join(dataDir, 'quarantine', c.id);
      const pieces = (await Promise.all((await readdir(quarantine).catch(() => [] as string[])).map((n) => readFile(path.join(quarantine, n), 'utf8')))).join('\n');
      return pieces.includes(parts[0]) && pieces.includes(parts[1].trimEnd());
    };
    const files = new Map<ChatM, Map<string, string>>();
    for (const c of chats) files.set(c, new Map((await fileState(c)).messages.map((m) => [m.id, m.content])));

    // Once a chat's own file is deleted, a copy of it in another folder is the only file with its id:
    // the store may take it as that chat moved there (as a user's move would be), and write into it.
    const movedTo = new Map<ChatM, Map<string, string>>();
    for (const d of dropped) {
      if (!d.of || d.of.present) continue;
      const bytes = await readFile(d.path).catch(() => null);
      const state = bytes ? readFullState(bytes) : null;
      if (state && !('error' in state)) movedTo.set(d.of, new Map(state.messages.map((m) => [m.id, m.content])));
    }
    for (const o of obligations) {
      if (!o.live) continue;
      if (files.get(o.chat)!.get(o.id) === o.content) continue;
      if (o.parts && (await splitByAppLines(o.chat, o.parts))) continue;
      if (o.who === 'app' && movedTo.get(o.chat)?.get(o.id) === o.content) continue;
      if (o.who === 'app' && copies.some((cp) => cp.reported && cp.messages.get(o.id) === o.content)) continue;
      const inCopy = copies.find((cp) => cp.messages.get(o.id) === o.content);
      fail(o.who === 'app' ? 'app-write-lost' : 'outside-write-lost', `${o.what} (${o.content}) in chat ${o.chat.id.slice(0, 8)} is ${o.chat.present ? 'not in its file' : 'gone with its file'}${o.who === 'app' ? (inCopy ? `; it is only in an unreported chat "${inCopy.title}"` : ' nor in a reported copy') : ''} (the file has ${JSON.stringify(files.get(o.chat)!.get(o.id) ?? null)})`);
    }
    for (const s of streams) {
      const text = streamText(s);
      const mid = streamMessageId(s);
      if (!text || s.superseded) continue;
      if (files.get(s.chat)!.get(mid) === text) continue;
      if (movedTo.get(s.chat)?.get(mid) === text) continue; // written into the chat where it moved (above)
      if (copies.some((cp) => cp.reported && cp.messages.get(mid) === text)) continue;
      fail('app-write-lost', `the streamed reply ${mid.slice(0, 8)} (${JSON.stringify(text)}) in chat ${s.chat.id.slice(0, 8)} is in neither its file (${JSON.stringify(files.get(s.chat)!.get(mid) ?? null)}) nor a reported copy`);
    }
    for (const r of refused) {
      const bytes = (await fileState(r.chat)).bytes;
      if (bytes?.includes(r.token)) fail('refused-landed', `${r.what} was refused but its text ${r.token} is in the file`);
    }
    for (const d of dropped) {
      if (d.of && !d.of.present) continue; // taken as the chat moved there (above)
      const bytes = await readFile(d.path).catch(() => null);
      if (!bytes?.equals(d.bytes)) fail('outside-file-modified', `${path.relative(dataDir, d.path)} was dropped in by the other program and is now ${bytes ? `${bytes.length} different bytes` : 'gone'}`);
      const name = path.basename(d.path);
      const imported = copies.filter((cp) => cp.characterId === path.basename(path.dirname(d.path)) && cp.title.includes(`(from ${name})`));
      if (imported.length > 1) fail('import-twice', `${name} was imported ${imported.length} times`);
      const state = readFullState(d.bytes);
      const want = 'error' in state ? [] : state.messages;
      for (const cp of imported) {
        const missing = want.filter((m) => cp.messages.get(m.id) !== m.content);
        if (missing.length) fail('import-partial', `the import of ${name} ("${cp.title}") lacks ${missing.map((m) => m.id).join(', ')}`);
      }
    }
    for (const c of chats) {
      if (!c.present) continue;
      const r = await call('getChat', { chatId: c.id });
      if (!r.ok) fail('chat-moved', `chat ${c.id.slice(0, 8)} (folder ${c.folder}) is not listed: ${r.error.code}`);
      else if (r.data.characterId !== c.folder) fail('chat-moved', `chat ${c.id.slice(0, 8)} moved from folder ${c.folder} to ${r.data.characterId}`);
    }
    for (const [c, text] of drafts) {
      const r = await call('getDraft', { chatId: c.id });
      if (!r.ok || r.data.text !== text) fail('draft-lost', `the draft ${text} of chat ${c.id.slice(0, 8)} was acknowledged, and after the restart it is ${JSON.stringify(r.ok ? r.data.text : r.error.code)}`);
    }
    // A half-made conflict copy shows up above: each acknowledged app write and each reply so far must
    // be in its chat or in a reported copy. A copy may be empty when the app's version is (every
    // message deleted, then an older file put back), and may hold records another program wrote
    // that the app had seen: neither loses anything.
    for (const im of imports) {
      if (!copies.some((cp) => cp.messages.get(im.id) === im.token)) fail('app-write-lost', `the import of ${im.token} was acknowledged but no chat holds it`);
    }
  } finally {
    if (up) await shutdown().catch(() => {});
    // A replayed failure tells what the app did and what the files hold.
    if (violations.length && process.env.SECOND_WRITERS_REPLAY) {
      appLog.push(...events.map(([e, p]) => `event ${e} ${JSON.stringify(p).slice(0, 300)}`));
      for (const [p, log] of watchLog) appLog.push(`watch ${path.basename(p)}: ${log.join(', ')}`);
      for (const c of chats) appLog.push(`file ${c.id.slice(0, 8)}:\n${(await readFile(c.path, 'utf8').catch(() => '(none)')).slice(0, 4000)}`);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (violations.length) throw new Violations(`${violations.length} violation(s):\n${violations.join('\n')}`);
}

let writer: SecondWriter;
/** The app's narration of the current run: printed with a replayed failure. */
const appLog: string[] = [];
const warn = console.warn;
beforeAll(() => {
  writer = SecondWriter.start();
  // The app's own narration of what it did (the watcher, the conflict keeper, the active chat): thousands of lines over 200 runs.
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && /^\[(watcher|conflict|active-chat)\]/.test(args[0])) {
      appLog.push(`${performance.now().toFixed(1)} ${args.map(String).join(' ')}`);
      return;
    }
    warn(...args);
  };
});
afterAll(() => {
  console.warn = warn;
  writer.stop();
});

describe('second writers (issue 14)', () => {
  it('200 random interleavings of the app, a second writer process and restarts lose no acknowledged byte', { timeout: 900_000 }, async () => {
    const property = fc.asyncProperty(config, fc.array(op, { minLength: 1, maxLength: 30, size: 'max' }), (cfg, ops) => runOnce(cfg, ops, writer));
    // To replay a failure: SECOND_WRITERS_REPLAY='{"seed":…,"path":"…"}' (as fast-check prints them), or the counterexample itself.
    const replay = process.env.SECOND_WRITERS_REPLAY ? (JSON.parse(process.env.SECOND_WRITERS_REPLAY) as { seed: number; path: string } | [{ compactOnClose: boolean }, Op[]]) : undefined;
    // SECOND_WRITERS_REPEAT=N replays a counterexample N times (a race may need many tries).
    if (Array.isArray(replay)) {
      const times = Number(process.env.SECOND_WRITERS_REPEAT ?? 1);
      for (let i = 1; i <= times; i++) {
        try {
          appLog.length = 0;
          await runOnce(replay[0], replay[1], writer);
        } catch (e) {
          throw new Error(`replay ${i} of ${times}: ${(e as Error).message}\n${appLog.join('\n')}`);
        }
      }
      return;
    }
    await fc.assert(property, { numRuns: 200, interruptAfterTimeLimit: 840_000, markInterruptAsFailure: true, ...(replay ? { seed: replay.seed, path: replay.path, endOnFailure: true } : {}) });
  });
});
