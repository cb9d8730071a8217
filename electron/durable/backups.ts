// Backups taken before every destructive rewrite, with a rotation whose guarantee is stated and
// property-tested (backups.test.ts). Kept: the newest N; the first backup after every quiet gap
// of at least 5 minutes, for 7 days; the oldest backup of each hour of the last day and of each
// day of the last 30 days. Text written between rewrites reaches a backup only in the next
// rewrite's backup, and the first rewrite after a pause is exactly the one a burst would evict.
import { dirname, join } from 'node:path';
import { errnoOf, fsyncDir, ioError, mkdirDurable } from './durable.ts';
import type { FsSeam } from './fs-seam.ts';

/** `<ms>-<seq>[.<reason>].jsonl`: the reason (why the rewrite was made) rides in the name, so a backup and its label are one atomic rename. */
const BACKUP_NAME = /^(\d{13})-(\d{4})(?:\.([a-z][a-z-]{0,31}))?\.jsonl$/;
/** Why a backup was taken; shown as "before <reason>". */
export type BackupReason = 'repair' | 'restore' | 'compaction' | 'merge' | 'merged-copy';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface BackupInfo {
  path: string;
  takenAt: number;
  /** `<ms>-<seq>`, the same with or without a reason. */
  id?: string;
  reason?: string;
}

/** The backups in `dir`, newest first; none when it does not exist. A folder that cannot be read is an error, never "no backups". */
export async function listBackups(fs: FsSeam, dir: string): Promise<BackupInfo[]> {
  const names = await fs.readdir(dir).catch((e: unknown) => {
    if (errnoOf(e) === 'ENOENT') return [] as string[];
    throw ioError(e, 'listing backups');
  });
  return names
    .map((name) => ({ name, m: BACKUP_NAME.exec(name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
    .map(({ name, m }) => ({ path: join(dir, name), takenAt: Number(m[1]), seq: Number(m[2]), id: `${m[1]}-${m[2]}`, reason: m[3] }))
    .sort((a, b) => b.takenAt - a.takenAt || b.seq - a.seq)
    .map(({ path, takenAt, id, reason }) => (reason === undefined ? { path, takenAt, id } : { path, takenAt, id, reason }));
}

export const QUIET_GAP = 5 * 60_000;
export const GAP_KEEP = 7 * DAY;

/**
 * Which backups rotation keeps. Pure, so the policy is tested on its own. However the backups
 * fall, at most N + 25 (hours) + 31 (days) + GAP_KEEP / QUIET_GAP + 2 are kept: each kept
 * first-after-a-gap backup but the oldest owns a quiet gap of its own ending in the last 7 days.
 */
export function backupsToKeep(backups: BackupInfo[], retention: number, now: number): Set<string> {
  const newestFirst = [...backups].sort((a, b) => b.takenAt - a.takenAt);
  const keep = new Set(newestFirst.slice(0, Math.max(1, retention)).map((b) => b.path));
  const oldestInBucket = new Map<string, BackupInfo>();
  newestFirst.forEach((b, i) => {
    const age = now - b.takenAt;
    const older = newestFirst[i + 1];
    if (age < GAP_KEEP && (!older || b.takenAt - older.takenAt >= QUIET_GAP)) keep.add(b.path);
    const bucket = age < DAY ? `h${Math.floor(b.takenAt / HOUR)}` : age < 30 * DAY ? `d${Math.floor(b.takenAt / DAY)}` : null;
    if (bucket === null) return;
    const seen = oldestInBucket.get(bucket);
    if (!seen || b.takenAt <= seen.takenAt) oldestInBucket.set(bucket, b);
  });
  for (const b of oldestInBucket.values()) keep.add(b.path);
  return keep;
}

/**
 * How a backup is made: a copy (the default), a hard link (the source is about to be replaced by a
 * rename, so its inode is left to the backup: no bytes written), or the source itself moved in.
 */
export type BackupHow = 'copy' | 'link' | 'move';

/** Copies `source` into the chat's backup folder, durably, then rotates. Returns the backup path. */
export async function takeBackup(fs: FsSeam, dir: string, source: string, retention: number, now: number, reason?: BackupReason, how: BackupHow = 'copy'): Promise<string> {
  try {
    await mkdirDurable(dir, { fs });
    const existing = await listBackups(fs, dir);
    let seq = 0;
    let id: string;
    do id = `${String(now).padStart(13, '0')}-${String(seq++).padStart(4, '0')}`;
    while (existing.some((b) => b.id === id));
    const target = join(dir, `${id}${reason ? `.${reason}` : ''}.jsonl`);
    const partial = `${target}.partial`;
    // A file system without hard links (FAT, some network shares): copied instead.
    if (how === 'link' && !(await fs.link(source, partial).then(() => fs.unlink(partial)).then(() => true, () => false))) how = 'copy';
    if (how !== 'copy') {
      // Its bytes durable first (another program may not have synced them), then one new name for them.
      const fh = await fs.open(source, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (how === 'link') await fs.link(source, target);
      else await fs.rename(source, target);
      await fsyncDir(dir);
      if (how === 'move') await fsyncDir(dirname(source));
    } else {
      await fs.copyFile(source, partial);
      const fh = await fs.open(partial, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.rename(partial, target);
      await fsyncDir(dir);
    }
    // Rotation runs only once the new backup is durable, so the last good one is never gone first.
    const all = [{ path: target, takenAt: now }, ...existing];
    const keep = backupsToKeep(all, retention, now);
    for (const b of all) if (!keep.has(b.path)) await fs.unlink(b.path).catch(() => {});
    return target;
  } catch (e) {
    throw ioError(e, 'taking a backup before rewriting the chat');
  }
}
