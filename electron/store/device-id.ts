// Which computer this is. Per-device state (the lock, caches, settings, drafts) lives under
// `<data>/devices/<deviceId>/`, so that a data folder synced between computers never makes one
// wait on (or read) another's. Two processes on one computer get the same id: the lock stays
// strict there. `CARDSHARK_DEVICE_ID` overrides it (tests; a user moving a disk between machines).
import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { StoreError } from '../../shared/errors.ts';

export const DEVICE_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const MACHINE_ID_FILES = ['/etc/machine-id', '/var/lib/dbus/machine-id'];

let cachedMachineId: string | undefined; // read once per process: Layouts are made often

function machineId(): string {
  return (cachedMachineId ??= readMachineId());
}

function readMachineId(): string {
  for (const f of MACHINE_ID_FILES) {
    try {
      const id = readFileSync(f, 'utf8').trim();
      if (id) return id;
    } catch {
      // absent on this system: try the next, else ''
    }
  }
  return '';
}

/** The hostname as a device-id prefix: lowercase `[a-z0-9-]`, at most 55 chars (room for the hash). */
function sanitizedHost(host: string): string {
  const s = host.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '').slice(0, 55).replace(/-$/, '');
  return s || 'device';
}

/** `<sanitized hostname>-<8 hex of sha256(machine-id + '\0' + hostname)>`. */
export function deviceIdFor(host: string, machine: string): string {
  // crypto.hash: one call, no Hash object (its first use costs a fresh process ~0.5 ms more).
  return `${sanitizedHost(host)}-${hash('sha256', `${machine}\0${host}`, 'hex').slice(0, 8)}`;
}

/** The device's display name: its hostname. */
export function deviceName(): string {
  return hostname();
}

/** This device's id (CARDSHARK_DEVICE_ID when set, validated; else derived from the hostname and machine id). */
export function currentDeviceId(env: NodeJS.ProcessEnv = process.env): string {
  const forced = env.CARDSHARK_DEVICE_ID;
  if (forced !== undefined && forced !== '') {
    if (!DEVICE_ID.test(forced)) throw new StoreError('INVALID_INPUT', `CARDSHARK_DEVICE_ID must be 1-64 characters of a-z, 0-9 and '-' (not at either end); got ${JSON.stringify(forced.slice(0, 80))}`);
    return forced;
  }
  return deviceIdFor(hostname(), machineId());
}
