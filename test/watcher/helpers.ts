import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FsSeam } from '../../electron/durable/fs-seam.ts';
import type { Provider } from '../../electron/generation/provider.ts';
import { createServices } from '../../electron/ipc/services.ts';
import { openChatStore } from '../../electron/store/index.ts';
import { tempDir } from '../store/helpers.ts';

const run = promisify(execFile);
const CHILD = path.join(import.meta.dirname, 'writer-child.ts');

/** Runs an external writer process (see writer-child.ts) and waits for it to exit. */
export async function external(op: 'append' | 'replace' | 'write' | 'delete' | 'patch', file: string, text = ''): Promise<void> {
  await run(process.execPath, [CHILD, op, file, text]);
}

export function messageLine(id: string, content: string, timestamp = Date.now()): string {
  return `${JSON.stringify({ id, role: 'user', content, timestamp })}\n`;
}

/** Polls until `pred` holds; rejects after `ms` (a correctness bound, not a timing figure). */
export async function until<T>(pred: () => T | undefined | false, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`not seen within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export type Cleanup = () => Promise<unknown>;

export interface StartOptions {
  provider?: Provider | undefined;
  watchSettleMs?: number | undefined;
  autosaveIntervalMs?: number | undefined;
  /** The store's file system (the fs seam: only for faults the OS cannot make on demand). */
  fs?: FsSeam | undefined;
  /** false: no chats-folder watcher. */
  watch?: boolean | undefined;
}

/**
 * The store and the services (with the watcher) on a data directory, as the app starts them, and
 * `ok`: a binding call that throws on a failed envelope (the error info on `.info`).
 */
export async function startServices(cleanups: Cleanup[], dataDir: string, o: StartOptions = {}) {
  const store = await openChatStore({ dataDir, ...(o.fs ? { fs: o.fs } : {}) });
  const events: [string, any][] = [];
  const services = createServices<boolean>({
    store,
    emit: (e, p) => events.push([e, p]),
    isTrustedSender: () => true,
    ...(o.autosaveIntervalMs !== undefined ? { autosaveIntervalMs: () => o.autosaveIntervalMs! } : {}),
    ...(o.provider ? { provider: o.provider } : {}),
    ...(o.watchSettleMs !== undefined ? { watchSettleMs: o.watchSettleMs } : {}),
    ...(o.watch === false ? { watch: false } : {}),
  });
  const stop = () => services.shutdown();
  cleanups.push(stop);
  await services.ready;
  const ok = async (ch: string, p: unknown = {}) => {
    const r = (await services.binding.handle(true, ch, p)) as any;
    if (!r.ok) throw Object.assign(new Error(`${ch}: ${JSON.stringify(r.error)}`), { info: r.error });
    return r.data;
  };
  return { store, services, events, stop, ok };
}

/** A character named `name` with one chat titled `title`, made through the binding, and the chat file's path. */
export async function characterWithChat(ok: (ch: string, p?: unknown) => Promise<any>, dataDir: string, name: string, title: string) {
  const character = await ok('createCharacter', { name });
  const chat = await ok('createChat', { characterId: character.id, title });
  return { characterId: character.id as string, chatId: chat.chatId as string, file: path.join(dataDir, 'chats', character.id, `${chat.chatId}.jsonl`) };
}

/**
 * A chat ("Shared", character "Rae") with a reply streaming into it: "Part one." is on disk, " Part
 * two." waits for `release()`; `ended()` resolves with the stream's stream:end. Also `replyId`.
 */
export async function streamingReply(cleanups: Cleanup[], o: { watch?: boolean } = {}) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const provider: Provider = async function* () {
    yield 'Part one.';
    await gate;
    yield ' Part two.';
  };
  const dataDir = tempDir();
  const app = await startServices(cleanups, dataDir, { provider, autosaveIntervalMs: 10, watch: o.watch });
  const chat = await characterWithChat(app.ok, dataDir, 'Rae', 'Shared');
  await app.ok('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'Hi' } });
  const { streamId } = await app.ok('generate', { mode: 'new', chatId: chat.chatId });
  await until(() => app.events.some(([n]) => n === 'stream:chunk'), 2000, 'first chunk');
  await app.services.autosave.flush();
  if (o.watch !== false) await app.services.watcher!.idle();
  const replyId = (await app.ok('loadChat', { chatId: chat.chatId })).messages.at(-1).id as string;
  const ended = () => until(() => app.events.find(([n, p]) => n === 'stream:end' && p.streamId === streamId), 5000, 'stream end').then(([, end]) => end);
  return { ...app, ...chat, dataDir, release, replyId, ended };
}

/**
 * A closed chat of two messages ("Synced", character `cz`) in `dataDir`: its id, folder, file, the
 * name a Syncthing conflict copy of it takes, and its bytes.
 */
export async function syncedChat(dataDir: string) {
  const store = await openChatStore({ dataDir });
  const c = await store.createChat({ characterId: 'cz', title: 'Synced' });
  await store.appendMessages(c.chatId, [
    { role: 'user', content: 'one', timestamp: 1_700_000_000_001 },
    { role: 'assistant', content: 'two', timestamp: 1_700_000_000_002 },
  ]);
  await store.close();
  const dir = path.join(dataDir, 'chats', 'cz');
  const file = path.join(dir, `${c.chatId}.jsonl`);
  return { chatId: c.chatId, dir, file, copy: path.join(dir, `${c.chatId}.sync-conflict-20261205-101010-ABCDEFG.jsonl`), bytes: await readFile(file, 'utf8') };
}
