// The renderer's side of a picked chat file (Electron): it asks main to pick, then to import what
// was picked, hearing that import's progress only; Cancel reaches main; the dialog closed is no
// error. The api is a recording stand-in for window.cardshark.
import { describe, expect, it } from 'vitest';
import type { CardsharkApi } from '../../shared/ipc-contract.ts';
import { importPickedChatFile, UploadCancel, type UploadProgress } from '../../renderer/chat-files/upload.ts';

const ID = 'a'.repeat(32);
const RESULT = { chats: [{ chatId: 'c1', characterId: 'k', title: 't', messageCount: 2, status: 'created' as const, linesNotImported: 0 }], failed: [] };

function fakeApi(opts: { picked: boolean; onFinish?: (emit: (p: object) => void) => Promise<unknown> }) {
  const calls: [string, unknown][] = [];
  const listeners = new Set<(p: object) => void>();
  const emit = (p: object) => listeners.forEach((l) => l(p));
  const api = {
    async importPickedChat(req: unknown) {
      calls.push(['importPickedChat', req]);
      return { ok: true, data: { picked: opts.picked ? { uploadId: ID, fileName: 'big.jsonl', size: 10 } : null } };
    },
    async importUploadFinish(req: unknown) {
      calls.push(['importUploadFinish', req]);
      return (await opts.onFinish?.(emit)) ?? { ok: true, data: RESULT };
    },
    async importUploadCancel(req: unknown) {
      calls.push(['importUploadCancel', req]);
      return { ok: true, data: { ok: true } };
    },
    async importUploadChunk(req: unknown) {
      calls.push(['importUploadChunk', req]);
      return { ok: false, error: { code: 'INVALID_INPUT', message: 'no' } };
    },
    on(_event: string, l: (p: object) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return { api: api as unknown as CardsharkApi, calls, listeners };
}

describe('a chat file picked in main (renderer side)', () => {
  it("imports what main picked, hears that import's progress only, and sends no bytes", async () => {
    const { api, calls, listeners } = fakeApi({
      picked: true,
      onFinish: async (emit) => {
        emit({ uploadId: 'b'.repeat(32), fileName: 'other.jsonl', phase: 'write', bytesRead: 1, bytesTotal: 2, messagesWritten: 1 });
        emit({ uploadId: ID, fileName: 'big.jsonl', phase: 'write', bytesRead: 5, bytesTotal: 10, messagesWritten: 3 });
        return undefined;
      },
    });
    const progress: UploadProgress[] = [];
    const names: string[] = [];
    const r = await importPickedChatFile(api, 'k', (n) => names.push(n), (p) => progress.push(p), new UploadCancel());
    expect(r).toEqual({ ok: true, data: RESULT });
    expect(names).toEqual(['big.jsonl']);
    expect(progress).toMatchObject([{ phase: 'write', bytesRead: 5, messagesWritten: 3 }]);
    expect(calls.map((c) => c[0])).toEqual(['importPickedChat', 'importUploadFinish']);
    expect(calls[0]![1]).toEqual({ characterId: 'k' });
    expect(listeners.size).toBe(0); // unsubscribed
  });

  it('the dialog closed: nothing imported, nothing to cancel', async () => {
    const { api, calls } = fakeApi({ picked: false });
    expect(await importPickedChatFile(api, undefined, () => {}, () => {}, new UploadCancel())).toBeNull();
    expect(calls).toEqual([['importPickedChat', {}]]);
  });

  it('Cancel while main imports reaches main, and the outcome is cancelled', async () => {
    const cancel = new UploadCancel();
    let release: () => void = () => {};
    const { api, calls } = fakeApi({
      picked: true,
      onFinish: async () => {
        cancel.cancel();
        await new Promise<void>((r) => (release = r));
        return { ok: false, error: { code: 'CANCELLED', message: 'the import was cancelled' } };
      },
    });
    const run = importPickedChatFile(api, 'k', () => {}, () => {}, cancel);
    await new Promise((r) => setTimeout(r, 0));
    expect(calls.map((c) => c[0])).toEqual(['importPickedChat', 'importUploadFinish', 'importUploadCancel']);
    expect(calls[2]![1]).toEqual({ uploadId: ID });
    release();
    expect(await run).toEqual({ cancelled: true });
  });

  it('Cancel pressed while the dialog was open: the picked file is dropped, never imported', async () => {
    const cancel = new UploadCancel();
    const { api, calls } = fakeApi({ picked: true });
    const run = importPickedChatFile(api, 'k', () => cancel.cancel(), () => {}, cancel);
    expect(await run).toEqual({ cancelled: true });
    expect(calls.map((c) => c[0])).toEqual(['importPickedChat', 'importUploadCancel']);
  });
});
