// The one deferred-write mechanism: coalescing per key, one write per interval, explicit flushes,
// failures kept and reported (typed), never dropped.
import { describe, expect, it } from 'vitest';
import { createDebouncer } from '../../electron/autosave/debouncer.ts';
import { StoreError } from '../../shared/errors.ts';
import { FakeClock } from './fake-clock.ts';

describe('debouncer', () => {
  it('1,000 changes within one interval cause exactly one write, of the newest state', async () => {
    const clock = new FakeClock();
    const d = createDebouncer({ clock, intervalMs: () => 1000 });
    let state = 0;
    const written: number[] = [];
    for (let i = 1; i <= 1000; i++) {
      state = i;
      d.set('drafts', async () => void written.push(state));
      clock.advance(0.5); // 1,000 updates in 500 ms
    }
    expect(written).toEqual([]);
    clock.advance(500);
    await d.idle();
    expect(written).toEqual([1000]);
    clock.advance(10_000);
    await d.idle();
    expect(written).toEqual([1000]); // nothing new: no write
  });

  it('keys are independent; flush(key) writes only that key, flush() all; the interval setting is read each time', async () => {
    const clock = new FakeClock();
    let interval = 1000;
    const d = createDebouncer({ clock, intervalMs: () => interval });
    const log: string[] = [];
    d.set('a', async () => void log.push('a'));
    d.set('b', async () => void log.push('b'));
    await d.flush('a');
    expect(log).toEqual(['a']);
    await d.flush();
    expect(log).toEqual(['a', 'b']);
    interval = 100;
    d.set('a', async () => void log.push('a2'));
    clock.advance(100);
    await d.idle();
    expect(log).toEqual(['a', 'b', 'a2']);
  });

  it('a failed write rejects flush with a typed error, stays dirty and is retried', async () => {
    const clock = new FakeClock();
    const errors: string[] = [];
    const d = createDebouncer({ clock, intervalMs: () => 1000, onError: (k, e) => errors.push(`${k}:${e.code}`) });
    let fail = true;
    const done: string[] = [];
    d.set('k', async () => {
      if (fail) throw Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' });
      done.push('k');
    });
    const e = await d.flush('k').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StoreError);
    expect(d.dirtyKeys()).toEqual(['k']);
    clock.advance(1000); // the retry on the interval fails too, and is reported
    await d.idle();
    expect(errors).toEqual(['k:IO_ERROR']);
    fail = false;
    await d.flush();
    expect(done).toEqual(['k']);
    expect(d.dirtyKeys()).toEqual([]);
  });

  it('a change made while its write runs is written next, never lost', async () => {
    const clock = new FakeClock();
    const d = createDebouncer({ clock, intervalMs: () => 1000 });
    let release!: () => void;
    const seen: number[] = [];
    let v = 1;
    const write = async () => {
      const mine = v;
      if (mine === 1) await new Promise<void>((r) => (release = r));
      seen.push(mine);
    };
    d.set('k', write);
    const f1 = d.flush('k');
    await new Promise((r) => setImmediate(r));
    v = 2;
    d.set('k', write);
    const f2 = d.flush('k');
    release();
    await Promise.all([f1, f2]);
    expect(seen).toEqual([1, 2]);
  });

  it('close (quit): a change accepted before it is written, one after it is refused with CLOSED', async () => {
    const clock = new FakeClock();
    const d = createDebouncer({ clock, intervalMs: () => 1000 });
    let release!: () => void;
    const seen: number[] = [];
    let v = 1;
    const write = async () => {
      const mine = v;
      if (mine === 1) await new Promise<void>((r) => (release = r));
      seen.push(mine);
    };
    d.set('k', write);
    const flushing = d.flush('k'); // a significant event's flush, still writing when the quit begins
    await new Promise((r) => setImmediate(r));
    v = 2;
    d.set('k', write); // accepted: it must reach the disk before close resolves
    const closing = d.close();
    expect(() => d.set('k', write)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    expect(() => d.set('other', write)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    release();
    await Promise.all([flushing, closing]);
    expect(seen).toEqual([1, 2]);
    expect(d.dirtyKeys()).toEqual([]);
  });

  it('close on a full disk rejects, keeps the change and writes it when called again', async () => {
    const clock = new FakeClock();
    const d = createDebouncer({ clock, intervalMs: () => 1000 });
    let full = true;
    const written: string[] = [];
    d.set('k', async () => {
      if (full) throw new StoreError('DISK_FULL', 'the disk is full');
      written.push('k');
    });
    await expect(d.close()).rejects.toMatchObject({ code: 'DISK_FULL' });
    expect(d.dirtyKeys()).toEqual(['k']);
    full = false;
    await d.close();
    expect(written).toEqual(['k']);
  });
});
