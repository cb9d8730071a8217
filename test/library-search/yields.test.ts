// Background indexing gives way to the app's requests (issue 16): the check of every chat at
// start-up waits for its start delay, and each slice of the build waits while a window's request
// is in flight (request-gate.ts), so the first open of a big chat right after start is not slowed
// by the build. It still finishes, and answers as before, once the requests are answered.
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { createRequestGate, openLibrarySearch } from '../../electron/library-search/index.ts';
import { tempDir } from '../store/helpers.ts';

async function libraryWithChats(n: number) {
  const dataDir = tempDir();
  const store = await openChatStore({ dataDir });
  for (let i = 0; i < n; i++) {
    const { chatId } = await store.createChat({ characterId: 'alice', title: `chat ${i}` });
    await store.appendMessages(chatId, [{ id: `m${i}`, role: 'user', content: `the lantern number ${i}` }]);
  }
  return store;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('library search: background indexing yields to requests', () => {
  it('builds nothing while a request is in flight, and all of it once none is', async () => {
    const store = await libraryWithChats(5);
    const gate = createRequestGate(50, 60_000);
    const end = gate.begin(); // a window's request (a big chat opening) under way
    const lib = openLibrarySearch({ store, quiet: () => gate.quiet(), blockBytes: 300 });
    try {
      await sleep(600);
      const during = await lib.search('lantern');
      expect(during.chats.length, 'chats indexed while a request was in flight').toBe(0);
      expect(during.indexing).toBe(true);
      end();
      await lib.whenReady();
      const after = await lib.search('lantern');
      expect(after.chats.length).toBe(5);
      expect(after.indexing).toBe(false);
    } finally {
      await lib.close();
      await store.close();
    }
  }, 30_000);

  it('never starves: a slice runs after the longest wait even under steady requests', async () => {
    const store = await libraryWithChats(2);
    const gate = createRequestGate(50, 200);
    gate.begin(); // never ends
    const lib = openLibrarySearch({ store, quiet: () => gate.quiet() });
    try {
      await lib.whenReady();
      expect((await lib.search('lantern')).chats.length).toBe(2);
    } finally {
      await lib.close();
      await store.close();
    }
  }, 30_000);

  it('starts its check of every chat after the start delay; a close before it cancels it', async () => {
    const store = await libraryWithChats(3);
    const lib = openLibrarySearch({ store, startDelayMs: 700 });
    try {
      await sleep(300);
      expect((await lib.search('lantern')).chats.length, 'chats indexed before the start delay').toBe(0);
      await lib.whenReady();
      expect((await lib.search('lantern')).chats.length).toBe(3);
    } finally {
      await lib.close();
    }
    const early = openLibrarySearch({ store, startDelayMs: 60_000 });
    await early.close();
    await early.whenReady(); // resolves: the cancelled check is not waited for
    await store.close();
  }, 30_000);
});
