// App settings on conf (the plain-Node backend): damaged files are kept and salvaged,
// the old generation settings migrate once, the file is owner-only, the UI never sees the key.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Conf from 'conf';
import { afterEach, describe, expect, it } from 'vitest';
import { openAppSettings, DEFAULT_APP_SETTINGS } from '../../electron/app-settings/settings.ts';
import { openConfBackend } from '../../electron/app-settings/conf-backend.ts';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import { Layout } from '../../electron/store/layout.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dataDir(files: Record<string, string> = {}) {
  const d = mkdtempSync(path.join(os.tmpdir(), 'cardshark-settings-'));
  dirs.push(d);
  mkdirSync(new Layout(d).deviceAppDir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(new Layout(d).deviceAppDir, name), text);
  return d;
}
const appFiles = (d: string) => readdirSync(new Layout(d).deviceAppDir).sort();
const onDisk = (d: string) => JSON.parse(readFileSync(path.join(new Layout(d).deviceAppDir, 'config.json'), 'utf8'));
const posix = process.platform !== 'win32';

describe('app settings file', () => {
  it('bare conf throws on a damaged file (the trap this module exists for)', () => {
    const d = dataDir({ 'config.json': '{"apiKey": "sk-1",' });
    expect(() => new Conf({ cwd: new Layout(d).deviceAppDir, configName: 'config' })).toThrow();
  });

  it('starts from defaults and writes an owner-only file', () => {
    const d = dataDir();
    const s = openAppSettings(d, openConfBackend);
    expect(s.get()).toEqual(DEFAULT_APP_SETTINGS);
    expect(s.notices).toEqual([]);
    s.update({ autosaveIntervalMs: 250, apiKey: 'sk-x' });
    expect(onDisk(d)).toMatchObject({ autosaveIntervalMs: 250, apiKey: 'sk-x' });
    if (posix) expect(statSync(path.join(new Layout(d).deviceAppDir, 'config.json')).mode & 0o777).toBe(0o600);
    expect(openAppSettings(d, openConfBackend).get().autosaveIntervalMs).toBe(250);
    expect(() => s.update({ autosaveIntervalMs: 50 })).toThrow();
    expect(s.get().autosaveIntervalMs).toBe(250);
  });

  it('corrupt JSON: kept as .damaged-<ms>, start-up goes on with defaults and a notice', () => {
    const bad = '{"apiKey": "sk-1", "model": ';
    const d = dataDir({ 'config.json': bad });
    const s = openAppSettings(d, openConfBackend);
    expect(s.get()).toEqual(DEFAULT_APP_SETTINGS);
    expect(s.notices.join(' ')).toMatch(/damaged.*config\.json\.damaged-\d+/);
    const kept = appFiles(d).find((n) => n.startsWith('config.json.damaged-'))!;
    expect(readFileSync(path.join(new Layout(d).deviceAppDir, kept), 'utf8')).toBe(bad);
    if (posix) expect(statSync(path.join(new Layout(d).deviceAppDir, kept)).mode & 0o777).toBe(0o600);
  });

  it('one bad field: every valid key (the API key above all) is salvaged, the original kept', () => {
    const original = JSON.stringify({ apiKey: 'sk-keep', model: 'm1', autosaveIntervalMs: 5, backupRetention: 'many', quitFlushTimeoutMs: 9000, extra: 1 });
    const d = dataDir({ 'config.json': original });
    const s = openAppSettings(d, openConfBackend);
    expect(s.get()).toMatchObject({ apiKey: 'sk-keep', model: 'm1', quitFlushTimeoutMs: 9000, autosaveIntervalMs: 1000, backupRetention: 5 });
    expect(s.notices.join(' ')).toMatch(/autosaveIntervalMs, backupRetention/);
    expect(onDisk(d)).toMatchObject({ apiKey: 'sk-keep', model: 'm1', autosaveIntervalMs: 1000 });
    const kept = appFiles(d).filter((n) => n.startsWith('config.json.damaged-'));
    expect(kept).toHaveLength(1);
    expect(readFileSync(path.join(new Layout(d).deviceAppDir, kept[0]!), 'utf8')).toBe(original);
    // Reopening finds a valid file: no second copy, no notice.
    expect(openAppSettings(d, openConfBackend).notices).toEqual([]);
    expect(appFiles(d).filter((n) => n.startsWith('config.json.damaged-'))).toHaveLength(1);
  });

  it('migrates app/settings.json once, losslessly, keeping the old file', () => {
    const legacy = JSON.stringify({ provider: 'openai', baseUrl: 'https://api.example/v1', model: 'gpt', apiKey: 'sk-old', paceMs: 7 }, null, 2);
    const d = dataDir({ 'settings.json': legacy });
    const s = openAppSettings(d, openConfBackend);
    expect(s.get()).toEqual({ ...DEFAULT_APP_SETTINGS, provider: 'openai', baseUrl: 'https://api.example/v1', model: 'gpt', apiKey: 'sk-old', paceMs: 7 });
    expect(s.notices.join(' ')).toMatch(/settings\.json\.migrated-\d+/);
    const kept = appFiles(d).find((n) => n.startsWith('settings.json.migrated-'))!;
    expect(readFileSync(path.join(new Layout(d).deviceAppDir, kept), 'utf8')).toBe(legacy);
    expect(appFiles(d)).not.toContain('settings.json');
    // Once: a settings.json that appears later (an old build) is not migrated over newer values.
    s.update({ model: 'newer' });
    writeFileSync(path.join(new Layout(d).deviceAppDir, 'settings.json'), JSON.stringify({ model: 'stale' }));
    expect(openAppSettings(d, openConfBackend).get().model).toBe('newer');
  });
});

describe('settings channels', () => {
  it('ranges are checked, the key never crosses, backupRetention/quit timeout persist', async () => {
    const d = dataDir();
    const store = await openChatStore({ dataDir: d });
    const services = createServices<boolean>({ store, emit: () => {}, isTrustedSender: (x) => x });
    try {
      const call = (ch: string, p: unknown = {}) => services.binding.handle(true, ch, p) as Promise<any>;
      await call('setGenerationSettings', { provider: 'openai', baseUrl: 'https://api.example/v1', apiKey: 'sk-secret' });
      expect((await call('setAppSettings', { autosaveIntervalMs: 99 })).error.code).toBe('INVALID_INPUT');
      expect((await call('setAppSettings', { autosaveIntervalMs: 60_001 })).error.code).toBe('INVALID_INPUT');
      expect((await call('setAppSettings', { apiKey: 'x' })).error.code).toBe('INVALID_INPUT');
      const r = await call('setAppSettings', { autosaveIntervalMs: 100, backupRetention: 2, quitFlushTimeoutMs: 20_000 });
      expect(r.data).toEqual({ autosaveIntervalMs: 100, backupRetention: 2, quitFlushTimeoutMs: 20_000, notices: [] });
      expect(JSON.stringify(await call('getAppSettings'))).not.toContain('sk-secret');
      expect(services.settings.get().autosaveIntervalMs).toBe(100);
      expect(onDisk(d)).toMatchObject({ apiKey: 'sk-secret', autosaveIntervalMs: 100, backupRetention: 2, quitFlushTimeoutMs: 20_000 });
      if (posix) expect(statSync(path.join(new Layout(d).deviceAppDir, 'config.json')).mode & 0o777).toBe(0o600);
    } finally {
      await services.shutdown();
    }
  });
});
