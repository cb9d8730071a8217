// One real Syncthing instance for the sync tests: its own home, everything on 127.0.0.1, nothing
// that reaches outside the machine (global/local discovery, relays, NAT traversal, usage and crash
// reporting, auto-upgrade all off), one shared folder watched with a short delay, and a REST client.
//
// Ports: Syncthing binds its GUI/REST and its sync listener on port 0 (the OS picks a free one) and
// we read the ports it got (its log, then /rest/system/status). No port is picked ahead and freed
// again, so no other process (nor the other instance) can take it in between.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { trackProcess } from './processes.ts';

export const SYNCTHING = '/usr/bin/syncthing';
export const FOLDER_ID = 'cardshark';
/** The listen address in the config: the OS picks the port (`listenAddress` reads the one it got). */
export const LISTEN_ANY_PORT = 'tcp://127.0.0.1:0';

export interface SyncthingPeer {
  deviceId: string;
  name: string;
}

export interface Syncthing extends SyncthingPeer {
  home: string;
  folder: string;
  guiPort: number;
  /** Where this instance accepts the other one (`tcp://127.0.0.1:<port the OS picked>`). */
  listenAddress: string;
  apiKey: string;
  proc: ChildProcess;
  log: () => string;
  rest<T = unknown>(method: 'GET' | 'POST' | 'PATCH' | 'PUT', path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** Keys and a device id (`syncthing generate`); the config is written by `startSyncthing`. */
export async function prepareSyncthing(home: string, name: string): Promise<SyncthingPeer & { home: string }> {
  if (!existsSync(SYNCTHING)) throw new Error(`${SYNCTHING} is not installed: the sync tests need it (apt-get install syncthing; .ci/run does it)`);
  await mkdir(home, { recursive: true });
  execFileSync(SYNCTHING, ['generate', `--home=${home}`, '--no-default-folder', '--skip-port-probing'], { stdio: 'ignore' });
  const deviceId = execFileSync(SYNCTHING, ['serve', `--home=${home}`, '--device-id'], { encoding: 'utf8' }).trim();
  return { home, name, deviceId };
}

export interface FolderTiming {
  /** Seconds the watcher collects changes before a scan (Syncthing's fsWatcherDelayS, an integer ≥ 1 in 1.19). */
  watcherDelayS: number;
}

function configXml(self: SyncthingPeer, peer: SyncthingPeer, folder: string, apiKey: string, t: FolderTiming): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  // Options left out take Syncthing's defaults; the ones here keep it on loopback and quiet. The
  // peer's address is set once both listen (`introduce`): "dynamic" resolves to nothing here.
  return `<configuration version="36">
  <folder id="${FOLDER_ID}" label="${FOLDER_ID}" path="${esc(folder)}" type="sendreceive" rescanIntervalS="3600" fsWatcherEnabled="true" fsWatcherDelayS="${t.watcherDelayS}" ignorePerms="false" autoNormalize="true">
    <filesystemType>basic</filesystemType>
    <device id="${self.deviceId}" introducedBy=""></device>
    <device id="${peer.deviceId}" introducedBy=""></device>
    <markerName>.stfolder</markerName>
    <maxConflicts>10</maxConflicts>
  </folder>
  <device id="${self.deviceId}" name="${esc(self.name)}" compression="metadata"><address>dynamic</address></device>
  <device id="${peer.deviceId}" name="${esc(peer.name)}" compression="metadata"><address>dynamic</address></device>
  <gui enabled="true" tls="false"><address>127.0.0.1:0</address><apikey>${apiKey}</apikey></gui>
  <options>
    <listenAddress>${LISTEN_ANY_PORT}</listenAddress>
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

interface SystemStatus {
  myID: string;
  connectionServiceStatus: Record<string, { error: string | null; lanAddresses: string[] | null }>;
}

export async function startSyncthing(self: SyncthingPeer & { home: string }, peer: SyncthingPeer, folder: string, timing: FolderTiming): Promise<Syncthing> {
  const apiKey = randomBytes(16).toString('hex');
  await mkdir(join(folder, '.stfolder'), { recursive: true });
  await writeFile(join(self.home, 'config.xml'), configXml(self, peer, folder, apiKey, timing));
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
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    await rest('POST', '/rest/system/shutdown').catch(() => {});
    const killed = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killed);
  };

  let guiPort = 0;
  async function rest<T>(method: 'GET' | 'POST' | 'PATCH' | 'PUT', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`http://127.0.0.1:${guiPort}${path}`, {
      method,
      headers: { 'X-API-Key': apiKey, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Syncthing ${self.name}: ${method} ${path} → ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  // Up when it answers as itself and its sync listener is bound (its port known). A slow start on a
  // loaded machine is waited for; an exit or a listener error is reported with its log.
  const deadline = Date.now() + 30_000;
  let listenAddress = '';
  let last = '';
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`Syncthing ${self.name} exited at start (code ${proc.exitCode}):\n${out}`);
    guiPort ||= Number(/GUI and API listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1] ?? 0);
    if (guiPort) {
      try {
        const st = await rest<SystemStatus>('GET', '/rest/system/status');
        if (st.myID !== self.deviceId) throw new Error(`127.0.0.1:${guiPort} answers as ${st.myID}, not ${self.deviceId}`);
        const listener = st.connectionServiceStatus[LISTEN_ANY_PORT];
        if (listener?.error) throw new Error(`its listener failed: ${listener.error}`);
        listenAddress = listener?.lanAddresses?.find((a) => /^tcp:\/\/127\.0\.0\.1:[1-9]\d*$/.test(a)) ?? '';
        if (listenAddress) break;
        last = `listener not bound yet: ${JSON.stringify(st.connectionServiceStatus)}`;
      } catch (e) {
        last = (e as Error).message;
      }
    } else last = 'its GUI/REST port is not in its log yet';
    if (Date.now() > deadline) {
      await stop().catch(() => proc.kill('SIGKILL'));
      throw new Error(`Syncthing ${self.name} was not up within 30 s (${last}):\n${out}`);
    }
    await sleep(100);
  }
  return { ...self, folder, guiPort, listenAddress, apiKey, proc, log: () => out, rest, stop };
}

