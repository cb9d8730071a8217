// Fuzzes the binding: fast-check payloads to every channel. The process must not
// crash, every answer must be a valid envelope (and a valid response when ok),
// and the data dir must still be readable by the store afterwards.
import fc from 'fast-check';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openChatStore, readFullState } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import { demoProvider } from '../../electron/generation/demo.ts';
import { v2Json, v2Png, v3Json, v3Png } from '../fixtures/cards.ts';
import { CHANNELS, CHANNEL_NAMES, ResultEnvelope, type ChannelName } from '../../shared/ipc-contract.ts';
import { Layout } from '../../electron/store/layout.ts';

export interface FuzzReport {
  dataDir: string;
  calls: Record<string, { runs: number; ok: number; errors: Record<string, number>; sample: Record<string, number> }>;
}

/** Channel → the request keys it takes; payloads are built from these most of the time. */
const KEYS: Record<string, string[]> = {
  listCharacters: [],
  createCharacter: ['name'],
  getActiveCharacter: [],
  setActiveCharacter: ['characterId'],
  listChats: ['characterId'],
  createChat: ['characterId', 'title', 'metadata'],
  getChat: ['chatId'],
  loadChat: ['chatId', 'options'],
  searchChat: ['chatId', 'query', 'limit', 'offset'],
  searchLibrary: ['query', 'limit'],
  renameChat: ['chatId', 'title'],
  deleteChat: ['chatId'],
  branchChat: ['chatId', 'messageId', 'title'],
  getActiveChat: ['characterId'],
  setActiveChat: ['characterId', 'chatId'],
  appendMessage: ['chatId', 'message'],
  appendMessages: ['chatId', 'messages'],
  listStreams: [],
  getDraft: ['chatId'],
  setDraft: ['chatId', 'text', 'flush'],
  updateMessage: ['chatId', 'messageId', 'patch'],
  deleteMessage: ['chatId', 'messageId'],
  generate: ['mode', 'chatId', 'messageId'],
  impersonate: ['chatId'],
  stopGeneration: ['streamId'],
  getGenerationSettings: [],
  setGenerationSettings: ['provider', 'baseUrl', 'model', 'apiKey', 'paceMs', 'personaName', 'personaDescription', 'mainPrompt', 'temperature', 'topP', 'maxTokens', 'stopSequences', 'contextTokens'],
  testConnection: [],
  getCharacter: ['id'],
  updateCharacter: ['id', 'card'],
  importCharacter: ['fileName', 'bytesBase64', 'onConflict'],
  listPreviousCards: ['id'],
  restorePreviousCard: ['id', 'versionId'],
  exportCharacter: ['id', 'format'],
  getCharacterAvatar: ['id'],
  deleteCharacter: ['id'],
  listDeletedCharacters: [],
  restoreCharacter: ['trashId'],
  getAuthorsNote: ['chatId'],
  setAuthorsNote: ['chatId', 'note'],
  previewPrompt: ['chatId'],
  listPersonas: [],
  createPersona: ['name', 'description', 'avatarPngBase64'],
  updatePersona: ['id', 'name', 'description', 'avatarPngBase64'],
  deletePersona: ['id'],
  setDefaultPersona: ['id'],
  getChatPersona: ['chatId'],
  setChatPersona: ['chatId', 'personaId'],
};

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
/** Card files: real V2/V3 cards, the same cut short or with a flipped byte, and random bytes. */
const CARD_BYTES = [v2Png(), v3Png(), Buffer.from(JSON.stringify(v2Json())), Buffer.from(JSON.stringify(v3Json({ name: 'Fuzzed' })))];

