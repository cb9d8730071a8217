// A small fake of the `electron` module, injected with `node --require` so the shipped main
// bundle runs in plain Node (no Electron binary here). Every interesting call is appended to
// FAKE_ELECTRON_LOG as one JSON line; FAKE_SCENARIO drives the app once its window loads.
'use strict';
const Module = require('node:module');
const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const path = require('node:path');

const LOG = process.env.FAKE_ELECTRON_LOG;
const DATA = process.env.FAKE_DATA_DIR;
/** This device's own folder in DATA (the lock, drafts): Layout.deviceDir, from the test. */
const DEVICE = process.env.FAKE_DEVICE_DIR;
const TRIGGER = process.env.FAKE_TRIGGER || 'before-quit';
const record = (type, data = {}) => fs.appendFileSync(LOG, JSON.stringify({ type, t: Date.now(), ...data }) + '\n');
const dialogAnswers = (process.env.FAKE_DIALOG_ANSWERS || '').split(',').filter(Boolean).map(Number);
const mkEvent = () => ({ defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } });

/** What is on disk at this moment: is the lock still held, is the pending message saved? */
function diskState() {
  const lockHeld = fs.existsSync(path.join(DEVICE, 'cardshark.lock'));
  let saved = false;
  const walk = (d) => {
    for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.jsonl') && fs.readFileSync(p, 'utf8').includes('pending-save-42')) saved = true;
    }
  };
  walk(path.join(DATA, 'chats'));
  // A deferred write (the composer's draft, debounced for a minute): only a flush puts it on disk.
  const drafts = path.join(DEVICE, 'app', 'drafts.json');
  const draftSaved = fs.existsSync(drafts) && fs.readFileSync(drafts, 'utf8').includes('pending-draft-7');
  return { lockHeld, saved, draftSaved };
}

let ready = false;
const paths = { appData: path.join(DATA, 'appData') };
const app = new EventEmitter();
Object.assign(app, {
  isPackaged: false,
  setName(n) { record('app.setName', { n }); },
  getName: () => 'CardShark',
  getVersion: () => '0.1.0',
  getPath: (n) => paths[n] ?? path.join(DATA, n),
  setPath(n, p) { paths[n] = p; },
  requestSingleInstanceLock: () => true,
  whenReady: () => new Promise((r) => setImmediate(() => { ready = true; r(); })),
  isReady: () => ready,
  quit() {
    const e = mkEvent();
    app.emit('before-quit', e);
    if (e.defaultPrevented) return record('quit-prevented', diskState());
    record('quit-allowed', diskState());
    app.emit('will-quit', mkEvent());
    app.emit('quit');
    process.exit(0);
  },
  exit(code = 0) {
    record('app.exit', { code, ...diskState() });
    process.exit(code);
  },
});

const handlers = new Map();
const ipcMain = {
  handle(ch, fn) { handlers.set(ch, fn); },
  on() {},
  removeHandler(ch) { handlers.delete(ch); },
};

function fakeContents(owner) {
  const wc = new EventEmitter();
  wc.owner = owner;
  wc.mainFrame = { url: '' };
  wc.send = () => {};
  wc.isDestroyed = () => false;
  wc.setWindowOpenHandler = (fn) => { wc.openHandler = fn; };
  return wc;
}

class BrowserWindow extends EventEmitter {
  static all = [];
  static fromWebContents(wc) { return wc?.owner ?? null; }
  constructor(options) {
    super();
    this.options = options;
    this.webContents = fakeContents(this);
    BrowserWindow.all.push(this);
    record('BrowserWindow', { webPreferences: options.webPreferences });
    app.emit('web-contents-created', mkEvent(), this.webContents);
  }
  isDestroyed() { return false; }
  isMinimized() { return false; }
  restore() {}
  focus() {}
  async loadURL(url) {
    this.webContents.mainFrame.url = url;
    record('loadURL', { url });
    setImmediate(() => runScenario(this).catch((e) => { record('scenario-error', { message: String(e?.stack ?? e) }); process.exit(3); }));
  }
}

const protocolHandlers = new Map();
const session = {
  defaultSession: {
    webRequest: { onHeadersReceived() {} },
    setPermissionRequestHandler(fn) { session.requestHandler = fn; },
    setPermissionCheckHandler(fn) { session.checkHandler = fn; },
  },
};
const electron = {
  app,
  ipcMain,
  BrowserWindow,
  session,
  powerMonitor: new EventEmitter(),
  protocol: {
    registerSchemesAsPrivileged(list) { record('registerSchemesAsPrivileged', { list, beforeReady: !ready }); },
    handle(scheme, fn) { protocolHandlers.set(scheme, fn); },
  },
  dialog: {
    showErrorBox(title, body) { record('dialog.showErrorBox', { title, body }); },
    async showMessageBox(o) {
      const response = dialogAnswers.length ? dialogAnswers.shift() : 1;
      record('dialog.showMessageBox', { message: o.message, buttons: o.buttons, response, ...diskState() });
      return { response };
    },
  },
  shell: { openPath: async () => '' },
};

