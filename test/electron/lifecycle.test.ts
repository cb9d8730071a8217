// The Electron lifecycle, proven without an Electron binary: the shipped main bundle runs in a
// plain `node` child against a fake `electron` module (fake-electron.cjs), once per way out.
// Each must flush every pending save (lock released, message and a debounced draft on disk) before the quit is let
// through, exactly once, and a second quit during the flush must not start another.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Layout } from '../../electron/store/layout.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const FAKE = path.join(import.meta.dirname, 'fake-electron.cjs');
let work: string;
let bundle: string;

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'cardshark-fake-electron-'));
  // The same build the app ships (vite, cjs): <work>/build/main.cjs, renderer beside it;
  // its externals (write-file-atomic, ws, chokidar) resolve through NODE_PATH.
  const built = spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { buildElectronMain } from ${JSON.stringify(path.join(ROOT, 'test/e2e/build-electron.ts'))};
    await buildElectronMain(${JSON.stringify(path.join(work, 'build'))});`], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`main bundle build failed:\n${built.stderr}`);
  bundle = path.join(work, 'build', 'main.cjs');
  mkdirSync(path.join(work, 'renderer', 'main_window'), { recursive: true });
  writeFileSync(path.join(work, 'renderer', 'main_window', 'index.html'), '<!doctype html><title>CardShark</title>');
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Rec = { type: string; [k: string]: any };
async function runMain(trigger: string, env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(path.join(work, 'data-'));
  const log = path.join(dataDir, '..', `${path.basename(dataDir)}.log.jsonl`);
  writeFileSync(log, '');
  const child = spawn(process.execPath, ['--require', FAKE, bundle, '--data-dir', dataDir], {
    cwd: ROOT,
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), FAKE_ELECTRON_LOG: log, FAKE_DATA_DIR: dataDir, FAKE_DEVICE_DIR: new Layout(dataDir).deviceDir, FAKE_TRIGGER: trigger, CARDSHARK_DEMO_PACE_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((r) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (c) => (clearTimeout(t), r(c)));
  });
  const records: Rec[] = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const of = (type: string) => records.filter((r) => r.type === type);
  return { code, out, records, of, dataDir };
}

describe('Electron main, loaded from its bundle against a fake electron', () => {
  for (const trigger of ['before-quit', 'session-end', 'query-session-end', 'shutdown', 'SIGTERM']) {
    it(`${trigger}: flushes everything before the quit, exactly once`, { timeout: 60_000 }, async () => {
      const r = await runMain(trigger);
      expect(r.of('scenario-error'), r.out).toEqual([]);
      expect(r.code, r.out).toBe(0);
      // Before the trigger: the message is appended (fsync'd) and the store holds the lock.
      expect(r.of('trigger')[0]).toMatchObject({ lockHeld: true, saved: true, draftSaved: false });
      expect(r.of('draft')[0]).toMatchObject({ ok: true, draftSaved: false });
      // The quit was let through once, and only after services.shutdown() completed.
      const allowed = r.of('quit-allowed');
      expect(allowed).toHaveLength(1);
      expect(allowed[0]).toMatchObject({ lockHeld: false, saved: true, draftSaved: true });
      expect(r.of('app.exit')).toEqual([]);
      // One flush, whatever else asked to quit meanwhile.
      expect(r.out.match(/saving before quit/g), r.out).toHaveLength(1);
      expect(r.out).toContain(`saving before quit (${trigger === 'before-quit' || trigger === 'SIGTERM' ? 'before-quit' : trigger})`);
      // Every quit attempt seen before the flush finished was held back.
      const prevented = r.of('quit-prevented');
      for (const p of prevented) expect(p.t).toBeLessThanOrEqual(allowed[0]!.t);
      if (trigger === 'before-quit') expect(prevented.length).toBeGreaterThanOrEqual(2);
      if (trigger === 'query-session-end' || trigger === 'shutdown') expect(r.of('triggered')[0]).toMatchObject({ prevented: true });
    });
  }

  it('a flush that hangs asks (Retry / Quit anyway) instead of quitting silently; retry waits again', { timeout: 60_000 }, async () => {
    const r = await runMain('hung-flush', { FAKE_DIALOG_ANSWERS: '0,1' });
    expect(r.of('scenario-error'), r.out).toEqual([]);
    expect(r.code, r.out).toBe(0);
    const asked = r.of('dialog.showMessageBox');
    expect(asked.map((d) => [d.message, d.response]), r.out).toEqual([['CardShark is still saving.', 0], ['CardShark is still saving.', 1]]);
    expect(asked[0]!.buttons).toEqual(['Retry', 'Quit anyway']);
    expect(asked[0]!.lockHeld).toBe(true); // nothing was given up before the user chose
    const allowed = r.of('quit-allowed');
    expect(allowed).toHaveLength(1);
    expect(allowed[0]!.t).toBeGreaterThanOrEqual(asked[1]!.t);
    expect(r.out.match(/saving before quit \(/g)).toHaveLength(1);
    expect(r.out.match(/retrying the save/g)).toHaveLength(1);
  });

  it('IPC: a trusted sender is served, untrusted ones are refused; app:// hardening is in place', { timeout: 60_000 }, async () => {
    const r = await runMain('before-quit');
    expect(r.of('ipc')[0], r.out).toEqual({ type: 'ipc', t: expect.any(Number), trusted: [true, true, true, true], untrusted: Array(6).fill('FORBIDDEN') });
    // Settings went through electron-store (the fake's ipcMain/app satisfy it) into the shared data folder, owner-only.
    const settingsFile = path.join(new Layout(r.dataDir).deviceAppDir, 'config.json');
    expect(JSON.parse(readFileSync(settingsFile, 'utf8'))).toMatchObject({ autosaveIntervalMs: 60_000 });
    if (process.platform !== 'win32') expect(statSync(settingsFile).mode & 0o777).toBe(0o600);
    expect(r.of('registerSchemesAsPrivileged')[0]).toMatchObject({ beforeReady: true, list: [{ scheme: 'app', privileges: { standard: true, secure: true } }] });
    expect(r.of('loadURL')[0]!.url).toBe('app://cardshark/index.html');
    const p = r.of('protocol')[0]!;
    expect(p).toMatchObject({ index: 200, body: '<!doctype html><title>CardShark</title>', foreign: 403 });
    expect(p.csp).toContain("script-src 'self'");
    expect(p.escape).not.toBe(200);
    expect(r.of('guard')[0]).toMatchObject({
      blocksEvil: true, blocksFile: true, allowsOwn: true, windowOpen: 'deny', webview: true, otherGuarded: true, permissionCheck: false, permissionRequest: false,
    });
    expect(r.of('BrowserWindow')[0]!.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
  });
});
