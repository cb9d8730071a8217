// Two computers sharing one library through real Syncthing on loopback: A and B each have a data
// folder, a Syncthing instance introduced to the other by device id, and (once started) the app.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startComputer, type Computer, type StartOptions } from './computer.ts';
import { completion, connected, addPacer, diagnostics, folderStatus, introduce, pauseDevice, prepareSyncthing, resumeDevice, scanNow, startSyncthing, type FolderTiming, type Syncthing } from './syncthing.ts';

export interface Side {
  /** 'A' or 'B'; the hostname is `cardshark-a` / `cardshark-b`. */
  label: 'A' | 'B';
  hostname: string;
  dataDir: string;
  st: Syncthing;
  /** The running app, once started (replaced on a restart). */
  app?: Computer;
}

export interface TwoComputers {
  root: string;
  a: Side;
  b: Side;
  /** Starts the app on the given sides at the same moment. */
  startApps(sides?: Side[], opts?: StartOptions): Promise<void>;
  /** Both Syncthing instances pause each other: the computers are offline. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Scans both folders now and waits until both hold the same files with nothing left to pull. */
  waitInSync(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_TIMING: FolderTiming = { watcherDelayS: 1 };

export async function twoComputers(timing: FolderTiming = DEFAULT_TIMING): Promise<TwoComputers> {
  const root = await mkdtemp(join(tmpdir(), 'cardshark-sync-'));
  const [pa, pb, pacer] = await Promise.all([prepareSyncthing(join(root, 'st-a'), 'cardshark-a'), prepareSyncthing(join(root, 'st-b'), 'cardshark-b'), prepareSyncthing(join(root, 'st-pacer'), 'pacer')]);
  const dirA = join(root, 'a', 'CardShark');
  const dirB = join(root, 'b', 'CardShark');
  const started = await Promise.allSettled([startSyncthing(pa, pb, dirA, timing), startSyncthing(pb, pa, dirB, timing)]);
  if (started.some((r) => r.status === 'rejected')) {
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    await rm(root, { recursive: true, force: true }).catch(() => {});
    throw new Error(started.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : [])).join('\n'));
  }
  const [sa, sb] = started.map((r) => (r as PromiseFulfilledResult<Syncthing>).value) as [Syncthing, Syncthing];
  const a: Side = { label: 'A', hostname: 'cardshark-a', dataDir: dirA, st: sa };
  const b: Side = { label: 'B', hostname: 'cardshark-b', dataDir: dirB, st: sb };

  // Both listen now (startSyncthing waited for it). Only A dials B: when both dial each other at the
  // same moment, Syncthing 1.19 can deadlock for 20 s (each side's one connection handler waits for
  // the other's Hello on another connection: "Failed to exchange Hello messages ... i/o timeout"),
  // and the pacer (see PACER_ADDRESS) makes A dial within a second of a resume or a dropped link.
  // B knows A as "dynamic" (nothing: discovery is off) and accepts A's connection.
  await addPacer(sa, pacer.deviceId);
  await introduce(sa, sb);

  /** Waits until both see each other connected; says what each one knows when they do not. */
  const waitConnected = async (timeoutMs: number) => {
    const start = Date.now();
    const both = async () => (await connected(sa, sb).catch(() => false)) && (await connected(sb, sa).catch(() => false));
    while (!(await both())) {
      if (Date.now() - start > timeoutMs) {
        const diag = await Promise.all([diagnostics(sa), diagnostics(sb)]);
        throw new Error(`the two Syncthing instances did not connect within ${timeoutMs / 1000} s\n${diag.join('\n')}`);
      }
      await sleep(100);
    }
  };
  try {
    await waitConnected(30_000);
  } catch (e) {
    await Promise.all([sa.stop(), sb.stop()]);
    await rm(root, { recursive: true, force: true }).catch(() => {});
    throw e;
  }

  const pair: TwoComputers = {
    root,
    a,
    b,
    async startApps(sides = [a, b], opts = {}) {
      const started = await Promise.allSettled(sides.map((s) => startComputer(s.hostname, s.dataDir, opts)));
      started.forEach((r, i) => {
        if (r.status === 'fulfilled') sides[i]!.app = r.value;
      });
      const failed = started.flatMap((r, i) => (r.status === 'rejected' ? [`${sides[i]!.label}: ${(r.reason as Error).message}`] : []));
      if (failed.length) throw new Error(`app start failed on ${failed.join('\n')}`);
    },
    async pause() {
      await Promise.all([pauseDevice(sa, sb), pauseDevice(sb, sa)]);
    },
    async resume() {
      await Promise.all([resumeDevice(sa, sb), resumeDevice(sb, sa)]);
      await waitConnected(20_000);
    },
    async waitInSync(timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      let last = '';
      let goodInARow = 0;
      for (;;) {
        await Promise.all([scanNow(sa), scanNow(sb)]).catch(() => {});
        const [stA, stB, cAB, cBA, conn] = await Promise.all([folderStatus(sa), folderStatus(sb), completion(sa, sb), completion(sb, sa), connected(sa, sb)]);
        const same = stA.globalFiles === stB.globalFiles && stA.globalBytes === stB.globalBytes && stA.globalDeleted === stB.globalDeleted;
        const done = conn && same && [stA, stB].every((s) => s.state === 'idle' && s.needTotalItems === 0) && cAB.completion === 100 && cBA.completion === 100;
        goodInARow = done ? goodInARow + 1 : 0;
        if (goodInARow >= 2) return;
        last = `connected ${conn}; A ${JSON.stringify(stA)} B-as-A-sees-it ${JSON.stringify(cAB)}; B ${JSON.stringify(stB)} A-as-B-sees-it ${JSON.stringify(cBA)}`;
        if (Date.now() > end) throw new Error(`Syncthing did not bring A and B in sync within ${timeoutMs / 1000} s: ${last}`);
        await sleep(150);
      }
    },
    async close() {
      await Promise.all([a, b].map((s) => s.app?.stop()));
      await Promise.all([sa.stop(), sb.stop()]);
      await rm(root, { recursive: true, force: true }).catch(() => {});
    },
  };
  return pair;
}
