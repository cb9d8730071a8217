// A chat file of any size into main: read in chunks (the whole file is never in memory here), each
// chunk sent after the previous one was acknowledged, then the import, whose progress main reports.
// In Electron, the file picked in main's own dialog is read by main from its path instead.
import type { CardsharkApi, ChatImportResult, Result } from '../../shared/ipc-contract.ts';

export interface UploadProgress {
  phase: string;
  bytesRead: number;
  bytesTotal: number;
  messagesWritten: number;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The user's Cancel: stops sending, and main removes whatever was sent or written. */
export class UploadCancel {
  requested = false;
  private stop: (() => void) | null = null;
  cancel(): void {
    this.requested = true;
    this.stop?.();
  }
  /** @internal the upload under way, once main has given it an id. */
  bind(stop: () => void): void {
    this.stop = stop;
  }
}

export type ImportOutcome = Result<ChatImportResult> | { cancelled: true };

/** A file sent in chunks, then imported by main (the browser host; any file dropped on the page). */
export async function uploadChatFile(api: CardsharkApi, file: File, characterId: string | undefined, onProgress: (p: UploadProgress) => void, cancel: UploadCancel): Promise<ImportOutcome> {
  const start = await api.importUploadStart({ fileName: file.name.slice(0, 500) || 'chat.jsonl', size: file.size, ...(characterId ? { characterId } : {}) });
  if (!start.ok) return start;
  const { uploadId, chunkBytes } = start.data;
  return runImport(api, uploadId, onProgress, cancel, async () => {
    for (let offset = 0; offset < file.size; ) {
      if (cancel.requested) return { cancelled: true };
      const bytes = new Uint8Array(await file.slice(offset, offset + chunkBytes).arrayBuffer());
      const r = await api.importUploadChunk({ uploadId, offset, bytesBase64: toBase64(bytes) });
      if (!r.ok) return r.error.code === 'CANCELLED' || cancel.requested ? { cancelled: true } : r;
      offset = r.data.received;
      onProgress({ phase: 'upload', bytesRead: offset, bytesTotal: file.size, messagesWritten: 0 });
    }
    return null;
  });
}

/**
 * Main's own file dialog (capabilities.pickChatFile, Electron): main reads the file picked from its
 * path, so no byte crosses IPC. `onPicked` hears the file's name before the import runs; null when
 * the user closed the dialog.
 */
export async function importPickedChatFile(api: CardsharkApi, characterId: string | undefined, onPicked: (fileName: string) => void, onProgress: (p: UploadProgress) => void, cancel: UploadCancel): Promise<ImportOutcome | null> {
  const pick = await api.importPickedChat(characterId ? { characterId } : {});
  if (!pick.ok) return pick;
  if (!pick.data.picked) return null;
  onPicked(pick.data.picked.fileName);
  return runImport(api, pick.data.picked.uploadId, onProgress, cancel);
}

/**
 * An import main holds (`uploadId`): the bytes sent first when `send` is given (it returns an
 * outcome to stop early), then the import with its progress; Cancel at any point stops it, and
 * main keeps nothing of it.
 */
async function runImport(api: CardsharkApi, uploadId: string, onProgress: (p: UploadProgress) => void, cancel: UploadCancel, send?: () => Promise<ImportOutcome | null>): Promise<ImportOutcome> {
  cancel.bind(() => void api.importUploadCancel({ uploadId })); // also stops the import once it runs
  const stopUpdates = api.on('import:progress', (p) => {
    if (p.uploadId === uploadId && p.phase !== 'upload') onProgress(p);
  });
  let settled = false;
  try {
    const stopped = send ? await send() : null;
    if (stopped) return stopped;
    if (cancel.requested) return { cancelled: true };
    const done = await api.importUploadFinish({ uploadId });
    settled = true; // main dropped the upload, whatever the answer
    if (!done.ok && (done.error.code === 'CANCELLED' || cancel.requested)) return { cancelled: true };
    return done;
  } finally {
    stopUpdates();
    // Stopped early for any reason (Cancel, a refused chunk, the file unreadable): main keeps nothing of it.
    if (!settled) void api.importUploadCancel({ uploadId });
  }
}
