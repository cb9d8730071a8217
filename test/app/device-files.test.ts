// Per-device files (issue 17): settings (with the API key), drafts, the active-chat state and the
// imported-files record live in devices/<id>/app/; the first start after the upgrade moves each from
// its old place in app/ when this device has none, and a move a crash interrupted loses nothing.
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openAppSettings } from '../../electron/app-settings/settings.ts';
import { openConfBackend } from '../../electron/app-settings/conf-backend.ts';
import { openAppState } from '../../electron/app-data/app-state.ts';
import { deviceFile } from '../../electron/app-data/device-files.ts';
import { openDrafts } from '../../electron/drafts/drafts.ts';
import { createDebouncer } from '../../electron/autosave/debouncer.ts';
import { openImportedFiles } from '../../electron/watcher/imported-files.ts';
import { Layout } from '../../electron/store/layout.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function legacyDataDir(files: Record<string, string>): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'cardshark-device-files-'));
  dirs.push(d);
  mkdirSync(path.join(d, 'app'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(d, 'app', name), text);
  return d;
}
const chat = '0b8f5a3e-6f1c-4c3a-9d7e-2a1b3c4d5e6f';

describe('legacy per-device files', () => {
  it('are moved into this device folder at the first use: the API key, drafts, state and imported files', async () => {
    const d = legacyDataDir({
      'config.json': JSON.stringify({ apiKey: 'sk-legacy', model: 'm1' }),
      'drafts.json': JSON.stringify({ drafts: { [chat]: 'half a thought' } }),
      'state.json': JSON.stringify({ activeChat: { alice: chat }, activeCharacter: 'alice' }),
      'imported-files.json': JSON.stringify({ files: { 'x/y.jsonl': '1:2:3:4 abc' }, contents: { abc: 'x/y.jsonl' } }),
    });
    const layout = new Layout(d);
    const settings = openAppSettings(d, openConfBackend);
    expect(settings.get()).toMatchObject({ apiKey: 'sk-legacy', model: 'm1' });
    expect(settings.path).toBe(path.join(layout.deviceAppDir, 'config.json'));
    if (process.platform !== 'win32') expect(statSync(layout.deviceAppDir).mode & 0o777).toBe(0o700);
    const drafts = openDrafts(d, createDebouncer());
    expect(await drafts.get(chat)).toBe('half a thought');
    expect(await openAppState(d).getActiveChat('alice')).toBe(chat);
    expect(await openImportedFiles(d).hasContent('abc')).toBe(true);
    for (const name of ['config.json', 'drafts.json', 'state.json', 'imported-files.json']) {
      expect(existsSync(path.join(d, 'app', name)), name).toBe(false);
      expect(existsSync(path.join(layout.deviceAppDir, name)), name).toBe(true);
    }
    // A later change goes to this device's file only.
    settings.update({ model: 'm2' });
    expect(JSON.parse(readFileSync(path.join(layout.deviceAppDir, 'config.json'), 'utf8'))).toMatchObject({ apiKey: 'sk-legacy', model: 'm2' });
  });

  it('a device folder that has its own file keeps it; the old file is left where it is', () => {
    const d = legacyDataDir({ 'config.json': JSON.stringify({ apiKey: 'sk-other-computer' }) });
    const layout = new Layout(d);
    mkdirSync(layout.deviceAppDir, { recursive: true });
    writeFileSync(path.join(layout.deviceAppDir, 'config.json'), JSON.stringify({ apiKey: 'sk-mine' }));
    expect(openAppSettings(d, openConfBackend).get().apiKey).toBe('sk-mine');
    expect(JSON.parse(readFileSync(path.join(d, 'app', 'config.json'), 'utf8'))).toEqual({ apiKey: 'sk-other-computer' });
  });

  it('a move interrupted after the link (both names, one file) is finished at the next start, nothing lost', () => {
    const d = legacyDataDir({ 'drafts.json': JSON.stringify({ drafts: { [chat]: 'kept' } }) });
    const layout = new Layout(d);
    mkdirSync(layout.deviceAppDir, { recursive: true });
    linkSync(path.join(d, 'app', 'drafts.json'), layout.draftsFile); // what a crash between link and unlink leaves
    expect(deviceFile(d, 'drafts')).toBe(layout.draftsFile);
    expect(existsSync(path.join(d, 'app', 'drafts.json'))).toBe(false);
    expect(JSON.parse(readFileSync(layout.draftsFile, 'utf8'))).toEqual({ drafts: { [chat]: 'kept' } });
  });

  it('another device id gets its own files, not this one\'s', () => {
    const d = legacyDataDir({});
    const mine = deviceFile(d, 'state', new Layout(d, 'desk-1'));
    const theirs = deviceFile(d, 'state', new Layout(d, 'laptop-2'));
    expect(mine).toBe(path.join(d, 'devices', 'desk-1', 'app', 'state.json'));
    expect(theirs).toBe(path.join(d, 'devices', 'laptop-2', 'app', 'state.json'));
  });
});
