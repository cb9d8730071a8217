// Chat files of any size from the renderer: sent in chunks, each acknowledged before the next is
// sent (the flow control), written to a private temp file in the data folder, then imported from it
// as the CLI imports a file (streamed, bounded memory), with progress events and Cancel. The
// renderer names no path: the temp file's name is main's own. Cancel, a failed import, or an upload
// abandoned for UPLOAD_IDLE_MS leaves nothing behind; leftovers of a crash go at the next start.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { lstat, mkdir, open, rm, statfs, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../../shared/errors.ts';
import type { ChatSummary } from '../../shared/chat-format.ts';
import { UPLOAD_CHUNK_BYTES, type ChatImportResult } from '../../shared/ipc-contract.ts';
import type { CharacterRegistry } from '../app-data/characters.ts';
import type { Emit } from '../generation/manager.ts';
import { decodeBase64Sliced, importFileAs, registerImportedCharacters } from '../import/index.ts';
import { Layout } from '../store/layout.ts';
import type { ChatStore } from '../store/types.ts';
import { importResult } from './chat-files.ts';

/** Uploads at once (all windows together). */
const MAX_UPLOADS = 4;
/** An upload with no chunk for this long is dropped with its temp file (chunks come back to back). */
export const UPLOAD_IDLE_MS = 2 * 60_000;
/** Free space an upload needs: its temp file, the import's temp file, and the chat (about as big again). */
const SPACE_FACTOR = 3;

interface Upload {
  fileName: string;
  characterId: string | undefined;
  size: number;
  received: number;
  path: string;
  fh: FileHandle | null;
  abort: AbortController;
  idle: NodeJS.Timeout;
  /** The chunk being written or the import running: one at a time. */
  busy: boolean;
}

interface Deps {
  store: ChatStore;
  characters: CharacterRegistry;
  emit: Emit;
}

export function uploadsDir(dataDir: string): string {
  return new Layout(dataDir).uploadsDir;
}

/** Removes what a crashed run left in the uploads folder (at start, before any upload of this run). */
export function clearUploads(dataDir: string): void {
  try {
    rmSync(uploadsDir(dataDir), { recursive: true, force: true });
  } catch {
    // a leftover that cannot be removed is only disk space
  }
}

