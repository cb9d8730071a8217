// Versions before per-device folders locked `<data>/cardshark.lock`. A process of such a version
// still running on this computer does not know the new lock: opening beside it would make two
// writers. So its lock is honoured while its owner is alive here; a lock from another computer
// (synced) or of a dead process is ignored (the old file is left for that version to clean up).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../../../shared/errors.ts';
import { readLock } from './lock-file.ts';
import { heldTokens, ownerState } from './owner.ts';

export const LEGACY_LOCK = 'cardshark.lock';

export async function refuseLegacyHolder(dataDir: string): Promise<void> {
  if (!existsSync(join(dataDir, LEGACY_LOCK))) return; // the usual case, told without an error object
  const lock = await readLock(join(dataDir, LEGACY_LOCK)).catch(() => null);
  const info = lock?.info;
  if (!info || ownerState(info, heldTokens) !== 'alive') return;
  throw new StoreError('LOCKED', `the data directory is in use by process ${info.pid}, an earlier version of CardShark; quit it first`, { pid: info.pid, hostname: info.hostname, legacy: true });
}
