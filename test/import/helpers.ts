// Helpers for the import tests: source files written from the shapes in formats.md, a store per
// test in a real temp directory, and a hash of a whole tree (to prove sources are never modified).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openChatStore, type ChatStore } from '../../electron/store/index.ts';
import type { Message } from '../../shared/chat-format.ts';
import { tempDir } from '../store/helpers.ts';

export { tempDir };

export function writeSource(path: string, text: string | Buffer): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** SillyTavern's way: lines joined with "\n", no trailing newline. */
export const jsonl = (...objects: unknown[]) => objects.map((o) => JSON.stringify(o)).join('\n');

/** sha256 of every file under a path (or of the file), by relative name. */
export function treeHash(path: string): string {
  const h = createHash('sha256');
  const visit = (p: string, rel: string) => {
    if (statSync(p).isDirectory()) for (const n of readdirSync(p).sort()) visit(join(p, n), `${rel}/${n}`);
    else h.update(rel).update(readFileSync(p));
  };
  visit(path, '');
  return h.digest('hex');
}

export async function withStore<T>(fn: (store: ChatStore, dataDir: string) => Promise<T>, dataDir = tempDir()): Promise<T> {
  const store = await openChatStore({ dataDir });
  try {
    return await fn(store, dataDir);
  } finally {
    await store.close();
  }
}

export async function allMessages(store: ChatStore, chatId: string): Promise<Message[]> {
  const page = await store.loadChat(chatId, { limit: 1000 });
  return page.messages;
}

/** Local-time epoch ms, as the zone-less humanised dates are read. */
export const local = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0) => new Date(y, mo - 1, d, h, mi, s, ms).getTime();
