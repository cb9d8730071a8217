// The one function that gives app-data modules their per-device files (settings, drafts, the
// active-chat state, imported files): `<data>/devices/<deviceId>/app/<name>`. The first use after
// an upgrade moves the file from its old place (`<data>/app/<name>`, which a sync tool shared
// between computers) into this device's folder, when the folder has none yet. The move never loses
// the file: it is hard-linked into place (never over an existing file) and only then unlinked at the
// old place, each step fsync'd; a crash in between leaves both names of one file, and the next
// start removes the old one.
import { closeSync, constants, copyFileSync, fsyncSync, linkSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoOf, fsyncDirSync, mkdirDurableSync } from '../durable/durable.ts';
import { Layout, type LEGACY_DEVICE_FILES } from '../store/layout.ts';
import { writeStignoreIfAbsent } from '../store/stignore.ts';

export type DeviceFile = keyof typeof LEGACY_DEVICE_FILES;

const CURRENT: Record<DeviceFile, (l: Layout) => string> = {
  settings: (l) => `${l.deviceAppDir}/config.json`,
  oldSettings: (l) => `${l.deviceAppDir}/settings.json`,
  state: (l) => l.appStateFile,
  drafts: (l) => l.draftsFile,
  importedFiles: (l) => l.importedFilesFile,
};

/** This device's layout (its id from device-id.ts). */
export function deviceLayout(dataDir: string): Layout {
  return new Layout(dataDir);
}

/** The path of this device's `which` file, its folder made (owner-only) and a legacy file moved in. */
export function deviceFile(dataDir: string, which: DeviceFile, layout: Layout = deviceLayout(dataDir)): string {
  mkdirDurableSync(layout.deviceAppDir, { mode: 0o700 }); // settings hold the API key
  writeStignoreIfAbsent(dataDir); // before the move: Syncthing then keeps the old file on other computers
  const to = CURRENT[which](layout);
  moveLegacy(layout.legacyFile(which), to);
  return to;
}

function sameFile(a: string, b: string): boolean {
  const x = statSync(a, { throwIfNoEntry: false });
  const y = statSync(b, { throwIfNoEntry: false });
  return !!x && !!y && x.dev === y.dev && x.ino === y.ino;
}

/** Moves `from` to `to` unless `to` exists (then `from` is left alone, unless it is `to` itself). */
export function moveLegacy(from: string, to: string): void {
  if (!statSync(from, { throwIfNoEntry: false })?.isFile()) return;
  try {
    linkSync(from, to);
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT') return; // moved meanwhile by another process of this device
    if (code === 'EEXIST') {
      // The move was interrupted after the link: finish it. Otherwise this device has its own file.
      if (sameFile(from, to)) unlinkOld(from);
      return;
    }
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS' && code !== 'EMLINK') throw e;
    if (!copyInto(from, to)) return; // a file system without hard links
  }
  fsyncDirSync(dirname(to));
  unlinkOld(from);
}

function unlinkOld(from: string): void {
  try {
    unlinkSync(from);
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') throw e;
  }
  fsyncDirSync(dirname(from));
}

/** A whole, fsync'd copy renamed into place: a crash leaves the old file and at most a temp copy. */
function copyInto(from: string, to: string): boolean {
  const tmp = `${to}.migrating`;
  copyFileSync(from, tmp);
  const fd = openSync(tmp, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (statSync(to, { throwIfNoEntry: false })) {
    unlinkSync(tmp); // appeared meanwhile: this device's own file wins, the old one stays
    return false;
  }
  renameSync(tmp, to);
  return true;
}
