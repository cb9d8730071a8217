// The one way bytes are added to a chat file: whole lines in one write and one fdatasync, only
// while the path still names the file that was read, and never leaving a partial line behind.
import { StoreError } from '../../../shared/errors.ts';
import { ioError } from '../../durable/durable.ts';
import { serialize } from '../records.ts';
import type { LogFile, Ref } from './log-file.ts';

/** Several records in one write and one fdatasync: all of them land, or none is acknowledged. Returns where each line went. */
export async function appendLines(file: LogFile, recs: { timestamp: number }[]): Promise<Ref[]> {
  const texts = recs.map(serialize);
  const text = texts.join('');
  const buf = Buffer.from(file.endsWithNewline ? text : `\n${text}`);
  const prev = file.size;
  let writing = false;
  file.failedWrite = null;
  // Another program wrote with our last write: the log no longer knows where lines end (the store reads it anew first).
  if (file.stale) throw new StoreError('CONFLICT', `chat ${file.chatId} was changed outside the app; nothing was saved. It has been re-read: try again`, { chatId: file.chatId, reason: 'changed_outside' });
  try {
    await file.assertUnchanged();
    if (!file.writer) {
      const writer = await file.fs.open(file.path, 'a');
      // The path could have been swapped between the stat and this open: check the handle too.
      const st = await writer.stat({ bigint: true });
      if (st.ino !== file.ino || st.dev !== file.dev) {
        await writer.close();
        await file.assertUnchanged();
        file.stale = true;
        throw new StoreError('CONFLICT', `chat ${file.chatId} was replaced outside the app; nothing was saved`, { chatId: file.chatId, reason: 'changed_outside' });
      }
      file.writer = writer;
    }
    writing = true;
    let done = 0;
    while (done < buf.length) done += (await file.writer.write(buf, done, buf.length - done)).bytesWritten;
    await file.writer.datasync();
  } catch (e) {
    file.mtimeNs = -1n;
    // Leave no partial line behind: cut back to the last acknowledged byte. The file is then
    // still the store's own (with a new mtime); if the cut fails, its tail may be a partial line of ours.
    if (writing) {
      const w = file.writer!;
      const cutBack = await w.truncate(prev).then(() => w.datasync()).then(() => true, () => false);
      if (cutBack) file.mtimeNs = await w.stat({ bigint: true }).then((st) => st.mtimeNs, () => -1n);
      file.failedWrite = { from: prev, cutBack };
    }
    throw ioError(e, `saving to chat ${file.chatId}`);
  }
  // What the file looks like after our write (the watcher compares it); the lines are durable, so a failed fstat only means "unknown".
  const after = await file.writer.stat({ bigint: true }).catch(() => null);
  file.mtimeNs = after?.mtimeNs ?? -1n;
  let off = prev + (file.endsWithNewline ? 0 : 1);
  file.endsWithNewline = true;
  file.size = file.fileSize = prev + buf.length;
  if (after && Number(after.size) !== file.fileSize) {
    // Another program appended between the check above and this write, or right after it. Our lines
    // are durable in the file (O_APPEND wrote them whole), so the write stands; but the file is no
    // longer what this log holds, nor all ours: the app's version is the whole file as it is now, and
    // the store reads it anew (ChatTasks.acknowledge).
    file.stale = true;
    let size = Number(after.size);
    const lost = await recordsInsideALine(file, prev, buf, size, texts);
    if (lost.length) {
      // That program had written part of a line: our first line went into it and cannot be read
      // there (the others follow on lines of their own). Write it again on a line of its own (the
      // leading newline ends whatever line the file ends in).
      const again = Buffer.from(`\n${lost.join('')}`);
      let done = 0;
      while (done < again.length) done += (await file.writer.write(again, done, again.length - done)).bytesWritten;
      await file.writer.datasync();
      const st = await file.writer.stat({ bigint: true }).catch(() => null);
      file.mtimeNs = st?.mtimeNs ?? -1n;
      size = st ? Number(st.size) : size + again.length;
    }
    file.size = file.fileSize = size;
  }
  return texts.map((t) => {
    const len = Buffer.byteLength(t);
    const ref = { off, len: len - 1 };
    off += len;
    return ref;
  });
}

/** Bytes read back to find where a write went when another program appended at the same time. */
const MAX_READ_BACK = 16 * 1024 * 1024;

/**
 * Which of our lines (`texts`, written as `buf` at the end of a file that was `prev` bytes long)
 * cannot be read where they landed: the first one, if it went right after a partial line another
 * program had begun (anything but blanks since the last newline). The file is read back from `prev`.
 */
async function recordsInsideALine(file: LogFile, prev: number, buf: Buffer, size: number, texts: string[]): Promise<string[]> {
  if (!file.reader || size - prev > MAX_READ_BACK) return [];
  const region = await file.read(prev, size - prev).catch(() => null);
  if (!region) return [];
  const at = region.indexOf(buf);
  if (at < 0) return texts; // not found whole (our write was split): every line written again to be sure
  if (at === 0 || buf[0] === 0x0a) return [];
  const lineStart = region.lastIndexOf(0x0a, at - 1) + 1; // their line began at or after prev (ours ended in a newline)
  return region.subarray(lineStart, at).toString('utf8').trim() === '' ? [] : texts.slice(0, 1);
}
