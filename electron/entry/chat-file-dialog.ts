// The open dialog for a chat file, shown by main (Electron only: imported by main.ts alone). The
// path the user picks goes to importPickedChat; the renderer never sees it.
import { BrowserWindow, dialog } from 'electron';
import type { PickChatFile } from '../ipc/picked-chat.ts';

export function chatFileDialog(): PickChatFile {
  return async () => {
    const options: Electron.OpenDialogOptions = {
      title: 'Import a chat',
      properties: ['openFile'],
      filters: [
        { name: 'Chat files', extensions: ['jsonl'] },
        { name: 'All files', extensions: ['*'] },
      ],
    };
    // Attached to the window in front (the one whose button was pressed), so it stays on top of it.
    const win = BrowserWindow.getFocusedWindow();
    const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return r.canceled ? null : (r.filePaths[0] ?? null);
  };
}
