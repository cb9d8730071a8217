// A second writer, as another program on the same machine would be: a long-lived process that
// takes one JSON command per stdin line and answers one JSON line on stdout. It appends records,
// writes a line in two parts (keeping its file open in between, as a slow writer does), edits in
// place at the same length, replaces a file atomically (temp file + rename, like Syncthing or an
// editor; from the file as it is now, or from the stale copy it last saw), deletes, copies a chat
// into another folder, drops a sync-conflict copy, touches or re-downloads a file.
// Every answer carries what the file holds right after the operation (`snap`): the test's
// byte-level shadow of what this process wrote. Used by second-writers.test.ts.
import { closeSync, fstatSync, openSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeSync, fsyncSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

export type WriterCommand =
  | { op: 'append'; path: string; text: string }
  | { op: 'begin'; path: string; text: string }
  | { op: 'finish'; path: string; text: string }
  | { op: 'inplace'; path: string; from: string; to: string }
  | { op: 'replace'; path: string; base: 'fresh' | 'stale'; text: string }
  | { op: 'delete'; path: string }
  | { op: 'copy'; path: string; to: string }
  | { op: 'drop'; path: string; to: string; text: string }
  | { op: 'syncStale'; path: string; to: string; text: string }
  | { op: 'touch'; path: string }
  | { op: 'redownload'; path: string }
  | { op: 'reset' };

/** A file as this process left it: its identity (inode and birth time) and bytes (base64), or null when it is gone. */
export interface Snap {
  path: string;
  ino: string;
  bytes: string;
}
export type WriterReply = { ok: true; done: boolean; snaps: Snap[] } | { ok: false; error: string };

/** The bytes this process last read or wrote per path: the base of a stale replace. */
const seen = new Map<string, Buffer>();
/** Lines being written in two parts: the open file, kept between `begin` and `finish`. */
const open = new Map<string, number>();

function snap(path: string): Snap {
  // The bytes and the inode of one file, through one handle (the app may rename another over the path meanwhile).
  const fd = openSync(path, 'r');
  let bytes: Buffer;
  let st;
  try {
    st = fstatSync(fd, { bigint: true });
    bytes = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  seen.set(path, bytes);
  // Inode and birth time: an inode number freed by a rename over the file can be reused by the next new file.
  return { path, ino: `${st.ino}:${st.birthtimeNs}`, bytes: bytes.toString('base64') };
}

function writeAll(fd: number, buf: Buffer, at?: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, at === undefined ? null : at + done);
}

/** Temp file in the same folder, fsync, rename over: what Syncthing does (its temp names start with a dot). */
function atomicWrite(path: string, bytes: Buffer): void {
  const tmp = join(dirname(path), `.syncthing.${basename(path)}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeAll(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

function run(c: WriterCommand): WriterReply {
  switch (c.op) {
    case 'append': {
      const fd = openSync(c.path, 'a');
      writeAll(fd, Buffer.from(c.text));
      closeSync(fd);
      return { ok: true, done: true, snaps: [snap(c.path)] };
    }
    case 'begin': {
      const fd = openSync(c.path, 'a');
      open.set(c.path, fd);
      writeAll(fd, Buffer.from(c.text));
      return { ok: true, done: true, snaps: [snap(c.path)] };
    }
    case 'finish': {
      const fd = open.get(c.path);
      if (fd === undefined) return { ok: true, done: false, snaps: [] };
      open.delete(c.path);
      writeAll(fd, Buffer.from(c.text));
      const ino = fstatSync(fd, { bigint: true }).ino;
      closeSync(fd);
      // The rest went into the file this process had open; the path may name another one by now.
      const now = (() => {
        try {
          return statSync(c.path, { bigint: true }).ino;
        } catch {
          return null;
        }
      })();
      return { ok: true, done: true, snaps: now === ino ? [snap(c.path)] : [] };
    }
    case 'inplace': {
      const bytes = readFileSync(c.path);
      // The message's content field, not a swipe that shares its text (an edit mirrors content into the active swipe).
      const field = `"content":${JSON.stringify(c.from)}`;
      const at = bytes.lastIndexOf(field);
      if (at < 0 || Buffer.byteLength(c.from) !== Buffer.byteLength(c.to)) return { ok: true, done: false, snaps: [snap(c.path)] };
      const fd = openSync(c.path, 'r+');
      writeAll(fd, Buffer.from(JSON.stringify(c.to)), at + Buffer.byteLength('"content":'));
      closeSync(fd);
      return { ok: true, done: true, snaps: [snap(c.path)] };
    }
    case 'replace': {
      const base = c.base === 'fresh' ? readFileSync(c.path) : seen.get(c.path);
      if (!base) return { ok: true, done: false, snaps: [] };
      atomicWrite(c.path, Buffer.concat([base, Buffer.from(c.text)]));
      return { ok: true, done: true, snaps: [snap(c.path)] };
    }
    case 'delete':
      unlinkSync(c.path);
      seen.delete(c.path);
      return { ok: true, done: true, snaps: [] };
    case 'copy':
    case 'drop': {
      const bytes = readFileSync(c.path);
      seen.set(c.path, bytes);
      atomicWrite(c.to, Buffer.concat([bytes, Buffer.from(c.op === 'drop' ? c.text : '')]));
      return { ok: true, done: true, snaps: [snap(c.to)] };
    }
    case 'syncStale': {
      // Syncthing's conflict: the local version is kept as a sync-conflict copy, the remote one
      // (built on what this device last saw of the file) replaces it.
      const local = readFileSync(c.path);
      const base = seen.get(c.path);
      if (!base) return { ok: true, done: false, snaps: [] };
      atomicWrite(c.to, local);
      atomicWrite(c.path, Buffer.concat([base, Buffer.from(c.text)]));
      return { ok: true, done: true, snaps: [snap(c.to), snap(c.path)] };
    }
    case 'touch': {
      const t = Date.now() / 1000 + 1;
      utimesSync(c.path, t, t);
      return { ok: true, done: true, snaps: [snap(c.path)] };
    }
    case 'redownload':
      atomicWrite(c.path, readFileSync(c.path));
      return { ok: true, done: true, snaps: [snap(c.path)] };
    case 'reset':
      for (const fd of open.values()) closeSync(fd);
      open.clear();
      seen.clear();
      return { ok: true, done: true, snaps: [] };
  }
}

{
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    let reply: WriterReply;
    try {
      reply = run(JSON.parse(line) as WriterCommand);
    } catch (e) {
      // A file the test thought was there is gone (deleted meanwhile): nothing was done.
      reply = (e as NodeJS.ErrnoException)?.code === 'ENOENT' ? { ok: true, done: false, snaps: [] } : { ok: false, error: String((e as Error)?.stack ?? e) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  });
}
