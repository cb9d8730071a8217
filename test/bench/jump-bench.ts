// jump_100k_ms and jump_1m_ms: a jump (loadChat { around }) in a fresh child process (jump-child.ts,
// bundled as the app ships the store): openChatStore() → loadChat. The first child finds no position
// index: it scans the file, and its store saves the index on close (reported as the cold jump);
// the measured children then open the store fresh and jump through the index.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openChatStore } from '../../electron/store/index.ts';
import { buildBigChat } from '../fixtures/big-chat.ts';
import { bundleChild } from './bundle-child.ts';
import { Layout } from '../../electron/store/layout.ts';

export interface JumpResult {
  jump_ms: number;
  /** Of which openChatStore, and loadChat (the jump itself). */
  open_ms: number;
  load_ms: number;
  messages: number;
  has_anchor: boolean;
  has_more: boolean;
  has_newer: boolean | null;
  max_rss_mb: number;
}

export interface JumpRuns {
  /** The first jump: no index yet (a scan of the whole file, whose table is then saved). */
  cold: JumpResult;
  runs: JumpResult[];
  /** Size of the saved position index. */
  index_mb: number;
}

const JUMP_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'jump-child.ts');

export function jumpBundle(outDir: string): Promise<string> {
  return bundleChild(JUMP_SOURCE, outDir);
}

function jumpChild(dataDir: string, chatId: string, messageId: string, script: string): JumpResult {
  const r = spawnSync(process.execPath, [script, dataDir, chatId, messageId, '50'], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`jump child failed (status ${r.status}, signal ${r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as JumpResult;
}

/** The id of the message on line `n` (1 = the first message) of a chat file, read a block at a time (a 1M chat is larger than a string may be). */
export function idOnLine(path: string, n: number): string {
  const fd = fs.openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
    let pos = 0;
    let line = 0; // the header is line 0
    let carry = Buffer.alloc(0);
    for (;;) {
      const got = fs.readSync(fd, buf, 0, buf.length, pos);
      if (got === 0) throw new Error(`${path} has fewer than ${n} lines`);
      pos += got;
      let chunk = Buffer.concat([carry, buf.subarray(0, got)]);
      let nl = chunk.indexOf(0x0a);
      while (nl !== -1) {
        if (line === n) return (JSON.parse(chunk.toString('utf8', 0, nl)) as { id: string }).id;
        line++;
        chunk = chunk.subarray(nl + 1);
        nl = chunk.indexOf(0x0a);
      }
      carry = Buffer.from(chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The cold jump, then `children` fresh processes jumping to `messageId`. */
export function measureJumps(dataDir: string, chatId: string, messageId: string, children: number, script: string): JumpRuns {
  const check = (j: JumpResult) => {
    if (!j.has_anchor || j.messages !== 50 || !j.has_newer) throw new Error(`jump child returned a wrong page: ${JSON.stringify(j)}`);
    return j;
  };
  // A search before (find_100k) may have saved the index already: the cold jump is without one.
  fs.rmSync(join(new Layout(dataDir).positionsDir, `${chatId}.pos`), { force: true });
  const cold = check(jumpChild(dataDir, chatId, messageId, script));
  const runs = Array.from({ length: children }, () => check(jumpChild(dataDir, chatId, messageId, script)));
  const index = join(new Layout(dataDir).positionsDir, `${chatId}.pos`);
  return { cold, runs, index_mb: fs.existsSync(index) ? fs.statSync(index).size / 1e6 : 0 };
}

/**
 * jump_1m_ms: a 1,000,000-message chat built in `root` (unless `existing` is one already), a jump
 * to a message 900,000 back. Returns null with the reason if building it would take too long.
 */
export async function measureJump1m(root: string, children: number, script: string, existing?: { dataDir: string; chatId: string; path: string }): Promise<(JumpRuns & { build_ms: number }) | { skipped: string }> {
  let chat = existing;
  let buildMs = 0;
  if (!chat) {
    const free = fs.statfsSync(root);
    if (free.bavail * free.bsize < 2e9) return { skipped: 'less than 2 GB free for a 575 MB chat' };
    const t0 = performance.now();
    const dataDir = join(root, 'data-1m');
    const built = buildBigChat({ dataDir, messages: 1_000_000 });
    buildMs = performance.now() - t0;
    chat = { dataDir, chatId: built.chatId, path: built.path };
    // A new library is indexed (index.json) in the background after open: done once here, as the
    // bench does for its own chat, not in every measured child.
    const store = await openChatStore({ dataDir });
    await store.whenIndexed();
    await store.close();
  }
  try {
    const id = idOnLine(chat.path, 100_001);
    return { ...measureJumps(chat.dataDir, chat.chatId, id, children, script), build_ms: buildMs };
  } finally {
    if (!existing) fs.rmSync(chat.dataDir, { recursive: true, force: true });
  }
}
