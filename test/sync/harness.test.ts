// The sync harness itself, without the app: the two Syncthing instances stay on loopback, sync a
// file, stop syncing while paused and resume after, and make the conflict copies the issue describes.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LISTEN_ANY_PORT, scanNow } from './syncthing.ts';
import { twoComputers, type TwoComputers } from './two-computers.ts';

// No app here: no namespaces needed, only Syncthing (never skipped: without it the test fails, saying so).

let pair: TwoComputers | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

describe('the two-computer harness', () => {
  it('Syncthing on loopback only; a file syncs; nothing crosses while paused; both edits while paused leave a sync-conflict copy', { timeout: 90_000 }, async () => {
    const p = (pair = await twoComputers());
    const options = await p.a.st.rest<{ listenAddresses: string[]; globalAnnounceEnabled: boolean; localAnnounceEnabled: boolean; relaysEnabled: boolean; natEnabled: boolean; urAccepted: number; autoUpgradeIntervalH: number; crashReportingEnabled: boolean }>('GET', '/rest/config/options');
    // The OS picked a loopback port for each listener; A dials B there (B only accepts: see two-computers.ts).
    expect(p.b.st.listenAddress).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect((await p.a.st.rest<{ addresses: string[] }>('GET', `/rest/config/devices/${p.b.st.deviceId}`)).addresses).toEqual([p.b.st.listenAddress]);
    expect(options).toMatchObject({ listenAddresses: [LISTEN_ANY_PORT], globalAnnounceEnabled: false, localAnnounceEnabled: false, relaysEnabled: false, natEnabled: false, urAccepted: -1, autoUpgradeIntervalH: 0, crashReportingEnabled: false });

    await writeFile(join(p.a.dataDir, 'note.txt'), 'from A\n');
    await p.waitInSync();
    expect(await readFile(join(p.b.dataDir, 'note.txt'), 'utf8')).toBe('from A\n');

    await p.pause();
    await writeFile(join(p.a.dataDir, 'note.txt'), 'A offline\n');
    await writeFile(join(p.b.dataDir, 'note.txt'), 'B offline\n');
    await Promise.all([scanNow(p.a.st), scanNow(p.b.st)]);
    await sleep(2000);
    expect(await readFile(join(p.b.dataDir, 'note.txt'), 'utf8')).toBe('B offline\n');

    await p.resume();
    await p.waitInSync();
    const names = async (dir: string) => (await readdir(dir)).filter((n) => n.startsWith('note')).sort();
    const [onA, onB] = [await names(p.a.dataDir), await names(p.b.dataDir)];
    expect(onA).toEqual(onB);
    expect(onA).toHaveLength(2);
    expect(onA.find((n) => n !== 'note.txt')).toMatch(/^note\.sync-conflict-\d{8}-\d{6}-[A-Z0-9]{7}\.txt$/);
    const texts = await Promise.all(onA.map((n) => readFile(join(p.a.dataDir, n), 'utf8')));
    expect(texts.sort()).toEqual(['A offline\n', 'B offline\n']);
  });
});
