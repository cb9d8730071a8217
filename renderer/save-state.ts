// The save-state indicator's model. "Saved" only after main confirmed every write;
// a failed write keeps a retry so the user can try again.
//
// Failures are keyed by operation (e.g. `edit:<chat>:<message>`): a failure is cleared
// only when that same operation, or its retry, later succeeds. An unrelated success
// never hides it.
import { useCallback, useState } from 'react';
import type { Result } from '../shared/ipc-contract.ts';
import { pushNotice } from './notices.ts';
import { useConnection } from './api/connection.ts';

/** `streaming`: a reply is being written (checkpointed each autosave interval); an ordinary state, not a warning. */
export type SaveStatus = 'saved' | 'saving' | 'streaming' | 'error' | 'offline';

export interface Failure {
  key: string;
  message: string;
  retry?: () => void;
}

export function useSaveState() {
  const [pending, setPending] = useState(0);
  const [failures, setFailures] = useState<ReadonlyMap<string, Failure>>(new Map());

  const succeed = useCallback((key: string) => {
    setFailures((fs) => {
      if (!fs.has(key)) return fs;
      const next = new Map(fs);
      next.delete(key);
      return next;
    });
  }, []);

  /** Records a failed write that did not go through `track` (e.g. a reply main could not store). */
  const fail = useCallback((f: Failure) => {
    setFailures((fs) => new Map(fs).set(f.key, f));
  }, []);

  /**
   * Runs one write (identified by `key`) and then `onOk` with its data; on failure reports it
   * and keeps a retry under the same key. Success clears only this key's failure.
   */
  const track = useCallback(
    async function track<T>(key: string, label: string, op: () => Promise<Result<T>>, onOk?: (data: T) => void): Promise<T | undefined> {
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
        succeed(key);
        onOk?.(r.data);
        return r.data;
      }
      const error = r.error;
      fail({ key, message: `${label}: ${error.message}`, retry: () => void track(key, label, op, onOk) });
      pushNotice({ level: 'error', code: error.code, message: `${label} failed: [${error.code}] ${error.message}` });
      return undefined;
    },
    [succeed, fail],
  );

  /** Forgets failures that can no longer matter (their chat or message is gone). */
  const dropWhere = useCallback((pred: (key: string) => boolean) => {
    setFailures((fs) => {
      const keep = [...fs].filter(([k]) => !pred(k));
      return keep.length === fs.size ? fs : new Map(keep);
    });
  }, []);

  const list = [...failures.values()];
  const retryable = list.filter((f) => f.retry);
  // Disconnected (browser host): nothing can be confirmed, so never "Saved".
  const connection = useConnection();
  const status = (streaming: boolean): SaveStatus =>
    connection.state !== 'connected' ? 'offline' : pending > 0 ? 'saving' : list.length > 0 ? 'error' : streaming ? 'streaming' : 'saved';
  /** Retries every failed write that can be retried; each clears its own failure on success. */
  const retryAll = retryable.length > 0 ? () => retryable.forEach((f) => f.retry!()) : undefined;
  return { track, fail, succeed, dropWhere, status, failures: list, retryAll };
}

export type SaveState = ReturnType<typeof useSaveState>;