/** Payloads for one channel: mostly well-shaped with real ids, mixed with hostile values. */
function payloadsFor(channel: string, ids: { characterId: string; chatId: string; messageId: string; personaId: string }): fc.Arbitrary<unknown> {
  const hostile = fc.oneof(
    fc.string(),
    fc.constantFrom('', '..', '../../etc', '/etc/passwd', 'C:\\Windows', '\u0000', 'con', 'a'.repeat(300), '__proto__'),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
  );
  const mostly = <T,>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: hostile });
  const text = fc.string({ minLength: 1, maxLength: 40 });
  const field: Record<string, fc.Arbitrary<unknown>> = {
    name: mostly(text),
    characterId: mostly(fc.oneof({ weight: 4, arbitrary: fc.constant(ids.characterId) }, fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,20}$/))),
    chatId: mostly(fc.oneof({ weight: 4, arbitrary: fc.constant(ids.chatId) }, fc.uuid({ version: 4 }))),
    messageId: mostly(fc.oneof({ weight: 3, arbitrary: fc.constant(ids.messageId) }, fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/))),
    title: mostly(text),
    metadata: mostly(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })),
    message: mostly(
      fc.record(
        {
          role: fc.constantFrom('user', 'assistant', 'system', 'user', 'assistant', 'root'),
          content: mostly(fc.string({ maxLength: 200 })),
          id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,12}$/),
          status: fc.constantFrom('complete', 'streaming', 'interrupted', 'error', 'complete', 'bogus'),
          extra: mostly(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })),
        },
        { requiredKeys: ['role', 'content'] },
      ).chain((m) =>
        // Swipes are rarer: content must equal the selected swipe, which random data seldom meets.
        fc.oneof(
          { weight: 6, arbitrary: fc.constant(m) },
          { weight: 1, arbitrary: fc.constant({ ...m, swipes: [typeof m.content === 'string' ? m.content : ''], swipe_id: 0 }) },
          { weight: 1, arbitrary: fc.record({ swipes: fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 3 }), swipe_id: fc.nat(4) }).map((x) => ({ ...m, ...x })) },
        ),
      ),
    ),
    patch: mostly(
      fc.oneof(
        fc.record({ content: fc.string({ maxLength: 100 }), status: fc.constantFrom('complete', 'error', 'bogus'), name: fc.string({ maxLength: 10 }) }, { requiredKeys: [] }),
        fc.record({ addSwipe: mostly(fc.string({ maxLength: 100 })) }),
        fc.record({ selectSwipe: mostly(fc.integer({ min: -1, max: 5 })) }),
      ),
    ),
    options: mostly(
      fc.record(
        { limit: mostly(fc.integer({ min: -5, max: 2000 })), before: mostly(fc.constant(ids.messageId)), around: mostly(fc.constant(ids.messageId)), after: mostly(fc.constant(ids.messageId)) },
        { requiredKeys: [] },
      ),
    ),
    query: mostly(text),
    limit: mostly(fc.integer({ min: -5, max: 600 })),
    offset: mostly(fc.integer({ min: -5, max: 2000 })),
    mode: fc.constantFrom('new', 'swipe', 'continue', 'other'),
    text: mostly(fc.string({ maxLength: 200 })),
    flush: mostly(fc.boolean()),
    streamId: mostly(fc.uuid()),
    provider: fc.constantFrom('demo', 'openai', 'x'),
    baseUrl: mostly(fc.webUrl()),
    model: mostly(fc.string({ maxLength: 20 })),
    apiKey: mostly(fc.string({ maxLength: 20 })),
    paceMs: mostly(fc.integer({ min: -1, max: 20000 })),
    personaName: mostly(fc.string({ maxLength: 120 })),
    personaDescription: mostly(fc.string({ maxLength: 200 })),
    mainPrompt: mostly(fc.string({ maxLength: 200 })),
    temperature: mostly(fc.double({ min: -1, max: 6, noNaN: true })),
    topP: mostly(fc.double({ min: -0.5, max: 1.5, noNaN: true })),
    maxTokens: mostly(fc.integer({ min: -1, max: 40_000 })),
    stopSequences: mostly(fc.array(fc.string({ maxLength: 210 }), { maxLength: 18 })),
    contextTokens: mostly(fc.integer({ min: 0, max: 2_000_000 })),
    card: mostly(
      fc.record(
        { name: mostly(text), description: mostly(fc.string({ maxLength: 100 })), tags: mostly(fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 })), alternate_greetings: mostly(fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 })), extensions: mostly(fc.jsonValue({ maxDepth: 2 })) },
        { requiredKeys: [] },
      ),
    ),
    fileName: mostly(text),
    bytesBase64: mostly(
      fc.oneof(
        fc.constantFrom(...CARD_BYTES.map(b64)),
        fc.tuple(fc.constantFrom(...CARD_BYTES), fc.nat(), fc.boolean()).map(([b, n, cut]) => {
          const copy = Buffer.from(b);
          if (cut) return b64(copy.subarray(0, n % copy.length));
          copy[n % copy.length] = copy[n % copy.length]! ^ 0x5a;
          return b64(copy);
        }),
        fc.uint8Array({ maxLength: 200 }).map(b64),
        fc.base64String({ maxLength: 40 }),
      ),
    ),
    note: mostly(fc.record({ text: mostly(fc.string({ maxLength: 200 })), depth: mostly(fc.integer({ min: -2, max: 20 })), role: fc.constantFrom('system', 'user', 'assistant', 'narrator') }, { requiredKeys: [] })),
    format: fc.constantFrom('png', 'json', 'gif'),
    onConflict: fc.constantFrom('ask', 'replace', 'new', 'overwrite'),
    versionId: mostly(fc.oneof(fc.stringMatching(/^\d{13}-\d{4}$/), fc.constant('0000000000001-0000'))),
    trashId: mostly(fc.oneof(fc.constant(`${ids.characterId}.1`), fc.stringMatching(/^[a-z0-9-]{1,10}\.\d{1,5}$/))),
  };
  field.id = field.characterId!;
  // Personas: a real persona's id or a random UUID; pictures real, damaged, random or empty (removes one).
  const personaId = mostly(fc.oneof({ weight: 3, arbitrary: fc.constant(ids.personaId) }, fc.uuid({ version: 4 })));
  if (channel.endsWith('Persona')) field.id = personaId;
  field.personaId = mostly(fc.oneof(personaId, fc.constant(null)));
  field.description = mostly(fc.string({ maxLength: 200 }));
  field.avatarPngBase64 = fc.oneof(field.bytesBase64!, fc.constant(''), fc.constant(b64(v2Png())));
  // A batch: built from the single-message arbitrary (hostile values included).
  field.messages = mostly(fc.array(field.message!, { minLength: 0, maxLength: 4 }));
  if (channel === 'generate') {
    field.mode = fc.constantFrom('new', 'new', 'swipe', 'continue', 'other');
    return fc.oneof(
      fc.anything(),
      fc.record({ mode: field.mode, chatId: field.chatId! }),
      fc.record({ mode: field.mode, chatId: field.chatId!, messageId: field.messageId! }),
    );
  }
  const keys = KEYS[channel] ?? Object.keys(field);
  const shaped = fc
    .tuple(
      fc.record(Object.fromEntries(keys.map((k) => [k, field[k]!]))),
      // Occasionally drop a key, or add an unexpected one.
      fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...keys, 'x') }),
      fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), hostile) }),
    )
    .map(([rec, drop, extra]) => {
      const out: Record<string, unknown> = { ...rec };
      if (drop) delete out[drop];
      if (extra) out[extra[0]] = extra[1];
      return out;
    });
  return fc.oneof({ weight: 1, arbitrary: fc.anything() }, { weight: 8, arbitrary: shaped });
}

