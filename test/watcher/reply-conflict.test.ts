// Without the watcher's help: a streamed reply whose next checkpoint meets a file another program
// changed. When the change commutes with the reply (it appended, leaving the reply's message as the
// app had it: issue 17, item 3), the checkpoint is made on the file as it is now and the reply goes
// on. When it does not (the other program changed the reply's message too), the reply stops writing
// into that file and the app's version goes into a conflict copy; the outside file keeps its bytes.
import { readFile } from 'node:fs/promises';
import { afterEach, expect, it } from 'vitest';
import { external, messageLine, streamingReply, until } from './helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

const streaming = () => streamingReply(cleanups, { watch: false });

// The store reads a chat anew whenever a read finds its file changed (the library search indexing the
// reply's first text, a window loading the chat): the checkpoint after such a read must still see
// whether the reply's message is still as the reply left it. Each case once without a read in
// between, once with one (in the app, the library search's read after the first checkpoint can
// land either side of the other program's change).
for (const readBetween of [false, true]) {
  it(`a checkpoint meeting a file another program appended to is made on the file as it is now: the reply goes on, no copy${readBetween ? ' (the chat read anew in between)' : ''}`, async () => {
    const s = await streaming();
    const line = messageLine('theirs-1', 'appended by another program');
    await external('append', s.file, line);
    const theirs = await readFile(s.file, 'utf8');
    if (readBetween) expect((await s.ok('getChat', { chatId: s.chatId })).messageCount).toBe(3); // read anew
    s.release();
    expect((await s.ended()).status).toBe('complete');
    await s.services.autosave.flush();
    expect((await readFile(s.file, 'utf8')).startsWith(theirs)).toBe(true); // their bytes stay; the app appended after them
    expect((await s.ok('loadChat', { chatId: s.chatId })).messages.map((m: any) => m.content)).toEqual(['Hi', 'Part one. Part two.', 'appended by another program']);
    expect((await s.ok('listChats', { characterId: s.characterId })).map((x: any) => x.title)).toEqual(['Shared']);
    expect(s.events.filter(([n, p]) => n === 'notice' && p.level !== 'info')).toEqual([]);
  });
}

for (const readBetween of [false, true]) {
  it(`a checkpoint refused because another program changed the reply's message writes nothing more there; the reply goes to a conflict copy${readBetween ? ' (the chat read anew in between)' : ''}`, async () => {
    const s = await streaming();
    const line = `${JSON.stringify({ op: 'edit', id: s.replyId, timestamp: Date.now(), content: 'changed by another program' })}\n`;
    await external('append', s.file, line);
    const theirs = await readFile(s.file, 'utf8');
    if (readBetween) expect((await s.ok('getChat', { chatId: s.chatId })).preview).toContain('changed by another program'); // read anew
    s.release();
    expect((await s.ended()).status).toBe('error');
    await until(() => s.events.find(([n, p]) => n === 'notice' && /conflict copy/.test(p.message)), 3000, 'conflict notice');
    await s.services.autosave.flush();
    expect(await readFile(s.file, 'utf8')).toBe(theirs); // not one byte added to their file
    const copy = (await s.ok('listChats', { characterId: s.characterId })).find((x: any) => x.title === 'Shared (conflict copy)');
    expect(copy).toBeDefined();
    const page = await s.ok('loadChat', { chatId: copy.chatId });
    expect(page.messages.map((m: any) => [m.role, m.content])).toEqual([
      ['user', 'Hi'],
      ['assistant', 'Part one. Part two.'],
    ]);
    // The shared chat itself now reads as the other program left it, and takes new writes.
    const shared = await s.ok('loadChat', { chatId: s.chatId });
    expect(shared.messages.map((m: any) => m.content)).toEqual(['Hi', 'changed by another program']);
  });
}
