// A small JSON document on disk: memoized load, serialized atomic saves, no write
// when nothing changed (VS Code's FileStorage pattern, minus the throttle: these
// files change on user clicks only, and the UI waits for "saved").
import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { z } from 'zod';

export interface JsonFile<T> {
  read(): Promise<T>;
  /** Applies `change` to the current value and persists it; resolves once on disk. */
  update(change: (current: T) => T): Promise<T>;
}

export function jsonFile<S extends z.ZodType>(file: string, schema: S, fallback: () => z.output<S>): JsonFile<z.output<S>> {
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
    lastText = text;
    // A damaged file must not brick the app: fall back, and the next save repairs it.
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return fallback();
    }
    const parsed = schema.safeParse(json);
    return parsed.success ? parsed.data : fallback();
  }

  const read = () => (loaded ??= load());

  function update(change: (current: T) => T): Promise<T> {
    const run = queue.then(async () => {
      const next = change(await read());
      const text = JSON.stringify(next, null, 2) + '\n';
      if (text !== lastText) {
        await mkdir(path.dirname(file), { recursive: true });
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

async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic.
  } finally {
    await fh?.close();
  }
}
