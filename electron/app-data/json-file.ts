// A small JSON document on disk: memoized load, serialized atomic saves, no write
// when nothing changed (VS Code's FileStorage pattern, minus the throttle: these
// files change on user clicks only, and the UI waits for "saved").
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { z } from 'zod';
import { fsyncDir, mkdirDurable } from '../durable/durable.ts';

export interface JsonFile<T> {
  read(): Promise<T>;
  /** Applies `change` to the current value and persists it; resolves once on disk. */
  update(change: (current: T) => T): Promise<T>;
}

/**
 * `salvage` recovers what it can from a document that fails the schema (say, the valid
 * entries of a list). Either way the damaged file is first kept beside the original as
 * `<name>.damaged-<ms>`, so the next save can never destroy what it could not read.
 */
export function jsonFile<S extends z.ZodType>(
  file: string,
  schema: S,
  fallback: () => z.output<S>,
  salvage?: (json: unknown) => z.output<S> | undefined,
  /** Called before a rewrite replaces a file that exists (e.g. takeBackup for the character registry). */
  beforeRewrite?: (file: string) => Promise<unknown>,
): JsonFile<z.output<S>> {
  type T = z.output<S>;
  let loaded: Promise<T> | undefined;
  let lastText = '';
  let queue: Promise<unknown> = Promise.resolve();

  async function load(): Promise<T> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return fallback();
      throw e;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) {
      lastText = text;
      return parsed.data;
    }
    // A damaged file must not brick the app, nor be overwritten: keep it, then carry on.
    await rename(file, `${file}.damaged-${Date.now()}`);
    await fsyncDir(path.dirname(file));
    return (json !== undefined && salvage?.(json)) || fallback();
  }

  // A failed load (EIO, EACCES) is not remembered: the next call tries the disk again.
  const read = () => (loaded ??= load().catch((e: unknown) => {
    loaded = undefined;
    throw e;
  }));

  function update(change: (current: T) => T): Promise<T> {
    const run = queue.then(async () => {
      const next = change(await read());
      const text = JSON.stringify(next, null, 2) + '\n';
      if (text !== lastText) {
        await mkdirDurable(path.dirname(file), { mode: 0o700 }); // private: settings hold an API key
        if (beforeRewrite && lastText) await beforeRewrite(file);
        await writeFileAtomic(file, text, { fsync: true });
        await fsyncDir(path.dirname(file)); // write-file-atomic does not fsync the directory
        lastText = text;
      }
      loaded = Promise.resolve(next);
      return next;
    });
    queue = run.catch(() => undefined);
    return run;
  }

  return { read, update };
}
