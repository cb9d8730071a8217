// searchLibrary through the binding: it finds text in every character's chats; whatever the query,
// the answer is a result or a typed INVALID_INPUT, never an FTS5 syntax error.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices, type Services } from '../../electron/ipc/services.ts';
import { librarySearchFile } from '../../electron/library-search/index.ts';
import type { LibrarySearchOut } from '../../shared/ipc-contract.ts';

let open: { services: Services<boolean>; dataDir: string }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.services.shutdown();
    await rm(o.dataDir, { recursive: true, force: true });
  }
});

async function setup(before?: (dataDir: string) => Promise<void>) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-library-'));
  await before?.(dataDir);
  const store = await openChatStore({ dataDir });
  const services = createServices<boolean>({ store, emit: () => {}, isTrustedSender: (t) => t, watch: false });
  open.push({ services, dataDir });
  const call = async <T,>(ch: string, payload: unknown) => (await services.binding.handle(true, ch, payload)) as { ok: true; data: T } | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } };
  const data = async <T,>(ch: string, payload: unknown) => {
    const r = await call<T>(ch, payload);
    if (!r.ok) throw new Error(`${ch}: ${r.error.message}`);
    return r.data;
  };
  return { services, call, data };
}

describe('searchLibrary', () => {
  it("finds a word in another character's chat, with the match's range, and by character name and title", async () => {
    const { services, data } = await setup();
    const eve = await data<{ id: string }>('createCharacter', { name: 'Évelyne' });
    const bob = await data<{ id: string }>('createCharacter', { name: 'Bob' });
    const c1 = await data<{ chatId: string }>('createChat', { characterId: eve.id, title: 'Morning' });
    const c2 = await data<{ chatId: string }>('createChat', { characterId: bob.id, title: 'The Harbour' });
    await data('appendMessage', { chatId: c1.chatId, message: { role: 'user', content: 'Nothing here.' } });
    const m = await data<{ id: string }>('appendMessage', { chatId: c2.chatId, message: { role: 'assistant', content: 'She lifts the Lantérn over the water.' } });
    await services.library!.whenIdle();
    const r = await data<LibrarySearchOut>('searchLibrary', { query: 'LANTERN' });
    expect(r.chats.map((c) => c.chatId)).toEqual([c2.chatId]);
    const hit = r.chats[0]!.hits[0]!;
    expect(hit.messageId).toBe(m.id);
    expect(hit.snippet.highlights.map((h) => hit.snippet.text.slice(h.start, h.end))).toEqual(['Lantérn']);
    const byName = await data<LibrarySearchOut>('searchLibrary', { query: 'evelyne' });
    expect(byName.chats.map((c) => [c.chatId, c.characterName.highlights.length > 0])).toEqual([[c1.chatId, true]]);
    const byTitle = await data<LibrarySearchOut>('searchLibrary', { query: 'harb*' });
    expect(byTitle.chats[0]!.title.highlights).toEqual([{ start: 4, end: 11 }]);
  });

  it('turns any query into a search or a typed error, never an FTS5 syntax error', async () => {
    const { services, call, data } = await setup();
    const ch = await data<{ id: string }>('createCharacter', { name: 'Eve' });
    const c = await data<{ chatId: string }>('createChat', { characterId: ch.id, title: 'T' });
    await data('appendMessage', { chatId: c.chatId, message: { role: 'user', content: 'AND or NOT near( "quoted" col:umn x*y' } });
    await services.library!.whenIdle();
    for (const q of ['"', '"unclosed phrase', 'AND', 'OR NOT', 'NEAR(a b)', 'title:x', '(', ')', '*', 'a*b*', '^x', "'", '{a b}', 'col:umn', '-x', '+', 'x"y"z', '\u0000', '"""']) {
      const r = await call('searchLibrary', { query: q });
      if (!r.ok) expect([q, r.error.code, r.error.details?.reason]).toEqual([q, 'INVALID_INPUT', 'empty']);
    }
    expect(await call('searchLibrary', { query: '   ' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', details: { reason: 'empty' } } });
    expect(await call('searchLibrary', { query: '' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await call('searchLibrary', { query: 'a'.repeat(201) })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', details: { field: 'query' } } });
    expect(await call('searchLibrary', { query: 'x', limit: 0 })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const r = await data<LibrarySearchOut>('searchLibrary', { query: 'near( "quoted" AND' });
    expect(r.chats.map((x) => x.chatId)).toEqual([c.chatId]);
  });

  it('an index that cannot be opened costs the search, never a write', async () => {
    // A folder where the index file should be: SQLite cannot open it, nor can it be removed as a file.
    const { call, data } = await setup((dir) => mkdir(librarySearchFile(dir), { recursive: true }).then(() => {}));
    const ch = await data<{ id: string }>('createCharacter', { name: 'Eve' });
    const c = await data<{ chatId: string }>('createChat', { characterId: ch.id, title: 'T' });
    expect(await call('appendMessage', { chatId: c.chatId, message: { role: 'user', content: 'still saved' } })).toMatchObject({ ok: true });
    expect(await call('searchLibrary', { query: 'saved' })).toMatchObject({ ok: false, error: { code: 'IO_ERROR', details: { reason: 'unavailable' } } });
  });
});
