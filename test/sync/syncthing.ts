// One real Syncthing instance for the sync tests: its own home, everything on 127.0.0.1, nothing
// that reaches outside the machine (global/local discovery, relays, NAT traversal, usage and crash
// reporting, auto-upgrade all off), one shared folder watched with a short delay, and a REST client.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.ts';
import { trackProcess } from './processes.ts';

export const SYNCTHING = '/usr/bin/syncthing';
export const FOLDER_ID = 'cardshark';

export interface SyncthingPeer {
  deviceId: string;
  name: string;
  listenPort: number;
}

export interface Syncthing extends SyncthingPeer {
  home: string;
  folder: string;
  guiPort: number;
  apiKey: string;
  proc: ChildProcess;
  log: () => string;
  rest<T = unknown>(method: 'GET' | 'POST', path: string): Promise<T>;
  stop(): Promise<void>;
}

/** Keys and a device id (`syncthing generate`); the config is written by `startSyncthing`. */
export async function prepareSyncthing(home: string, name: string): Promise<SyncthingPeer & { home: string }> {
  await mkdir(home, { recursive: true });
  execFileSync(SYNCTHING, ['generate', `--home=${home}`, '--no-default-folder', '--skip-port-probing'], { stdio: 'ignore' });
  const deviceId = execFileSync(SYNCTHING, ['serve', `--home=${home}`, '--device-id'], { encoding: 'utf8' }).trim();
  return { home, name, deviceId, listenPort: await freePort() };
}

export interface FolderTiming {
  /** Seconds the watcher collects changes before a scan (Syncthing's fsWatcherDelayS, an integer ≥ 1 in 1.19). */
  watcherDelayS: number;
}

function configXml(self: SyncthingPeer, peer: SyncthingPeer, folder: string, guiPort: number, apiKey: string, t: FolderTiming): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  // Options left out take Syncthing's defaults; the ones here keep it on loopback and quiet.
  return `<configuration version="36">
  <folder id="${FOLDER_ID}" label="${FOLDER_ID}" path="${esc(folder)}" type="sendreceive" rescanIntervalS="3600" fsWatcherEnabled="true" fsWatcherDelayS="${t.watcherDelayS}" ignorePerms="false" autoNormalize="true">
    <filesystemType>basic</filesystemType>
    <device id="${self.deviceId}" introducedBy=""></device>
    <device id="${peer.deviceId}" introducedBy=""></device>
    <markerName>.stfolder</markerName>
    <maxConflicts>10</maxConflicts>
  </folder>
  <device id="${self.deviceId}" name="${esc(self.name)}" compression="metadata"><address>dynamic</address></device>
  <device id="${peer.deviceId}" name="${esc(peer.name)}" compression="metadata"><address>tcp://127.0.0.1:${peer.listenPort}</address></device>
  <gui enabled="true" tls="false"><address>127.0.0.1:${guiPort}</address><apikey>${apiKey}</apikey></gui>
  <options>
    <listenAddress>tcp://127.0.0.1:${self.listenPort}</listenAddress>
    <globalAnnounceEnabled>false</globalAnnounceEnabled>
    <localAnnounceEnabled>false</localAnnounceEnabled>
    <relaysEnabled>false</relaysEnabled>
    <natEnabled>false</natEnabled>
    <urAccepted>-1</urAccepted>
    <urSeen>3</urSeen>
    <autoUpgradeIntervalH>0</autoUpgradeIntervalH>
    <crashReportingEnabled>false</crashReportingEnabled>
    <startBrowser>false</startBrowser>
    <reconnectionIntervalS>1</reconnectionIntervalS>
    <setLowPriority>false</setLowPriority>
    <stunKeepaliveStartS>0</stunKeepaliveStartS>
    <stunKeepaliveMinS>0</stunKeepaliveMinS>
    <stunServer></stunServer>
    <progressUpdateIntervalS>-1</progressUpdateIntervalS>
  </options>
</configuration>
`;
}

export async function startSyncthing(self: SyncthingPeer & { home: string }, peer: SyncthingPeer, folder: string, timing: FolderTiming): Promise<Syncthing> {
  const guiPort = await freePort();
  const apiKey = randomBytes(16).toString('hex');
  await mkdir(join(folder, '.stfolder'), { recursive: true });
  await writeFile(join(self.home, 'config.xml'), configXml(self, peer, folder, guiPort, apiKey, timing));
  const proc = spawn(SYNCTHING, ['serve', `--home=${self.home}`, '--no-browser', '--no-restart', '--no-upgrade', '--logflags=0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STNOUPGRADE: '1', STNORESTART: '1', STNODEFAULTFOLDER: '1' },
  });
  trackProcess(proc.pid!);
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d).slice(-20_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));

  const base = `http://127.0.0.1:${guiPort}`;
  async function rest<T>(method: 'GET' | 'POST', path: string): Promise<T> {
    const res = await fetch(base + path, { method, headers: { 'X-API-Key': apiKey } });
    const text = await res.text();
    if (!res.ok) throw new Error(`Syncthing ${self.name}: ${method} ${path} → ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`Syncthing ${self.name} exited at start:\n${out}`);
    try {
      await rest('GET', '/rest/system/ping');
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`Syncthing ${self.name} did not answer on 127.0.0.1:${guiPort} within 20 s:\n${out}`);
      await sleep(100);
    }
  }
  return {
    ...self,
    folder,
    guiPort,
    apiKey,
    proc,
    log: () => out,
    rest,
    async stop() {
      if (proc.exitCode !== null) return;
      await rest('POST', '/rest/system/shutdown').catch(() => {});
      const killed = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killed);
    },
  };
}

// ---- REST helpers ----

export interface FolderStatus {
  state: string;
  needTotalItems: number;
  globalFiles: number;
  globalBytes: number;
  globalDeleted: number;
  localFiles: number;
  localBytes: number;
  pullErrors: number;
  errors: number;
}

export const folderStatus = (s: Syncthing) => s.rest<FolderStatus>('GET', `/rest/db/status?folder=${FOLDER_ID}`);
/** How complete `peer` is, as `s` knows it. */
export const completion = (s: Syncthing, peer: SyncthingPeer) =>
  s.rest<{ completion: number; needItems: number; needDeletes: number; globalItems: number }>('GET', `/rest/db/completion?folder=${FOLDER_ID}&device=${peer.deviceId}`);
/** Scans the folder now (the watcher's delay skipped); answers when the scan is done. */
export const scanNow = (s: Syncthing) => s.rest('POST', `/rest/db/scan?folder=${FOLDER_ID}`);
export const pauseDevice = (s: Syncthing, peer: SyncthingPeer) => s.rest('POST', `/rest/system/pause?device=${peer.deviceId}`);
export const resumeDevice = (s: Syncthing, peer: SyncthingPeer) => s.rest('POST', `/rest/system/resume?device=${peer.deviceId}`);
export async function connected(s: Syncthing, peer: SyncthingPeer): Promise<boolean> {
  const c = await s.rest<{ connections: Record<string, { connected: boolean; paused: boolean }> }>('GET', '/rest/system/connections');
  const p = c.connections[peer.deviceId];
  return !!p && p.connected && !p.paused;
}

/** One Syncthing event (`/rest/events`); `time` is Syncthing's clock (the same machine). */
export interface SyncthingEvent {
  id: number;
  type: string;
  time: string;
  data: Record<string, unknown>;
}
export const events = (s: Syncthing, since: number, types: string[], timeoutS: number) =>
  s.rest<SyncthingEvent[]>('GET', `/rest/events?since=${since}&events=${types.join(',')}&timeout=${timeoutS}`);
