// Exposes window.cardshark: one function per channel, plus event subscriptions
// that hand the listener only the payload (never the IpcRendererEvent).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { CHANNEL_NAMES, IPC_PREFIX, isEventName, type CardsharkApi, type EventName } from '../../shared/ipc-contract.ts';

const api: Record<string, unknown> = {
  transport: 'electron',
  capabilities: Object.freeze({ pickChatFile: true }), // main opens the file dialog and reads the path
  on(event: EventName, listener: (payload: unknown) => void) {
    if (!isEventName(event) || typeof listener !== 'function') throw new TypeError('unknown event');
    const channel = `${IPC_PREFIX}event:${event}`;
    const wrapped = (_e: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(channel, wrapped);
    return () => {
      ipcRenderer.removeListener(channel, wrapped);
    };
  },
};
for (const name of CHANNEL_NAMES) {
  api[name] = (request: unknown) => ipcRenderer.invoke(IPC_PREFIX + name, request ?? {});
}

contextBridge.exposeInMainWorld('cardshark', api as unknown as CardsharkApi);
