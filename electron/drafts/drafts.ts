// Composer drafts, one per chat, kept main-side in this device's app/drafts.json (app-data/device-files.ts). An update is held
// in memory at once and written through the shared debouncer (one write per interval however many
// keystrokes), or at once when flushed (chat switch, page hidden, quit).
import { z } from 'zod';
import { ChatId } from '../../shared/chat-format.ts';
import { deviceFile } from '../app-data/device-files.ts';
import { jsonFile } from '../app-data/json-file.ts';
import type { Debouncer } from '../autosave/debouncer.ts';

const FileSchema = z.object({ drafts: z.record(ChatId, z.string()) });
const KEY = 'drafts';

export interface Drafts {
  get(chatId: string): Promise<string>;
  /** Resolves once held in memory (written by the next flush, at the latest at quit); with `flush`, once on disk. Refused (CLOSED) once the quit began. */
  set(chatId: string, text: string, flush?: boolean): Promise<void>;
  forget(chatId: string): Promise<void>;
}

export function openDrafts(dataDir: string, autosave: Debouncer): Drafts {
  const file = jsonFile(deviceFile(dataDir, 'drafts'), FileSchema, () => ({ drafts: {} }), (json) => {
    // Salvage the valid entries of a damaged file.
    const raw = (json as { drafts?: unknown })?.drafts;
    if (typeof raw !== 'object' || raw === null) return undefined;
    return { drafts: Object.fromEntries(Object.entries(raw).filter(([k, v]) => ChatId.safeParse(k).success && typeof v === 'string')) as Record<string, string> };
  });
  /** Changes not yet on disk; '' means "remove". */
  const unsaved = new Map<string, string>();

  const write = async () => {
    if (unsaved.size === 0) return;
    const batch = new Map(unsaved);
    await file.update((cur) => {
      const drafts = { ...cur.drafts };
      for (const [id, text] of batch) {
        if (text) drafts[id] = text;
        else delete drafts[id];
      }
      return { drafts };
    });
    // Only what this write carried is settled; newer keystrokes stay unsaved.
    for (const [id, text] of batch) if (unsaved.get(id) === text) unsaved.delete(id);
  };

  return {
    async get(chatId) {
      return unsaved.get(chatId) ?? (await file.read()).drafts[chatId] ?? '';
    },
    async set(chatId, text, flush = false) {
      // Scheduled first: once the app quits this throws CLOSED, and the draft is refused, not held.
      autosave.set(KEY, write);
      unsaved.set(chatId, text);
      if (flush) await autosave.flush(KEY);
    },
    async forget(chatId) {
      autosave.set(KEY, write);
      unsaved.set(chatId, '');
      await autosave.flush(KEY);
    },
  };
}