export function chatUploadHandlers(d: Deps) {
  const uploads = new Map<string, Upload>();
  const dir = uploadsDir(d.store.dataDir);

  function get(uploadId: string): Upload {
    const u = uploads.get(uploadId);
    if (!u) throw new StoreError('NOT_FOUND', 'no such upload (it finished, was cancelled, or waited too long)', { reason: 'upload' });
    if (u.busy) throw new StoreError('CONFLICT', 'the upload is busy: send one chunk at a time, after the last was acknowledged', { reason: 'upload-busy' });
    return u;
  }

  async function drop(uploadId: string): Promise<void> {
    const u = uploads.get(uploadId);
    if (!u) return;
    uploads.delete(uploadId);
    clearTimeout(u.idle);
    u.abort.abort();
    await u.fh?.close().catch(() => {});
    u.fh = null;
    await rm(u.path, { force: true }).catch(() => {});
  }

  function touch(uploadId: string, u: Upload): void {
    clearTimeout(u.idle);
    u.idle = setTimeout(() => void drop(uploadId), UPLOAD_IDLE_MS);
    u.idle.unref();
  }

  function progress(uploadId: string, u: Upload, p: { phase: string; bytesRead: number; bytesTotal: number; messagesWritten: number }): void {
    d.emit('import:progress', { uploadId, fileName: u.fileName, ...p });
  }

  return {
    async importUploadStart({ fileName, size, characterId }: { fileName: string; size: number; characterId?: string | undefined }) {
      // The slot is taken before any await: uploads started at once cannot pass the bound together.
      if (uploads.size >= MAX_UPLOADS) throw new StoreError('CONFLICT', `${MAX_UPLOADS} chat files are being imported already; wait for one to finish`, { reason: 'uploads' });
      const uploadId = randomBytes(16).toString('hex');
      const path = join(dir, `${uploadId}.part`);
      const u: Upload = { fileName: fileName.replaceAll('\\', '/').split('/').pop() || 'chat.jsonl', characterId, size, received: 0, path, fh: null, abort: new AbortController(), idle: setTimeout(() => {}, 0), busy: true };
      uploads.set(uploadId, u);
      try {
        if (characterId !== undefined && !(await d.characters.get(characterId))) throw new StoreError('NOT_FOUND', `no character with id ${characterId}`);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        // Our own folder, not a link planted to send the bytes elsewhere.
        const st = await lstat(dir);
        if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) throw new StoreError('FORBIDDEN', `${dir} is not the app's own folder`);
        const fsStat = await statfs(dir).catch(() => null);
        const reserved = [...uploads.values()].reduce((n, x) => n + (x === u ? 0 : x.size - x.received), 0);
        if (fsStat && fsStat.bavail * fsStat.bsize < size * SPACE_FACTOR + reserved) {
          throw new StoreError('DISK_FULL', `importing ${u.fileName} needs about ${Math.ceil((size * SPACE_FACTOR) / 1048576)} MiB free in the data folder's disk`, { reason: 'space' });
        }
        u.fh = await open(path, 'wx', 0o600);
      } catch (e) {
        await drop(uploadId);
        throw e;
      }
      u.busy = false;
      touch(uploadId, u);
      return { uploadId, chunkBytes: UPLOAD_CHUNK_BYTES };
    },

    async importUploadChunk({ uploadId, offset, bytesBase64 }: { uploadId: string; offset: number; bytesBase64: string }) {
      const u = get(uploadId);
      if (offset !== u.received) throw new StoreError('INVALID_INPUT', `chunk at ${offset}, expected ${u.received}`, { field: 'offset' });
      u.busy = true;
      try {
        const bytes = await decodeBase64Sliced(bytesBase64);
        if (u.received + bytes.length > u.size) throw new StoreError('INVALID_INPUT', `more bytes than the ${u.size} announced`, { field: 'bytesBase64' });
        let done = 0;
        while (done < bytes.length) done += (await u.fh!.write(bytes, done, bytes.length - done, u.received + done)).bytesWritten;
        u.received += bytes.length;
      } catch (e) {
        if (uploads.has(uploadId)) await drop(uploadId);
        throw e;
      } finally {
        u.busy = false;
      }
      if (u.abort.signal.aborted) {
        await drop(uploadId); // cancelled while this chunk was written
        throw new StoreError('CANCELLED', 'the import was cancelled');
      }
      touch(uploadId, u);
      progress(uploadId, u, { phase: 'upload', bytesRead: u.received, bytesTotal: u.size, messagesWritten: 0 });
      return { received: u.received };
    },

    async importUploadFinish({ uploadId }: { uploadId: string }): Promise<ChatImportResult> {
      const u = get(uploadId);
      if (u.received !== u.size) throw new StoreError('INVALID_INPUT', `${u.received} of ${u.size} bytes received`, { field: 'uploadId' });
      u.busy = true;
      clearTimeout(u.idle); // an import may take minutes: it is not idle
      try {
        await u.fh!.close();
        u.fh = null;
        const created: ChatSummary[] = [];
        const report = await importFileAs(
          d.store,
          { path: u.path, name: u.fileName },
          {
            ...(u.characterId !== undefined ? { characterId: u.characterId } : {}),
            signal: u.abort.signal,
            onCreated: (s) => created.push(s),
            onProgress: (p) => progress(uploadId, u, { phase: p.phase ?? 'scan', bytesRead: p.bytesRead ?? 0, bytesTotal: p.bytesTotal ?? u.size, messagesWritten: p.messagesWritten ?? 0 }),
          },
        );
        if ((await registerImportedCharacters(d.characters, report.chats)).length) d.emit('characters:changed', {});
        for (const summary of created) d.emit('chat:changed', { chatId: summary.chatId, characterId: summary.characterId, summary });
        return importResult(report);
      } finally {
        u.busy = false;
        await drop(uploadId);
      }
    },

    /** Stops an upload or its import: nothing of it is kept (CANCELLED for the finish call under way). */
    async importUploadCancel({ uploadId }: { uploadId: string }) {
      const u = uploads.get(uploadId);
      if (u?.busy) u.abort.abort(); // the import under way stops and cleans up after itself
      else await drop(uploadId);
      return { ok: true as const };
    },
  };
}