/** Tells `s` where `peer` listens (it dials within a second or so: see `PACER_ADDRESS`). */
export async function introduce(s: Syncthing, peer: Syncthing): Promise<void> {
  await s.rest('PATCH', `/rest/config/devices/${peer.deviceId}`, { addresses: [peer.listenAddress] });
}

/**
 * Why a third, never reachable device: Syncthing 1.19's connect loop sleeps until the next dial it
 * has planned. With the peer connected it plans none and sleeps 1, 2, 4, 8, 16, 32 s (its start-up
 * ramp), then 60 s; a resume, a config change or a dropped connection does not wake it. So after
 * `resume` it could dial 60 s later (the CI flake: "did not connect within 20 s").
 * `reconnectionIntervalS` only spaces the dials of one address. The pacer's address refuses at once
 * (port 0 on loopback), so the loop plans its next dial 1 s ahead, always, and a resumed or dropped
 * peer is dialed within about a second. Nothing is ever sent anywhere.
 */
export const PACER_ADDRESS = 'tcp://127.0.0.1:0';
export async function addPacer(s: Syncthing, pacerDeviceId: string): Promise<void> {
  await s.rest('PUT', `/rest/config/devices/${pacerDeviceId}`, { deviceID: pacerDeviceId, name: 'pacer (never reachable)', addresses: [PACER_ADDRESS], compression: 'metadata' });
}

/** What each side says about its connection (for a failure message): connections, dial results, errors, its log's tail. */
export async function diagnostics(s: Syncthing): Promise<string> {
  const get = (path: string) => s.rest('GET', path).then((r) => JSON.stringify(r), (e: Error) => `(${e.message})`);
  const status = await s.rest<SystemStatus & { lastDialStatus?: unknown }>('GET', '/rest/system/status').then(
    (st) => JSON.stringify({ connectionServiceStatus: st.connectionServiceStatus, lastDialStatus: st.lastDialStatus }),
    (e: Error) => `(${e.message})`,
  );
  const tail = s.log().split('\n').slice(-40).join('\n');
  return `--- Syncthing ${s.name} (${s.deviceId.slice(0, 7)}, listens on ${s.listenAddress}, REST 127.0.0.1:${s.guiPort}, ${s.proc.exitCode === null ? 'running' : `exited ${s.proc.exitCode}`})
/rest/system/connections: ${await get('/rest/system/connections')}
/rest/system/status (listeners, dials): ${status}
/rest/system/error: ${await get('/rest/system/error')}
log tail:
${tail}`;
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
