// Free-form fields (extra, metadata, unknown record keys) hold plain JSON data of bounded depth:
// deep nesting used to pass validation, reach the disk, and then make the chat unloadable.
import { appendFile, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { chatPath, tempDir } from './helpers.ts';

/** `{"a":{"a":...1...}}` nested `depth` levels, as JSON text and as a value. */
const deepJson = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const deepValue = (depth: number) => JSON.parse(deepJson(depth)) as Record<string, unknown>;

async function chat() {
  const dir = tempDir();
  const s = await openChatStore({ dataDir: dir });
  const { chatId } = await s.createChat({ characterId: 'c' });
  await s.appendMessage(chatId, { id: 'ok', role: 'user', content: 'kept' });
  return { dir, s, chatId, path: chatPath(dir, 'c', chatId) };
}

describe('free-form input must be plain data of bounded depth', () => {
  it('a deeply nested extra or metadata is refused with INVALID_INPUT before anything is written', async () => {
    const { s, chatId, path } = await chat();
    const before = await readFile(path);
    await expect(s.appendMessage(chatId, { role: 'user', content: 'x', extra: deepValue(3300) })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/nested more than 64 levels/) });
    await expect(s.updateMessage(chatId, 'ok', { extra: deepValue(3300) })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(s.createChat({ characterId: 'c', metadata: deepValue(3300) })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await readFile(path)).toEqual(before);
    // 64 levels are fine.
    await s.appendMessage(chatId, { id: 'deep64', role: 'user', content: 'x', extra: deepValue(63) });
    expect((await s.loadChat(chatId)).messages.map((m) => m.id)).toEqual(['ok', 'deep64']);
    await s.close();
  });

  it('values that are not plain data are refused, not stored as something else', async () => {
    const { s, chatId, path } = await chat();
    const before = await readFile(path);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    class Point {
      x = 1;
    }
    const bad: Record<string, unknown>[] = [
      { when: { toJSON: () => 'a string' } },
      { when: new Date(0) },
      { p: new Point() },
      { f: () => 1 },
      { m: new Map() },
      cyclic,
      { n: Number.NaN },
      { list: [1, undefined] },
      { s: Symbol('x') },
      { b: 10n },
    ];
    for (const extra of bad) {
      await expect(s.appendMessage(chatId, { role: 'user', content: 'x', extra })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    expect(await readFile(path)).toEqual(before);
    await s.close();
  });
});

describe('a deeply nested line already on disk (written by an older version)', () => {
  it('is quarantined with a warning; the other messages load and the chat stays editable', async () => {
    const { dir, s, chatId, path } = await chat();
    await s.close();
    const deep = deepJson(3300);
    await appendFile(
      path,
      [
        `{"id":"deep-extra","role":"user","content":"x","timestamp":2,"extra":${deep}}`,
        `{"id":"deep-unknown","role":"user","content":"x","timestamp":3,"future":${deep}}`,
        '{"id":"after","role":"user","content":"after","timestamp":4}',
        `{"op":"edit","id":"after","timestamp":5,"content":"hidden","extra":${deep}}`,
        `{"op":"meta","timestamp":6,"title":"hidden","metadata":${deep}}`,
        '',
      ].join('\n'),
    );
    const again = await openChatStore({ dataDir: dir });
    const page = await again.loadChat(chatId);
    expect(page.messages.map((m) => [m.id, m.content])).toEqual([
      ['ok', 'kept'],
      ['after', 'after'],
    ]);
    expect(page.warnings.filter((w) => w.kind === 'quarantined_line')).toHaveLength(4);
    expect((await again.getChat(chatId)).messageCount).toBe(2);
    await again.appendMessage(chatId, { id: 'new', role: 'user', content: 'new' });
    await again.updateMessage(chatId, 'after', { content: 'edited' });
    await again.deleteMessage(chatId, 'ok');
    expect((await again.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['edited', 'new']);
    await again.compactChat(chatId);
    expect((await again.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['edited', 'new']);
    await again.close();
  });
});
