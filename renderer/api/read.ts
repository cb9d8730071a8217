// Reads the user should hear about when they fail: the failure becomes a notice.
import type { Result } from '../../shared/ipc-contract.ts';
import { pushNotice } from '../notices.ts';

/** Reads: report failures as notices, return the data or undefined. */
export async function read<T>(label: string, p: Promise<Result<T>>): Promise<T | undefined> {
  const r = await p;
  if (r.ok) return r.data;
  pushNotice({ level: 'error', code: r.error.code, message: `${label}: [${r.error.code}] ${r.error.message}` });
  return undefined;
}