// require('electron') anywhere in the bundle (main.ts, electron-store) gets the fake.
const realResolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'electron' ? 'fake-electron' : realResolve.call(this, request, ...rest);
};
const m = new Module('fake-electron');
m.exports = electron;
m.loaded = true;
require.cache['fake-electron'] = m;

async function invoke(win, channel, payload, frame) {
  const fn = handlers.get(`cs:${channel}`);
  const sender = win.webContents;
  return fn({ sender, senderFrame: frame ?? sender.mainFrame }, payload);
}

async function runScenario(win) {
  // 1. The renderer over app://, with its CSP; nothing outside the renderer folder.
  const serve = protocolHandlers.get('app');
  const index = await serve(new Request('app://cardshark/index.html'));
  const escape = await serve(new Request('app://cardshark/%2e%2e/%2e%2e/build/main.cjs'));
  const foreign = await serve(new Request('app://elsewhere/index.html'));
  record('protocol', { index: index.status, csp: index.headers.get('content-security-policy'), body: (await index.text()).slice(0, 40), escape: escape.status, foreign: foreign.status });

  // 2. Hardening of every web contents, and the permission handlers.
  const wc = win.webContents;
  const nav = (url) => { const e = mkEvent(); wc.emit('will-navigate', e, url); return e.defaultPrevented; };
  const webview = mkEvent();
  wc.emit('will-attach-webview', webview, {}, {});
  const other = fakeContents(null);
  app.emit('web-contents-created', mkEvent(), other);
  record('guard', {
    blocksEvil: nav('https://evil.example/'), blocksFile: nav('file:///etc/passwd'), allowsOwn: !nav('app://cardshark/index.html'),
    windowOpen: wc.openHandler?.({ url: 'https://x.example' })?.action, webview: webview.defaultPrevented,
    otherGuarded: typeof other.openHandler === 'function' && other.listenerCount('will-navigate') > 0,
    permissionCheck: session.checkHandler?.(wc, 'media', 'app://cardshark', {}),
    permissionRequest: await new Promise((r) => session.requestHandler(wc, 'media', r)),
  });

  // 3. IPC from a trusted sender, then untrusted ones.
  const ch = await invoke(win, 'createCharacter', { name: 'Ada' });
  const chat = await invoke(win, 'createChat', { characterId: ch.data.id, title: 't' });
  const msg = await invoke(win, 'appendMessage', { chatId: chat.data.chatId, message: { role: 'user', content: 'pending-save-42' } });
  const asMainFrameAt = async (url) => {
    const before = wc.mainFrame.url;
    wc.mainFrame.url = url; // our window's main frame, navigated elsewhere
    try { return await invoke(win, 'listCharacters', {}); } finally { wc.mainFrame.url = before; }
  };
  const evil = await asMainFrameAt('https://evil.example/');
  const fileUrl = await asMainFrameAt('file:///index.html');
  const lookalike = await asMainFrameAt('app://cardshark.evil.example/index.html');
  const subframe = await invoke(win, 'listCharacters', {}, { url: 'app://cardshark/index.html' });
  const noFrame = await handlers.get('cs:listCharacters')({ sender: wc, senderFrame: null }, {});
  const otherWindow = await handlers.get('cs:listCharacters')({ sender: fakeContents(null), senderFrame: { url: 'app://cardshark/index.html' } }, {});
  const setting = await invoke(win, 'setAppSettings', { autosaveIntervalMs: 300 }); // written by electron-store
  record('ipc', { trusted: [ch.ok, chat.ok, msg.ok, setting.ok], untrusted: [evil, fileUrl, lookalike, subframe, noFrame, otherWindow].map((r) => r.ok === false && r.error.code) });
  // A draft typed just before the quit: the autosave interval is a minute, so it is still pending.
  await invoke(win, 'setAppSettings', { autosaveIntervalMs: 60_000 });
  const draft = await invoke(win, 'setDraft', { chatId: chat.data.chatId, text: 'pending-draft-7' });
  record('draft', { ok: draft.ok, ...diskState() });

  // 4. The quit trigger, then a second quit while the flush runs: neither may skip or repeat it.
  if (TRIGGER === 'hung-flush') {
    // A save that never reaches the disk (a stuck fdatasync): the quit must ask, not exit silently.
    await invoke(win, 'setAppSettings', { quitFlushTimeoutMs: 1000 });
    const probe = await require('node:fs/promises').open(LOG, 'r');
    Object.getPrototypeOf(probe).datasync = () => new Promise(() => {});
    await probe.close();
    void invoke(win, 'appendMessage', { chatId: chat.data.chatId, message: { role: 'user', content: 'stuck' } });
  }
  record('trigger', { trigger: TRIGGER, ...diskState() });
  const evt = mkEvent();
  if (TRIGGER === 'before-quit' || TRIGGER === 'hung-flush') app.quit();
  else if (TRIGGER === 'session-end') win.emit('session-end', evt);
  else if (TRIGGER === 'query-session-end') win.emit('query-session-end', evt);
  else if (TRIGGER === 'shutdown') electron.powerMonitor.emit('shutdown', evt);
  else if (TRIGGER === 'SIGTERM') process.kill(process.pid, 'SIGTERM');
  record('triggered', { prevented: evt.defaultPrevented });
  setImmediate(() => { app.quit(); win.emit('session-end', mkEvent()); });
}
