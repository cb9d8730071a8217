// Watches the character folders (app/characters/<id>/, depth 1) for what a sync tool does: a
// character's folder arriving from another computer, one leaving (trashed there), a card edited
// there, a conflict copy of a card file. Events are hints: after they settle, conflict copies are
// resolved (kept as previous cards) and the list is compared with the last one the windows got;
// a change emits `characters:changed`, and the windows list the characters again.
import { watch, type FSWatcher } from 'chokidar';
import { mkdirDurable } from '../durable/durable.ts';
import type { CharacterRegistry } from '../app-data/characters.ts';

export interface CharacterWatcher {
  readonly ready: Promise<void>;
  /** Resolves after the check that events so far started (tests). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface CharacterWatcherOptions {
  characters: CharacterRegistry;
  onChange: () => void;
  /** What was left alone (a conflict copy that is not a card of ours) or failed. */
  onReport?: (message: string) => void;
  settleMs?: number;
}

export function startCharacterWatcher(o: CharacterWatcherOptions): CharacterWatcher {
  const settleMs = o.settleMs ?? 300;
  const report = o.onReport ?? ((m: string) => console.error(`characters: ${m}`));
  let last: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let running: Promise<void> = Promise.resolve();
  const reported = new Set<string>();

  const check = async () => {
    const { left } = await o.characters.resolveConflictCopies();
    for (const name of left) {
      if (reported.has(name)) continue;
      reported.add(name);
      report(`${name} looks like a sync tool's copy of a card file but is not a card of this character; it was left alone`);
    }
    const now = JSON.stringify(await o.characters.list());
    if (last !== undefined && now !== last) o.onChange();
    last = now;
  };
  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(check).catch((e: unknown) => report(`checking the character folders failed: ${String(e)}`));
    }, settleMs);
  };

  let watcher: FSWatcher | undefined;
  const ready = (async () => {
    // A data folder whose app/ cannot hold the character folders (a file in its place): reported,
    // the app runs on without watching them (the registry reports the same problem where it is used).
    const made = await mkdirDurable(o.characters.files.root).then(
      () => true,
      (e: unknown) => (report(`the character folders cannot be watched: ${String(e)}`), false),
    );
    if (!made) return;
    running = running.then(check).catch((e: unknown) => report(`checking the character folders failed: ${String(e)}`)); // the starting list, and copies that came while the app was closed
    if (closed) return;
    watcher = watch(o.characters.files.root, { ignoreInitial: true, depth: 1 });
    watcher.on('all', schedule);
    watcher.on('error', (e) => report(`watching the character folders failed: ${String(e)}`));
    await new Promise<void>((resolve) => watcher!.once('ready', () => resolve()));
    await running;
  })();

  return {
    ready,
    async settled() {
      await new Promise((r) => setTimeout(r, settleMs + 50));
      await running;
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await ready.catch(() => {});
      await watcher?.close();
      await running;
    },
  };
}
