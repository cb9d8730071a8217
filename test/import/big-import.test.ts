// Issue 16 §1: an import of any size, in bounded memory, all or nothing. A generated
// 1,000,000-message SillyTavern chat goes through the CLI as a user runs it (a real child
// process) and its peak RSS is measured; a SIGKILL mid-import leaves no chat, and the next open
// removes its temp file; a cancel leaves neither.
// Bound (generous: 2 shared cores; the 1M figures are in `npm run bench -- --messages 1000000`):
// peak RSS ≤ 256 MB (the old importer read the whole file into one string: it failed at ~512 MB
// of text, after passing 1 GB of RSS).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importPath } from '../../electron/import/index.ts';
import { openChatStore } from '../../electron/store/index.ts';
import { CHAT_FILE, REWRITE_TEMP } from '../../electron/store/layout.ts';
import { tempDir } from './helpers.ts';
import { peakKb, writeChat } from './generated-chat.ts';

const CLI = join(import.meta.dirname, '..', '..', 'electron', 'entry', 'cli.ts');
const RSS_MAX_MB = 256;

/**
 * The CLI as a child process; its peak RSS from /usr/bin/time -v when there is one (the kernel's
 * figure for the whole run), else the last VmHWM read of /proc/<pid>/status while it ran.
 */
async function cliImport(dataDir: string, src: string): Promise<{ status: number | null; stdout: string; stderr: string; peakMb: number }> {
  const time = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const args = [CLI, 'import', src, '--character', 'big', '--json', '--data-dir', dataDir];
  const child = time ? spawn(time, ['-v', process.execPath, ...args]) : spawn(process.execPath, args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let polled = 0;
  const poll = setInterval(() => {
    if (time) return;
    polled = Math.max(polled, peakKb(child.pid!));
  }, 20);
  const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  clearInterval(poll);
  const fromTime = time ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? NaN) : NaN;
  return { status, stdout, stderr, peakMb: (time ? fromTime : polled) / 1024 };
}

const filesIn = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

describe('an import of any size, in bounded memory', () => {
  it(`a 1,000,000-message SillyTavern chat imports through the CLI with peak RSS ≤ ${RSS_MAX_MB} MB`, async () => {
    const dir = tempDir();
    const src = join(dir, 'million.jsonl');
    const bytes = writeChat(src, 1_000_000);
    const r = await cliImport(join(dir, 'data'), src);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(r.stdout) as { chats: { status: string; messageCount: number; problems: unknown[]; chatId: string }[]; failed: unknown[] };
    expect(report.failed).toEqual([]);
    expect(report.chats).toMatchObject([{ status: 'created', messageCount: 1_000_000, problems: [] }]);
    const chatFile = join(dir, 'data', 'chats', 'big', `${report.chats[0]!.chatId}.jsonl`);
    expect(statSync(chatFile).size).toBeGreaterThan(bytes * 0.8);
    expect(filesIn(join(dir, 'data', 'chats', 'big')).filter((n) => REWRITE_TEMP.test(n))).toEqual([]);
    console.log(`1M-message import through the CLI: ${(bytes / 1e6).toFixed(0)} MB source, peak RSS ${r.peakMb.toFixed(0)} MB`);
    expect(r.peakMb).toBeGreaterThan(20); // measured, not a missing figure
    expect(r.peakMb).toBeLessThanOrEqual(RSS_MAX_MB);
  }, 240_000);

  it('a SIGKILL mid-import leaves no chat; the next open removes the temp file, and the import then runs whole', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const src = join(dir, 'big.jsonl');
    writeChat(src, 150_000); // ~20 MB: past the size kept in memory, so a temp file is written
    const charDir = join(dataDir, 'chats', 'big');
    const child = spawn(process.execPath, [CLI, 'import', src, '--character', 'big', '--data-dir', dataDir], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Wait for the temp file, then kill at a random point while it grows.
    const deadline = Date.now() + 90_000;
    while (!filesIn(charDir).some((n) => REWRITE_TEMP.test(n))) {
      if (Date.now() > deadline) throw new Error('the import never wrote a temp file');
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
    const before = filesIn(charDir);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // Killed mid-write: the temp file is there, and no chat.
    expect(before.filter((n) => CHAT_FILE.test(n))).toEqual([]);
    expect(filesIn(charDir).filter((n) => CHAT_FILE.test(n))).toEqual([]);
    expect(filesIn(charDir).filter((n) => REWRITE_TEMP.test(n))).toHaveLength(1);

    const store = await openChatStore({ dataDir });
    try {
      expect(filesIn(charDir)).toEqual([]); // the temp file is gone, never taken as a chat
      expect(await store.listChats('big')).toEqual([]);
      const r = await importPath(store, src, { characterId: 'big' });
      expect(r.chats).toMatchObject([{ status: 'created', messageCount: 150_000 }]);
    } finally {
      await store.close();
    }
  }, 180_000);

  it('a cancel mid-way leaves no chat and no temp file (CANCELLED), and the import can run again', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const src = join(dir, 'big.jsonl');
    writeChat(src, 150_000);
    const charDir = join(dataDir, 'chats', 'big');
    const store = await openChatStore({ dataDir });
    try {
      const abort = new AbortController();
      let sawTemp = false;
      const progress: { phase?: string; messagesWritten?: number }[] = [];
      const run = importPath(store, src, {
        characterId: 'big',
        signal: abort.signal,
        onProgress: (p) => {
          progress.push(p);
          // Cancel once a temp file is being written (half the messages in).
          if (p.phase === 'write' && (p.messagesWritten ?? 0) > 75_000 && !abort.signal.aborted) {
            sawTemp = filesIn(charDir).some((n) => REWRITE_TEMP.test(n));
            abort.abort();
          }
        },
      });
      await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(sawTemp).toBe(true);
      expect(progress.some((p) => p.phase === 'scan')).toBe(true);
      expect(filesIn(charDir)).toEqual([]);
      expect(await store.listChats('big')).toEqual([]);
      const again = await importPath(store, src, { characterId: 'big' });
      expect(again.chats).toMatchObject([{ status: 'created', messageCount: 150_000 }]);
    } finally {
      await store.close();
    }
  }, 180_000);
});
