// The Electron shell: lifecycle only. Single-instance lock, one hardened window served from
// app://, IPC bound through the shared binding, settings on electron-store, and one bounded,
// re-entry-safe quit flush for every way out (quit, Windows session end, shutdown, signals).
// The only module (with preload.ts and chat-file-dialog.ts, which only it imports) that imports electron.
import { app, BrowserWindow, dialog, ipcMain, powerMonitor, protocol, session, type IpcMainInvokeEvent } from 'electron';
import path from 'node:path';
import { openChatStore } from '../store/index.ts';
import { openOpLog } from '../oplog/oplog.ts';
import { toErrorInfo } from '../../shared/errors.ts';
import { CHANNEL_NAMES, IPC_PREFIX, type EventName, type EventPayload } from '../../shared/ipc-contract.ts';
import { APP_NAME, dataDirFromArgs } from '../app-data/data-dir.ts';
import { createServices, settingsOverridesFromEnv, type Services } from '../ipc/services.ts';
import { openAppSettings, type AppSettingsStore } from '../app-settings/settings.ts';
import { openElectronStoreBackend } from '../app-settings/electron-store-backend.ts';
import { APP_INDEX_URL, APP_SCHEME, appProtocolHandler, isAppUrl } from './app-protocol.ts';
import { createQuitFlow } from '../lifecycle/quit-flow.ts';
import { EXIT_SIGNALS } from '../lifecycle/exit-signals.ts';
import { keepOldGenerationGrowthModest, keepYoungGenerationSmall } from '../lifecycle/young-generation.ts';
import { chatFileDialog } from './chat-file-dialog.ts';

// Defined by @electron-forge/plugin-vite at build time.
declare const MAIN_WINDOW_VITE_DEV_SERVER_URL: string | undefined;
declare const MAIN_WINDOW_VITE_NAME: string | undefined;

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

// Must happen before ready: a standard, secure scheme gets a real origin (app://cardshark).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

// Data dir and profile must be settled before the lock (it is keyed on userData).
const dataOverride = dataDirFromArgs(process.argv);
app.setName(APP_NAME);
if (dataOverride) app.setPath('userData', path.join(dataOverride, 'electron-profile'));
else app.setPath('userData', path.join(app.getPath('appData'), APP_NAME));
const dataDir = dataOverride ?? app.getPath('userData');

const devUrl = typeof MAIN_WINDOW_VITE_DEV_SERVER_URL === 'string' ? MAIN_WINDOW_VITE_DEV_SERVER_URL : undefined;
const rendererDir = path.join(__dirname, '..', 'renderer', typeof MAIN_WINDOW_VITE_NAME === 'string' ? MAIN_WINDOW_VITE_NAME : 'main_window');
const rendererUrl = devUrl ?? APP_INDEX_URL;

const windows = new Set<BrowserWindow>();
let services: Services<IpcMainInvokeEvent> | undefined;
let settings: AppSettingsStore | undefined;

/** Exact origin comparison: a prefix test would let http://localhost:5173.evil.example through. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

/** Our renderer: app://cardshark/…, or the Vite dev server's exact origin in development. */
function isOurPage(url: string): boolean {
  return devUrl ? originOf(url) === originOf(devUrl) : isAppUrl(url);
}

/** Only the main frame of a window we created, showing our renderer, may call. */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!frame) return false; // the frame navigated away or was destroyed
  const win = BrowserWindow.fromWebContents(event.sender);
  if (!win || !windows.has(win) || frame !== event.sender.mainFrame) return false;
  return isOurPage(frame.url);
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
  // Windows emits no before-quit on shutdown/log-off: delay the session end and flush.
  win.on('query-session-end', (e) => {
    if (quitFlow.state === 'done') return;
    e.preventDefault();
    void quitFlow.start('query-session-end');
  });
  win.on('session-end', () => void quitFlow.start('session-end'));
  void win.loadURL(rendererUrl);
  return win;
}

