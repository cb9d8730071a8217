// A chat file the user picked in main's own file dialog (Electron): main reads it from its path,
// so the renderer sends no bytes and names no path. The dialog itself is electron's and lives in
// entry/ (injected as a PickChatFile); here only what plain Node can do, so tests run it for real.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { StoreError } from '../../shared/errors.ts';

/** Shows the open dialog; the path picked, or null when the user closed it. */
export type PickChatFile = () => Promise<string | null>;

export interface PickedFile {
  path: string;
  fileName: string;
  size: number;
}

/**
 * The picked path as a file to import, or a typed error a window can show: NOT_FOUND when it is
 * gone, INVALID_INPUT when it is no regular file (a folder, a pipe that would block the read).
 */
export async function pickedChatFile(path: string): Promise<PickedFile> {
  const fail = (e: NodeJS.ErrnoException): never => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new StoreError('NOT_FOUND', `${basename(path)} is no longer there`, { reason: 'picked' });
    if (e.code === 'EACCES' || e.code === 'EPERM') throw new StoreError('FORBIDDEN', `${basename(path)} cannot be read (permission denied)`, { reason: 'picked' });
    throw new StoreError('IO_ERROR', `${basename(path)} cannot be read: ${e.code ?? e.message}`, { reason: 'picked', errno: e.code }, { cause: e });
  };
  const st = await stat(path).catch(fail);
  await access(path, constants.R_OK).catch(fail); // stat needs no read permission; the import does
  if (!st.isFile()) throw new StoreError('INVALID_INPUT', `${basename(path)} is not a file`, { reason: 'picked' });
  return { path, fileName: basename(path) || 'chat.jsonl', size: st.size };
}
