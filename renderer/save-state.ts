// The save-state indicator's model. "Saved" only after main confirmed every write;
// a failed write keeps a retry so the user can try again.
import { useCallback, useState } from 'react';
import type { Result } from '../shared/ipc-contract.ts';
import { pushNotice } from './notices.ts';

export type SaveStatus = 'saved' | 'saving' | 'unsaved' | 'error';

export function useSaveState() {
  const [pending, setPending] = useState(0);
  const [failed, setFailed] = useState<{ message: string; retry: () => void } | null>(null);

  /** Runs one write and then `onOk` with its data; on failure reports it and keeps a retry. */
  const track = useCallback(async function track<T>(label: string, op: () => Promise<Result<T>>, onOk?: (data: T) => void): Promise<T | undefined> {
    setPending((n) => n + 1);
    let r: Result<T>;
    try {
      r = await op();
    } catch (e) {
      r = { ok: false, error: { code: 'INTERNAL', message: (e as Error).message } };
    } finally {
      setPending((n) => n - 1);
    }
    if (r.ok) {
      setFailed(null);
      onOk?.(r.data);
      return r.data;
    }
    const error = r.error;
    setFailed({ message: `${label}: ${error.message}`, retry: () => void track(label, op, onOk) });
    pushNotice({ level: 'error', code: error.code, message: `${label} failed: [${error.code}] ${error.message}` });
    return undefined;
  }, []);

  const status = (unsaved: boolean): SaveStatus => (pending > 0 ? 'saving' : failed ? 'error' : unsaved ? 'unsaved' : 'saved');
  return { track, status, failed, clearFailure: () => setFailed(null) };
}
