// Shared test helpers: real temp directories, and an fs seam that injects faults on demand.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { nodeFs, type FsSeam } from '../../electron/store/index.ts';
import { Layout } from '../../electron/store/layout.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cardshark-test-'));
  dirs.push(d);
  return d;
}

export function chatPath(dataDir: string, characterId: string, chatId: string): string {
  return join(dataDir, 'chats', characterId, `${chatId}.jsonl`);
}

export async function fileBytes(path: string): Promise<Buffer> {
  return readFile(path);
}

export async function sizeOf(path: string): Promise<number> {
  return (await stat(path)).size;
}

export function errnoError(code: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: injected fault`) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

/** A seam whose faults are switched on and off by the test; everything else is the real fs. */
export function faultySeam() {
  const faults: { write?: { code: string; afterBytes: number }; open?: { code: string; match: string }; copyFile?: string; writeFileAtomic?: string } = {};
  const seam: FsSeam = {
    ...nodeFs,
    open: (async (path: string, flags?: string, mode?: number) => {
      if (faults.open && String(path).includes(faults.open.match)) throw errnoError(faults.open.code);
      const fh = await nodeFs.open(path, flags, mode);
      const realWrite = fh.write.bind(fh) as (buf: Buffer, off: number, len: number) => Promise<{ bytesWritten: number; buffer: Buffer }>;
      // Write a few bytes for real, then fail: the torn write a full disk produces.
      (fh as unknown as { write: unknown }).write = async (buf: Buffer, off: number, len: number) => {
        const f = faults.write;
        if (!f) return realWrite(buf, off, len);
        if (f.afterBytes > 0) await realWrite(buf, off, Math.min(len, f.afterBytes));
        throw errnoError(f.code);
      };
      return fh;
    }) as FsSeam['open'],
    copyFile: async (src, dst, mode) => {
      if (faults.copyFile) throw errnoError(faults.copyFile);
      return nodeFs.copyFile(src, dst, mode);
    },
    writeFileAtomic: async (path, data) => {
      if (faults.writeFileAtomic) throw errnoError(faults.writeFileAtomic);
      return nodeFs.writeFileAtomic(path, data);
    },
  };
  return { seam, faults };
}

/** What a process taking the lock over leaves at the path: a new file (inode) with its own token; an old mtime, to see any touch. */
export async function takeOverLock(dir: string): Promise<number> {
  const path = new Layout(dir).lockFile;
  await writeFile(`${path}.thief`, JSON.stringify({ pid: 4242, hostname: 'elsewhere.example', procStart: '1', token: 'thief', acquiredAt: Date.now() }));
  const old = new Date(Date.now() - 3_600_000);
  await utimes(`${path}.thief`, old, old);
  await rename(`${path}.thief`, path);
  return (await stat(path)).mtimeMs;
}