async function start() {
  // A picked chat file of any size is imported here, streamed: V8's heap kept from growing far
  // keeps that in bounded memory (measured on the browser host, which runs the same import).
  keepYoungGenerationSmall();
  keepOldGenerationGrowthModest();
  let store;
  try {
    // Settings first: the store needs backupRetention. A damaged file never stops us (see app-settings/settings.ts).
    settings = openAppSettings(dataDir, openElectronStoreBackend);
    for (const n of settings.notices) console.warn(`CardShark settings: ${n}`);
    // The chat index rebuilds in the background when index.json is missing or stale; windows may show the progress.
    store = await openChatStore({
      dataDir,
      backupRetention: settings.get().backupRetention,
      oplog: await openOpLog(dataDir, { source: 'app' }),
      onIndexProgress: (p) => emit('index:progress', p),
    });
  } catch (e) {
    dialog.showErrorBox(APP_NAME, `Could not open the data folder ${dataDir}:\n[${toErrorInfo(e).code}] ${toErrorInfo(e).message}`);
    app.exit(2);
    return;
  }
  // A renderer that floods calls without awaiting them is bounded per window, as the host bounds a connection.
  const bindingLimits = { maxInFlightPerSender: 32, senderKey: (e: IpcMainInvokeEvent) => e.sender };
  services = createServices<IpcMainInvokeEvent>({ store, emit, isTrustedSender, settings, bindingLimits, cliDoor: true, settingsOverrides: settingsOverridesFromEnv(), pickChatFile: chatFileDialog() });
  for (const name of CHANNEL_NAMES) {
    ipcMain.handle(IPC_PREFIX + name, (event, payload: unknown) => services!.binding.handle(event, name, payload));
  }
  protocol.handle(APP_SCHEME, appProtocolHandler(rendererDir, CSP));
  if (devUrl) {
    // The dev server's pages get the CSP as a header (app:// pages get it from the handler).
    const devCsp = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'") + ` ws: ${originOf(devUrl)}`;
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [devCsp] } });
    });
  }
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  createWindow();
}

// ---- quitting: every way out goes through one flush ----

const quitFlow = createQuitFlow({
  flush: () => services?.shutdown() ?? Promise.resolve(),
  timeoutMs: () => settings?.get().quitFlushTimeoutMs ?? 5_000,
  quit: () => setImmediate(() => app.quit()), // deferred: a quit inside a prevented quit event is ignored
  log: (m) => console.log(m),
  async askOnFailure({ timedOut, message }) {
    const { response } = await dialog.showMessageBox({
      type: 'error',
      title: APP_NAME,
      message: timedOut ? 'CardShark is still saving.' : 'CardShark could not save everything.',
      detail: `${message}\n\nUnsaved changes are still in memory. Retry after freeing space, or quit and lose them.`,
      buttons: ['Retry', 'Quit anyway'],
      defaultId: 0,
      cancelId: 0,
      noLink: true,
    });
    return response === 1 ? 'quit' : 'retry';
  },
});

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

  // Every web contents (windows, anything a page might spawn): no navigation away from our
  // renderer, no new windows, no webviews.
  app.on('web-contents-created', (_e, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-navigate', (e, url) => {
      if (!isOurPage(url)) e.preventDefault();
    });
    contents.on('will-redirect', (e, url) => {
      if (!isOurPage(url)) e.preventDefault();
    });
    contents.on('will-attach-webview', (e) => e.preventDefault());
  });

  // before-quit → flush (bounded) → quit; app.quit() re-enters before-quit, hence the state.
  // Nothing to flush before the store opened: the quit goes through.
  app.on('before-quit', (e) => {
    if (services) quitFlow.beforeQuit(() => e.preventDefault());
  });

  // Linux/macOS system shutdown: ask for a delay, flush, quit.
  void app.whenReady().then(() => {
    // The typings omit the event the docs describe (e.preventDefault() delays the shutdown).
    const onShutdown = (e?: { preventDefault(): void }) => {
      if (quitFlow.state === 'done') return;
      e?.preventDefault();
      void quitFlow.start('shutdown');
    };
    powerMonitor.on('shutdown', onShutdown as () => void);
  });

  // Signals become one normal quit; a second one, a second or more later, exits at once.
  let signalledAt = 0;
  for (const sig of EXIT_SIGNALS) {
    process.on(sig, () => {
      if (signalledAt && Date.now() - signalledAt >= 1_000) app.exit(130);
      if (signalledAt) return;
      signalledAt = Date.now();
      app.quit();
    });
  }

  void app.whenReady().then(start);
}
