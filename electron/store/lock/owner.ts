// Who holds a lock: the owner's identity as written into the lock file (pid, host, boot id,
// process start time), and what this process can tell of an owner from it: alive, dead, or
// unknown (another host, or no start time to compare: then the heartbeat decides).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { errnoOf } from '../../durable/durable.ts';

export interface LockInfo {
  pid: number;
  hostname: string;
  /** Kernel start time of the owner process (Linux), to tell a reused pid apart. */
  procStart: string | null;
  /** Linux boot id: a lock from an earlier boot is stale whatever its pid now names. */
  bootId?: string | null;
  token: string;
  acquiredAt: number;
}

/** Locks held by this process, by token: a second open in the same process is also refused. */
export const heldTokens = new Set<string>();
/** Steal markers this process holds right now. */
export const stealTokens = new Set<string>();

function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime) comes after the parenthesised command name, which may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function readBootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}
const BOOT_ID = readBootId();
const OWN_START = processStartTime(process.pid);

export function ownInfo(token: string): LockInfo {
  return { pid: process.pid, hostname: hostname(), procStart: OWN_START, bootId: BOOT_ID, token, acquiredAt: Date.now() };
}

/** `unknown`: nothing here can tell (another host, or no start time to compare): ask the heartbeat. */
export function ownerState(info: LockInfo, ownTokens: Set<string>): 'alive' | 'dead' | 'unknown' {
  if (info.hostname !== hostname()) return 'unknown';
  if (info.bootId && BOOT_ID && info.bootId !== BOOT_ID) return 'dead'; // rebooted since: its processes are gone
  if (info.pid === process.pid && (!info.procStart || info.procStart === OWN_START)) return ownTokens.has(info.token) ? 'alive' : 'dead';
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    // EPERM: the pid exists but belongs to another user (after a reboot, say): the start time decides.
    if (errnoOf(e) !== 'EPERM') return 'dead';
  }
  const start = processStartTime(info.pid);
  if (start && info.procStart) return start === info.procStart ? 'alive' : 'dead';
  return 'unknown';
}
