// Which outside files (sync conflict copies, files whose id was taken) were already imported, so a
// start-up scan or a repeated event does not import the same bytes twice. Kept in
// <data>/app/imported-files.json: chats-folder-relative path → the file's identity when imported.
import path from 'node:path';
import { z } from 'zod';
import { jsonFile } from '../app-data/json-file.ts';

const FileSchema = z.object({ files: z.record(z.string(), z.string()) });

export interface ImportedFiles {
  get(relPath: string): Promise<string | undefined>;
  set(relPath: string, identity: string): Promise<void>;
}

export function openImportedFiles(dataDir: string): ImportedFiles {
  const file = jsonFile(path.join(dataDir, 'app', 'imported-files.json'), FileSchema, () => ({ files: {} }));
  return {
    async get(relPath) {
      return (await file.read()).files[relPath];
    },
    async set(relPath, identity) {
      await file.update((cur) => ({ files: { ...cur.files, [relPath]: identity } }));
    },
  };
}

/** In memory only (tests, a watcher without a data dir). */
export function memoryImportedFiles(): ImportedFiles {
  const m = new Map<string, string>();
  return { get: async (p) => m.get(p), set: async (p, v) => void m.set(p, v) };
}