export async function runFuzz(opts: { runs: number; seed?: number; log?: (line: string) => void }): Promise<FuzzReport> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-fuzz-'));
  const store = await openChatStore({ dataDir });
  const services = createServices<boolean>({
    store,
    emit: () => {},
    isTrustedSender: (trusted) => trusted === true,
    provider: demoProvider(0), // never the network, whatever settings the fuzzer writes
    // "Test connection" neither: every name resolves to loopback, and fetch answers 401 itself.
    connectionTest: {
      lookup: async () => [{ address: '127.0.0.1' }],
      fetch: async () => new Response(JSON.stringify({ error: { message: 'fuzz' } }), { status: 401 }),
    },
  });
  const call = (ch: string, payload: unknown, trusted = true) => services.binding.handle(trusted, ch, payload);

  // Seed real objects so valid-looking payloads reach the store.
  const c = await call('createCharacter', { name: 'Fuzz' });
  if (!c.ok) throw new Error('setup failed');
  const characterId = (c.data as { id: string }).id;
  const chat = await call('createChat', { characterId });
  if (!chat.ok) throw new Error('setup failed');
  const chatId = (chat.data as { chatId: string }).chatId;
  const msg = await call('appendMessage', { chatId, message: { role: 'assistant', content: 'seed' } });
  if (!msg.ok) throw new Error('setup failed');
  const persona = await call('createPersona', { name: 'Fuzz persona' });
  if (!persona.ok) throw new Error('setup failed');
  const ids = { characterId, chatId, messageId: (msg.data as { id: string }).id, personaId: (persona.data as { id: string }).id };

  const report: FuzzReport = { dataDir, calls: {} };
  // Destructive channels last, so the others keep hitting a live chat.
  const last = ['deletePersona', 'deleteMessage', 'deleteChat', 'deleteCharacter', 'listDeletedCharacters', 'restoreCharacter'];
  const channels: string[] = [...CHANNEL_NAMES.filter((c) => !last.includes(c)), ...last, 'unknown:channel'];
  for (const name of channels) {
    const stats = (report.calls[name] = { runs: 0, ok: 0, errors: {} as Record<string, number>, sample: {} as Record<string, number> });
    await fc.assert(
      fc.asyncProperty(payloadsFor(name, ids), fc.integer({ min: 0, max: 19 }), async (payload, dice) => {
        const trusted = dice !== 0;
        const r = await call(name, payload, trusted);
        stats.runs++;
        const env = ResultEnvelope.safeParse(r);
        if (!env.success) throw new Error(`${name}: not an envelope: ${JSON.stringify(r).slice(0, 300)}`);
        if (!trusted && r.ok) throw new Error(`${name}: an untrusted sender was served`);
        if (r.ok && name === 'generate') {
          // Let streams finish (or stop them) so later calls are not all CONFLICT.
          await (dice % 2 ? services.generation.stopAll() : new Promise((res) => setTimeout(res, 5)));
        }
        if (r.ok) {
          stats.ok++;
          const spec = CHANNELS[name as ChannelName];
          if (!spec || !spec.response.safeParse(r.data).success) throw new Error(`${name}: ok data does not match the response schema`);
        } else {
          stats.errors[r.error.code] = (stats.errors[r.error.code] ?? 0) + 1;
          stats.sample[r.error.message.slice(0, 60)] = (stats.sample[r.error.message.slice(0, 60)] ?? 0) + 1;
          if (r.error.code === 'INTERNAL') throw new Error(`${name}: INTERNAL error: ${r.error.message}`);
        }
      }),
      { numRuns: opts.runs, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) },
    );
    opts.log?.(`${name.padEnd(24)} ${stats.runs} calls, ${stats.ok} ok, errors ${JSON.stringify(stats.errors)}`);
  }

  await services.shutdown();
  await checkDataDir(dataDir);
  return report;
}

