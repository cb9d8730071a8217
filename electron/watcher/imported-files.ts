// Which outside files (sync conflict copies, files whose id was taken) were imported, so that a
// start-up scan, a repeated event, a `touch` or a re-download never imports the same bytes twice.
// Kept per device, in devices/<id>/app/imported-files.json (each device imports on its own):
// - `contents`: the SHA-256 of every content imported → the path it was first imported from. The
//   bytes decide: the same bytes at any path, with any inode or mtime, are not imported again.
// - `files`: chats-folder-relative path → "dev:ino:size:mtimeNs sha256" of the file when it was
//   imported or found imported: a fast path, so an unchanged file is not read and hashed at every
//   start. Versions before the hash recorded "dev:ino:size:mtimeNs" alone; such an entry still
//   counts for its unchanged file, and gets its hash the first time it is seen.
import { z } from 'zod';
import { deviceFile } from '../app-data/device-files.ts';
import { jsonFile } from '../app-data/json-file.ts';

const FileSchema = z.object({
  files: z.record(z.string(), z.string()),
  contents: z.record(z.string(), z.string()).default({}),
});

export interface ImportedFile {
  /** "dev:ino:size:mtimeNs" of the file when recorded. */
  key: string;
  /** The SHA-256 of its bytes then; null in a record of an earlier version. */
  sha256: string | null;
}

export interface ImportedFiles {
  /** What is recorded for this path. */
  file(relPath: string): Promise<ImportedFile | undefined>;
  /** Whether these bytes were imported, from any path. */
  hasContent(sha256: string): Promise<boolean>;
  /** Records the bytes at this path (with its stat key) as imported. */
  set(relPath: string, key: string, sha256: string): Promise<void>;
}

type ImportRecord = z.output<typeof FileSchema>;

function entryOf(value: string | undefined): ImportedFile | undefined {
  if (value === undefined) return undefined;
  const [key = '', sha256 = null] = value.split(' ');
  return { key, sha256 };
}

function withImport(cur: ImportRecord, relPath: string, key: string, sha256: string): ImportRecord {
  return {
    files: { ...cur.files, [relPath]: `${key} ${sha256}` },
    contents: Object.hasOwn(cur.contents, sha256) ? cur.contents : { ...cur.contents, [sha256]: relPath },
  };
}

export function openImportedFiles(dataDir: string): ImportedFiles {
  const file = jsonFile(deviceFile(dataDir, 'importedFiles'), FileSchema, () => ({ files: {}, contents: {} }));
  return {
    file: async (relPath) => entryOf((await file.read()).files[relPath]),
    hasContent: async (sha256) => Object.hasOwn((await file.read()).contents, sha256),
    async set(relPath, key, sha256) {
      await file.update((cur) => withImport(cur, relPath, key, sha256));
    },
  };
}

/** In memory only (tests, a watcher without a data dir). */
export function memoryImportedFiles(): ImportedFiles {
  let cur: ImportRecord = { files: {}, contents: {} };
  return {
    file: async (relPath) => entryOf(cur.files[relPath]),
    hasContent: async (sha256) => Object.hasOwn(cur.contents, sha256),
    set: async (relPath, key, sha256) => void (cur = withImport(cur, relPath, key, sha256)),
  };
}
