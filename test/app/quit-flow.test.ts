// The quit flow's decisions, apart from Electron: one flush however many ask, a failed or
// hung flush asks the user (retry / quit anyway) and never quits silently.
import { describe, expect, it } from 'vitest';
import { createQuitFlow } from '../../electron/lifecycle/quit-flow.ts';

function harness(flushes: (() => Promise<void>)[], answers: ('retry' | 'quit')[] = [], timeoutMs = 1_000) {
  const calls = { flush: 0, quit: 0, asked: [] as { timedOut: boolean; message: string }[] };
  const flow = createQuitFlow({
    flush: () => flushes[calls.flush++]!(),
    timeoutMs: () => timeoutMs,
    quit: () => calls.quit++,
    askOnFailure: async (p) => (calls.asked.push(p), answers.shift() ?? 'quit'),
  });
  return { flow, calls };
}

describe('quit flow', () => {
  it('prevents the quit until flushed, flushes once, then lets the next quit through', async () => {
    let release!: () => void;
    const { flow, calls } = harness([() => new Promise<void>((r) => (release = r))]);
    let prevented = 0;
    flow.beforeQuit(() => prevented++);
    flow.beforeQuit(() => prevented++); // a second quit during the flush
    const joined = flow.start('session-end');
    expect(prevented).toBe(2);
    expect(calls.flush).toBe(1);
    expect(calls.quit).toBe(0);
    release();
    await joined;
    expect(calls.quit).toBe(1);
    expect(flow.state).toBe('done');
    flow.beforeQuit(() => prevented++);
    expect(prevented).toBe(2);
  });

  it('a failed flush (disk full) asks; retry flushes again; quit happens once after success', async () => {
    const full = Object.assign(new Error('The disk is full.'), { code: 'DISK_FULL' });
    const { flow, calls } = harness([() => Promise.reject(full), async () => {}], ['retry']);
    await flow.start('before-quit');
    expect(calls.asked).toEqual([{ timedOut: false, message: '[DISK_FULL] The disk is full.' }]);
    expect(calls.flush).toBe(2);
    expect(calls.quit).toBe(1);
  });

  it('a hung flush times out into the same question; "quit anyway" quits', async () => {
    const { flow, calls } = harness([() => new Promise<void>(() => {})], ['quit'], 20);
    await flow.start('shutdown');
    expect(calls.asked[0]).toMatchObject({ timedOut: true });
    expect(calls.quit).toBe(1);
  });
});