/** Every chat file parses cleanly and the store reopens and lists every chat. */
export async function checkDataDir(dataDir: string): Promise<void> {
  const top = await readdir(dataDir);
  for (const entry of top) {
    // devices/: this device's own state (lock, index, caches, settings, drafts); .stignore: for Syncthing.
    if (!/^(app|chats|devices|\.stignore|backups|trash|quarantine)$/.test(entry)) throw new Error(`unexpected entry in data dir: ${entry}`);
  }
  const charDirs = await readdir(path.join(dataDir, 'chats')).catch(() => [] as string[]);
  let files = 0;
  for (const ch of charDirs) {
    for (const f of await readdir(path.join(dataDir, 'chats', ch))) {
      if (!f.endsWith('.jsonl')) throw new Error(`unexpected file ${ch}/${f}`);
      const state = readFullState(await readFile(path.join(dataDir, 'chats', ch, f)));
      if ('error' in state) throw new Error(`${ch}/${f}: ${state.error}`);
      if (state.invalid.length) throw new Error(`${ch}/${f}: ${state.invalid.length} invalid lines`);
      files++;
    }
  }
  for (const f of [path.join(dataDir, 'app', 'characters.json'), new Layout(dataDir).appStateFile]) JSON.parse(await readFile(f, 'utf8').catch(() => '{}'));
  const store = await openChatStore({ dataDir });
  try {
    let listed = 0;
    for (const ch of charDirs) listed += (await store.listChats(ch)).length;
    if (listed !== files) throw new Error(`store lists ${listed} chats, disk has ${files}`);
  } finally {
    await store.close();
  }
}
