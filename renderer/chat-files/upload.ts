// A chat file of any size into main: read in chunks (the whole file is never in memory here), each
// chunk sent after the previous one was acknowledged, then the import, whose progress main reports.
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

export async function uploadChatFile(api: CardsharkApi, file: File, characterId: string | undefined, onProgress: (p: UploadProgress) => void, cancel: UploadCancel): Promise<Result<ChatImportResult> | { cancelled: true }> {
  const start = await api.importUploadStart({ fileName: file.name.slice(0, 500) || 'chat.jsonl', size: file.size, ...(characterId ? { characterId } : {}) });
  if (!start.ok) return start;
  const { uploadId, chunkBytes } = start.data;
  cancel.bind(() => void api.importUploadCancel({ uploadId })); // also stops the import once it runs
  const stopUpdates = api.on('import:progress', (p) => {
    if (p.uploadId === uploadId && p.phase !== 'upload') onProgress(p);
  });
  let settled = false;
  try {
    for (let offset = 0; offset < file.size; ) {
      if (cancel.requested) return { cancelled: true };
      const bytes = new Uint8Array(await file.slice(offset, offset + chunkBytes).arrayBuffer());
      const r = await api.importUploadChunk({ uploadId, offset, bytesBase64: toBase64(bytes) });
      if (!r.ok) return r.error.code === 'CANCELLED' || cancel.requested ? { cancelled: true } : r;
      offset = r.data.received;
      onProgress({ phase: 'upload', bytesRead: offset, bytesTotal: file.size, messagesWritten: 0 });
    }
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
