// A draft typed while the app quits: every draft answered "ok" is in drafts.json when the process
// has exited; a draft that comes too late is refused (CLOSED), never acknowledged and dropped.
// A real process: the renderer's calls keep coming over IPC while a SIGTERM runs the quit flush.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../store/helpers.ts';
import { Layout } from '../../electron/store/layout.ts';

const CHILD = path.join(import.meta.dirname, 'quit-child.ts');
const procs: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

type Result = { ok: true; data: any } | { ok: false; error: { code: string; message: string } };

function start(dataDir: string) {
  const child = fork(CHILD, [dataDir], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  procs.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const waiting = new Map<number, (r: Result | undefined) => void>();
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  child.on('message', (m: { ready?: true; id?: number; result?: Result }) => {
    if (m.ready) return ready();
    waiting.get(m.id!)?.(m.result);
    waiting.delete(m.id!);
  });
  void exited.then(() => {
    for (const w of waiting.values()) w(undefined); // never answered: not acknowledged
    waiting.clear();
  });
  let next = 0;
  /** The answer, or undefined when the process exited (or its channel closed) first. */
  const call = (channel: string, payload: unknown = {}) =>
    new Promise<Result | undefined>((resolve) => {
      if (gone || !child.connected) return resolve(undefined);
      const id = next++;
      waiting.set(id, resolve);
      child.send({ id, channel, payload }, (e) => {
        if (e) {
          waiting.delete(id);
          resolve(undefined);
        }
      });
    });
  const ok = async (channel: string, payload: unknown = {}) => {
    const r = await call(channel, payload);
    if (!r?.ok) throw new Error(`${channel}: ${JSON.stringify(r)}\n${out}`);
    return r.data;
  };
  return { child, isReady, exited, call, ok, out: () => out };
}

describe('a draft typed during quit', () => {
  it('is on disk at exit if it was answered "ok", or refused with CLOSED', { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const app = start(dataDir);
    await app.isReady;
    const { id: characterId } = await app.ok('createCharacter', { name: 'Ada' });
    const { chatId } = await app.ok('createChat', { characterId });
    // A chat worth compacting on close (most of its file is superseded edits): the quit takes a
    // while after the deferred writes were flushed, as it does with real chats.
    const big = await app.ok('appendMessage', { chatId, message: { role: 'user', content: 'x'.repeat(200_000) } });
    for (let i = 0; i < 15; i++) await app.ok('updateMessage', { chatId, messageId: big.id, patch: { content: `${i}`.repeat(200_000) } });

    // The user types on; the quit begins after a few keystrokes and the typing goes on.
    let lastAcked: string | undefined;
    const refused: string[] = [];
    for (let i = 0; ; i++) {
      if (i === 5) app.child.kill('SIGTERM');
      const text = `draft ${i}`;
      const r = await app.call('setDraft', { chatId, text });
      if (r === undefined) break; // the process is gone: unanswered
      if (r.ok) lastAcked = text;
      else refused.push(r.error.code);
    }
    expect(await app.exited, app.out()).toBe(0);
    expect(lastAcked).toBeDefined();
    const onDisk = JSON.parse(readFileSync(path.join(new Layout(dataDir).deviceAppDir, 'drafts.json'), 'utf8')).drafts[chatId];
    expect(onDisk, `acknowledged "${lastAcked}", drafts.json holds "${onDisk}"`).toBe(lastAcked);
    // The quit window was exercised: drafts came in while it ran and were refused, typed.
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set(['CLOSED']));
  });
});
