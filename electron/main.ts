// The Electron shell: lifecycle only. Single-instance lock, one hardened window,
// IPC bound through the shared binding, and a bounded, re-entry-safe quit flush.
// The only module (with preload.ts) that imports electron.
import { app, BrowserWindow, dialog, ipcMain, session, type IpcMainInvokeEvent } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openChatStore } from './store/index.ts';
import { toErrorInfo } from '../shared/errors.ts';
import { CHANNEL_NAMES, IPC_PREFIX, type EventName, type EventPayload } from '../shared/ipc-contract.ts';
import { APP_NAME, dataDirFromArgs } from './data-dir.ts';
import { createServices, settingsOverridesFromEnv, type Services } from './ipc/services.ts';

// Defined by @electron-forge/plugin-vite at build time.
declare const MAIN_WINDOW_VITE_DEV_SERVER_URL: string | undefined;
declare const MAIN_WINDOW_VITE_NAME: string | undefined;

const QUIT_FLUSH_TIMEOUT_MS = 5_000;
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// Data dir and profile must be settled before the lock (it is keyed on userData).
const dataOverride = dataDirFromArgs(process.argv);
app.setName(APP_NAME);
if (dataOverride) app.setPath('userData', path.join(dataOverride, 'electron-profile'));
else app.setPath('userData', path.join(app.getPath('appData'), APP_NAME));
const dataDir = dataOverride ?? app.getPath('userData');

const devUrl = typeof MAIN_WINDOW_VITE_DEV_SERVER_URL === 'string' ? MAIN_WINDOW_VITE_DEV_SERVER_URL : undefined;
const rendererIndex = path.join(__dirname, '..', 'renderer', typeof MAIN_WINDOW_VITE_NAME === 'string' ? MAIN_WINDOW_VITE_NAME : 'main_window', 'index.html');
const rendererUrl = devUrl ?? pathToFileURL(rendererIndex).href;

const windows = new Set<BrowserWindow>();
let services: Services<IpcMainInvokeEvent> | undefined;

/** Exact origin comparison: a prefix test would let http://localhost:5173.evil.example through. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

/** Only the main frame of a window we created, showing our renderer, may call. */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!frame) return false; // the frame navigated away or was destroyed
  const win = BrowserWindow.fromWebContents(event.sender);
  if (!win || !windows.has(win) || frame !== event.sender.mainFrame) return false;
  return devUrl ? originOf(frame.url) === new URL(devUrl).origin : frame.url.split('#')[0] === rendererUrl;
}

function emit<E extends EventName>(event: E, payload: EventPayload<E>) {
  for (const w of windows) if (!w.isDestroyed()) w.webContents.send(`${IPC_PREFIX}event:${event}`, payload);
}

function createWindow() {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    title: APP_NAME,
    webPreferences: {
      preload: path.join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    },
  });
  windows.add(win);
  win.on('closed', () => {
    windows.delete(win);
    // "Window closed" is a significant event: deferred writes (drafts, checkpoints) go to disk now.
    services?.autosave.flush().catch((e: unknown) => console.error('flush on window close failed (kept, retried):', e));
  });
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (e, url) => {
    if (url.split('#')[0] !== rendererUrl.split('#')[0]) e.preventDefault();
  });
  win.webContents.on('will-attach-webview', (e) => e.preventDefault());
  void win.loadURL(rendererUrl);
  return win;
}

async function start() {
  let store;
  try {
    store = await openChatStore({ dataDir });
  } catch (e) {
    dialog.showErrorBox(APP_NAME, `Could not open the data folder ${dataDir}:\n[${toErrorInfo(e).code}] ${toErrorInfo(e).message}`);
    app.exit(2);
    return;
  }
  services = createServices<IpcMainInvokeEvent>({ store, emit, isTrustedSender, settingsOverrides: settingsOverridesFromEnv() });
  for (const name of CHANNEL_NAMES) {
    ipcMain.handle(IPC_PREFIX + name, (event, payload: unknown) => services!.binding.handle(event, name, payload));
  }
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [devUrl ? CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'") + ` ws: ${new URL(devUrl).origin}` : CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, callback) => callback(false));
  createWindow();
}

// ---- lifecycle ----

if (!app.requestSingleInstanceLock()) {
  app.exit(0);
} else {
  app.on('second-instance', () => {
    const [w] = windows;
    if (w) {
      if (w.isMinimized()) w.restore();
      w.focus();
    }
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (windows.size === 0 && services) createWindow();
  });

  // before-quit → flush (bounded) → quit. app.quit() re-enters before-quit, hence the state.
  let quitState: 'running' | 'flushing' | 'done' = 'running';
  app.on('before-quit', (e) => {
    if (quitState === 'done' || !services) return;
    e.preventDefault();
    if (quitState === 'flushing') return;
    quitState = 'flushing';
    const timeout = new Promise<void>((r) => setTimeout(r, QUIT_FLUSH_TIMEOUT_MS));
    void Promise.race([services.shutdown().catch(() => undefined), timeout]).finally(() => {
      quitState = 'done';
      app.quit();
    });
  });

  // Signals become one normal quit; a second signal exits at once.
  let signalled = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (signalled) app.exit(130);
      signalled = true;
      app.quit();
    });
  }

  void app.whenReady().then(start);
}
