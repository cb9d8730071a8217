// Chat files of any size from the renderer: sent in chunks, each acknowledged before the next is
// sent (the flow control), written to a private temp file in the data folder, then imported from it
// as the CLI imports a file (streamed, bounded memory), with progress events and Cancel. The
// renderer names no path: the temp file's name is main's own. Cancel, a failed import, or an upload
// abandoned for UPLOAD_IDLE_MS leaves nothing behind; leftovers of a crash go at the next start.
// In Electron a file may instead be picked in main's own dialog (importPickedChat): it is imported
// straight from its path by the same Finish and Cancel, and, being the user's, is never removed.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { lstat, mkdir, open, rm, statfs, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../../shared/errors.ts';
import { UPLOAD_CHUNK_BYTES, type ChatImportResult } from '../../shared/ipc-contract.ts';
import { BASE64_PIECE_BYTES, decodeBase64Pieces } from '../import/index.ts';
import { Layout } from '../store/layout.ts';
import { importChatFileAt, type ImportStepDeps } from './chat-import-step.ts';
import { pickedChatFile, type PickChatFile } from './picked-chat.ts';

/** Uploads at once (all windows together). */
const MAX_UPLOADS = 4;
/** An upload with no chunk for this long is dropped with its temp file (chunks come back to back). */
export const UPLOAD_IDLE_MS = 2 * 60_000;
/** Free space an upload needs: its temp file, the import's temp file, and the chat (about as big again). */
const SPACE_FACTOR = 3;
/** A picked file needs no copy of it: the import's temp file and the chat. */
const PICKED_SPACE_FACTOR = SPACE_FACTOR - 1;

interface Upload {
  fileName: string;
  characterId: string | undefined;
  size: number;
  received: number;
  path: string;
  /** The upload's temp file, main's own (removed at the end); false for a picked file, the user's (never touched). */
  temp: boolean;
  fh: FileHandle | null;
  /** Where this upload's chunks are decoded, a piece at a time (its chunks come one at a time). */
  scratch?: Buffer;
  abort: AbortController;
  idle: NodeJS.Timeout;
  /** The chunk being written or the import running: one at a time. */
  busy: boolean;
}

interface Deps extends ImportStepDeps {
  /** Main's file dialog (Electron); without it importPickedChat is unavailable (the browser host). */
  pickChatFile?: PickChatFile | undefined;
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
    if (u.temp) await rm(u.path, { force: true }).catch(() => {});
  }

  function touch(uploadId: string, u: Upload): void {
    clearTimeout(u.idle);
    u.idle = setTimeout(() => void drop(uploadId), UPLOAD_IDLE_MS);
    u.idle.unref();
  }

  function progress(uploadId: string, u: Upload, p: { phase: string; bytesRead: number; bytesTotal: number; messagesWritten: number }): void {
    d.emit('import:progress', { uploadId, fileName: u.fileName, ...p });
  }

  /** Free space for `need` bytes, past what the other uploads still have to send. */
  async function requireSpace(u: Upload, need: number): Promise<void> {
    const fsStat = await statfs(d.store.dataDir).catch(() => null);
    const reserved = [...uploads.values()].reduce((n, x) => n + (x === u ? 0 : x.size - x.received), 0);
    if (fsStat && fsStat.bavail * fsStat.bsize < need + reserved) {
      throw new StoreError('DISK_FULL', `importing ${u.fileName} needs about ${Math.ceil(need / 1048576)} MiB free in the data folder's disk`, { reason: 'space' });
    }
  }

  /** Takes one of the MAX_UPLOADS slots (before any await: imports started at once cannot pass the bound together). */
  function register(fields: Omit<Upload, 'path' | 'abort' | 'idle' | 'busy'>, pathFor: (uploadId: string) => string): { uploadId: string; u: Upload } {
    if (uploads.size >= MAX_UPLOADS) throw new StoreError('CONFLICT', `${MAX_UPLOADS} chat files are being imported already; wait for one to finish`, { reason: 'uploads' });
    const uploadId = randomBytes(16).toString('hex');
    const u: Upload = { ...fields, path: pathFor(uploadId), abort: new AbortController(), idle: setTimeout(() => {}, 0), busy: true };
    uploads.set(uploadId, u);
    return { uploadId, u };
  }

  return {
    async importUploadStart({ fileName, size, characterId }: { fileName: string; size: number; characterId?: string | undefined }) {
      const fields = { fileName: fileName.replaceAll('\\', '/').split('/').pop() || 'chat.jsonl', characterId, size, received: 0, temp: true, fh: null };
      const { uploadId, u } = register(fields, (id) => join(dir, `${id}.part`));
      try {
        if (characterId !== undefined && !(await d.characters.get(characterId))) throw new StoreError('NOT_FOUND', `no character with id ${characterId}`);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        // Our own folder, not a link planted to send the bytes elsewhere.
        const st = await lstat(dir);
        if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) throw new StoreError('FORBIDDEN', `${dir} is not the app's own folder`);
        await requireSpace(u, size * SPACE_FACTOR);
        u.fh = await open(u.path, 'wx', 0o600);
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
      if (!u.temp) throw new StoreError('INVALID_INPUT', 'a picked file is read from its path: it takes no chunks', { field: 'uploadId' });
      if (offset !== u.received) throw new StoreError('INVALID_INPUT', `chunk at ${offset}, expected ${u.received}`, { field: 'offset' });
      u.busy = true;
      try {
        // Checked before a byte is written; then decoded and written a piece at a time (bounded memory).
        if (u.received + Buffer.byteLength(bytesBase64, 'base64') > u.size) throw new StoreError('INVALID_INPUT', `more bytes than the ${u.size} announced`, { field: 'bytesBase64' });
        await decodeBase64Pieces(bytesBase64, (u.scratch ??= Buffer.allocUnsafe(BASE64_PIECE_BYTES)), async (piece) => {
          let done = 0;
          while (done < piece.length) done += (await u.fh!.write(piece, done, piece.length - done, u.received + done)).bytesWritten;
          u.received += piece.length;
        });
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
        await u.fh?.close();
        u.fh = null;
        return await importChatFileAt(d, { path: u.path, name: u.fileName, size: u.size }, { characterId: u.characterId, signal: u.abort.signal, onProgress: (p) => progress(uploadId, u, p) });
      } finally {
        u.busy = false;
        await drop(uploadId);
      }
    },

    /**
     * Main's file dialog (Electron): the file picked becomes an import ready to finish, read from its
     * path (no copy). Null when the user closed the dialog.
     */
    async importPickedChat({ characterId }: { characterId?: string | undefined }) {
      if (!d.pickChatFile) throw new StoreError('INVALID_INPUT', 'this window cannot open a file dialog in the app: send the file in chunks (importUploadStart)', { reason: 'unavailable' });
      if (characterId !== undefined && !(await d.characters.get(characterId))) throw new StoreError('NOT_FOUND', `no character with id ${characterId}`);
      const path = await d.pickChatFile();
      if (path === null) return { picked: null };
      const file = await pickedChatFile(path);
      const { uploadId, u } = register({ fileName: file.fileName, characterId, size: file.size, received: file.size, temp: false, fh: null }, () => file.path);
      try {
        await requireSpace(u, file.size * PICKED_SPACE_FACTOR);
      } catch (e) {
        await drop(uploadId);
        throw e;
      }
      u.busy = false;
      touch(uploadId, u);
      return { picked: { uploadId, fileName: file.fileName, size: file.size } };
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
