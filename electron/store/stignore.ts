// The data folder's `.stignore`: what Syncthing (docs/SYNC.md) leaves alone when the folder is
// synced between computers. Written when absent, never rewritten (the user may edit it); harmless
// without Syncthing. Syncthing never syncs this file itself: each computer's app writes its own.
import { closeSync, existsSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { errnoOf, fsyncDirSync } from '../durable/durable.ts';
import { DEVICES_DIR } from './layout.ts';

export const STIGNORE = '.stignore';

export const STIGNORE_TEXT = `// Written by CardShark when absent; edit freely, it is never rewritten (docs/SYNC.md).
// Each computer's own state: its lock, indexes, caches, logs, settings (with the API key), drafts.
/${DEVICES_DIR}
// Where earlier versions kept that state (each computer moves its own copy at its first start).
/cardshark.lock
/cardshark.control.json
/index.json
/.cache
/logs
/.uploads
/.own-versions
/app/config.json
/app/settings.json
/app/state.json
/app/drafts.json
/app/imported-files.json
// Temp files: the app's atomic rewrites, other tools' partial downloads.
(?d)*.tmp
(?d)*.jsonl.[0-9]*
(?d)*.json.[0-9]*
(?d)*.part
`;

/** Writes `<dataDir>/.stignore` unless one exists; whole or not at all (temp file, fsync, link). */
export function writeStignoreIfAbsent(dataDir: string): void {
  const file = join(dataDir, STIGNORE);
  if (existsSync(file)) return;
  const tmp = `${file}.${process.pid}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, 'w', 0o644);
  } catch (e) {
    if (errnoOf(e) === 'EROFS' || errnoOf(e) === 'EACCES') return; // a read-only folder: nothing to sync from here
    throw e;
  }
  try {
    writeSync(fd, STIGNORE_TEXT);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file); // never over an existing (perhaps edited) file
  } catch (e) {
    const code = errnoOf(e);
    if (code !== 'EEXIST' && code !== 'EPERM' && code !== 'ENOTSUP') throw e;
    if (code !== 'EEXIST' && !existsSync(file)) renameSync(tmp, file); // no hard links here
  } finally {
    if (existsSync(tmp)) unlinkSync(tmp);
  }
  fsyncDirSync(dataDir);
}
