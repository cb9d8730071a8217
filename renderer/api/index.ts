// The UI's one door to main: window.cardshark. Electron's preload installs it;
// in a plain browser we install the WebSocket implementation instead.
import type { CardsharkApi } from '../../shared/ipc-contract.ts';
import { createBrowserApi, takeToken } from './browser-api.ts';

export { RECONNECTED_EVENT } from './browser-api.ts';

declare global {
  interface Window {
    cardshark?: CardsharkApi;
  }
}

export function installApi(): CardsharkApi {
  if (!window.cardshark) {
    Object.defineProperty(window, 'cardshark', { value: createBrowserApi(takeToken()), writable: false, configurable: false });
  }
  return window.cardshark!;
}
