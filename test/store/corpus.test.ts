// A generated corruption corpus (issue 9): truncation at every byte of a small chat, random byte
// flips (seeded), BOM, CRLF, NUL bytes, invalid UTF-8, duplicated and reordered lines, a missing
// or garbage header, a future version, duplicate ids. For each case, through the real store on
// real files: the chat opens or reports clearly, every complete valid message is kept, damaged
// bytes are in quarantine, and the report names the problem; repair backs up first and leaves a
// file that validates clean.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChatStore, planRepair, type ProblemKind } from '../../electron/store/index.ts';
import { StoreError } from '../../shared/errors.ts';
import { tempDir } from './helpers.ts';

const CHAR = 'alice';

function chatIdFor(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

function baseLines(chatId: string): string[] {
  return [
    JSON.stringify({ format: 'cardshark-chat', version: 1, chat_id: chatId, character_id: CHAR, timestamp: 1000, title: 'Corpus', metadata: {} }),
    JSON.stringify({ id: 'm1', role: 'user', content: 'Hello there', timestamp: 1001 }),
    JSON.stringify({ id: 'm2', role: 'assistant', content: 'Hi. How can I help?', timestamp: 1002 }),
    JSON.stringify({ op: 'edit', id: 'm2', timestamp: 1003, content: 'Hi! How can I help?' }),
    JSON.stringify({ id: 'm3', role: 'user', content: 'Tell me a story', timestamp: 1004 }),
  ];
}
const base = (chatId: string) => Buffer.from(baseLines(chatId).join('\n') + '\n');

interface Case {
  name: string;
  bytes: Buffer;
  /** Ids of messages whose line is intact: they must be visible after repair. */
  keep: string[];
  /** The report must name one of these kinds (empty: the file must validate ok). */
  expect: ProblemKind[];
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Ids of message lines that are byte-identical and newline-terminated (or the complete last line) in `bytes`. */
function intactIds(chatId: string, bytes: Buffer): string[] {
  const text = bytes.toString('latin1');
  const lines = baseLines(chatId);
  return lines.slice(1).filter((l) => !l.includes('"op"') && (text.includes(`\n${l}\n`) || text.endsWith(`\n${l}`))).map((l) => JSON.parse(l).id as string);
}

function buildCorpus(): Case[] {
  const cases: Case[] = [];
  let n = 1;
  const next = () => chatIdFor(n++);
  // Truncation at every byte.
  const probe = base(chatIdFor(0));
  const headerLen = baseLines(chatIdFor(0))[0]!.length;
  for (let cut = 0; cut < probe.length; cut++) {
    const id = next();
    const bytes = base(id).subarray(0, cut);
    const atBoundary = cut > headerLen && (bytes[cut - 1] === 0x0a || base(id)[cut] === 0x0a);
    const kinds: ProblemKind[] = cut === 0 ? ['empty_file', 'nothing_salvageable'] : cut <= headerLen ? (cut === headerLen ? [] : ['bad_header']) : atBoundary ? [] : ['torn_tail'];
    cases.push({ name: `truncated at ${cut}`, bytes, keep: intactIds(id, bytes), expect: kinds });
  }
  // Random byte flips (seeded), anywhere.
  const rand = rng(9);
  for (let i = 0; i < 40; i++) {
    const id = next();
    const bytes = Buffer.from(base(id));
    const at = Math.floor(rand() * bytes.length);
    bytes[at] = bytes[at]! ^ (1 + Math.floor(rand() * 255));
    cases.push({ name: `byte flip at ${at}`, bytes, keep: intactIds(id, bytes), expect: ['*' as ProblemKind] });
  }
  const special = (name: string, make: (id: string) => Buffer, keep: string[], kinds: ProblemKind[]) => {
    const id = next();
    cases.push({ name, bytes: make(id), keep, expect: kinds });
  };
  const L = baseLines;
  special('BOM', (id) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), base(id)]), ['m1', 'm2', 'm3'], ['bom']);
  special('CRLF', (id) => Buffer.from(L(id).join('\r\n') + '\r\n'), ['m1', 'm2', 'm3'], ['crlf']);
  special('NUL bytes in a line', (id) => Buffer.from([L(id)[0], L(id)[1], '\u0000\u0000' + L(id)[2], L(id)[3], L(id)[4]].join('\n') + '\n'), ['m1', 'm3'], ['invalid_line']);
  special('NUL block in the middle', (id) => Buffer.concat([Buffer.from(L(id).slice(0, 2).join('\n') + '\n'), Buffer.alloc(64), Buffer.from('\n' + L(id).slice(2).join('\n') + '\n')]), ['m1', 'm2', 'm3'], ['invalid_line']);
  special('invalid UTF-8 in a content', (id) => Buffer.concat([Buffer.from(L(id).slice(0, 2).join('\n') + '\n{"id":"m9","role":"user","content":"bad '), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(`","timestamp":1005}\n` + L(id).slice(2).join('\n') + '\n')]), ['m1', 'm2', 'm3'], ['invalid_utf8']);
  // A message line repeated byte for byte is a second first appearance: the later one wins, as readers show.
  special('duplicated message line', (id) => Buffer.from([...L(id), L(id)[1]].join('\n') + '\n'), ['m1', 'm2', 'm3'], ['duplicate_id']);
  // A change repeated byte for byte is valid (two equal checkpoints or swipes in one millisecond): kept.
  special('duplicated edit line', (id) => Buffer.from([...L(id), L(id)[3]].join('\n') + '\n'), ['m1', 'm2', 'm3'], []);
  special('reordered: edit before its message', (id) => Buffer.from([L(id)[0], L(id)[1], L(id)[3], L(id)[2], L(id)[4]].join('\n') + '\n'), ['m1', 'm2', 'm3'], ['orphan_change']);
  special('reordered messages', (id) => Buffer.from([L(id)[0], L(id)[4], L(id)[1], L(id)[2], L(id)[3]].join('\n') + '\n'), ['m1', 'm2', 'm3'], []);
  special('missing header', (id) => Buffer.from(L(id).slice(1).join('\n') + '\n'), ['m1', 'm2', 'm3'], ['missing_header']);
  special('garbage header', (id) => Buffer.from(['#!garbage{{{', ...L(id).slice(1)].join('\n') + '\n'), ['m1', 'm2', 'm3'], ['bad_header']);
  special('header of another chat', (id) => Buffer.from([L(chatIdFor(0))[0], ...L(id).slice(1)].join('\n') + '\n'), ['m1', 'm2', 'm3'], ['header_chat_id']);
  special('binary garbage only', () => Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256)), [], ['bad_header']);
  special('future version', (id) => Buffer.from([L(id)[0]!.replace('"version":1', '"version":7'), ...L(id).slice(1)].join('\n') + '\n'), ['m1', 'm2', 'm3'], ['future_version']);
  special('duplicate id, different text', (id) => Buffer.from([...L(id), JSON.stringify({ id: 'm1', role: 'user', content: 'Hello again', timestamp: 1009 })].join('\n') + '\n'), ['m2', 'm3'], ['duplicate_id']);
  special('blank lines', (id) => Buffer.from(L(id).join('\n\n') + '\n'), ['m1', 'm2', 'm3'], []);
  return cases;
}

const corpus = buildCorpus();

describe('corruption corpus', () => {
  it(`has at least 50 cases (${corpus.length})`, () => {
    expect(corpus.length).toBeGreaterThanOrEqual(50);
  });

  it('every case opens or reports clearly, keeps every intact message, quarantines damaged bytes, names the problem; repair leaves a clean file', async () => {
    const dir = tempDir();
    await mkdir(join(dir, 'chats', CHAR), { recursive: true });
    const ids = corpus.map((_, i) => chatIdFor(i + 1));
    for (const [i, c] of corpus.entries()) await writeFile(join(dir, 'chats', CHAR, `${ids[i]}.jsonl`), c.bytes);
    const store = await openChatStore({ dataDir: dir, now: () => 1_700_000_000_000 });
    try {
      for (const [i, c] of corpus.entries()) {
        const id = ids[i]!;
        const what = `${c.name} (${id})`;
        const plan = planRepair(c.bytes, { chatId: id, characterId: CHAR, now: 1 });
        // The report names the problem, with a line and byte range.
        if (c.expect.length === 0) expect(plan.report.problems.filter((p) => p.severity === 'error'), what).toEqual([]);
        else if (c.expect[0] !== ('*' as ProblemKind)) expect(plan.report.problems.map((p) => p.kind), what).toEqual(expect.arrayContaining([expect.toBeOneOf(c.expect)]));
        for (const p of plan.report.problems) {
          expect(p.line, what).toBeGreaterThanOrEqual(1);
          expect(p.end, what).toBeGreaterThanOrEqual(p.start);
          expect(p.message.length, what).toBeGreaterThan(0);
        }
        // Opening: either messages, or a clear typed error; never an empty chat standing in for a damaged one.
        const summary = await store.getChat(id);
        const loaded = await store.loadChat(id, { limit: 1000 }).catch((e: unknown) => e);
        if (loaded instanceof StoreError) {
          expect(loaded.code, what).toBe('CORRUPT');
          expect(summary.status, what).toBe('corrupt');
        } else if (loaded instanceof Error) throw loaded;
        else {
          const got = (loaded as { messages: { id: string }[] }).messages.map((m) => m.id);
          expect(got, what).toEqual(expect.arrayContaining(c.keep.filter((k) => plan.report.problems.every((p) => p.kind !== 'duplicate_id' || !p.message.includes(`id ${k} `)))));
        }
        // The store's own report agrees on ok-ness for the file as it is now (the torn tail may be cut already).
        const report = await store.validateChat(id);
        expect(report.chatId, what).toBe(id);
        if (plan.report.readOnly) {
          await expect(store.repairChat(id), what).rejects.toMatchObject({ code: 'READ_ONLY' });
          expect(await readFile(join(dir, 'chats', CHAR, `${id}.jsonl`)), what).toEqual(c.bytes);
          continue;
        }
        const result = await store.repairChat(id);
        if (result.repaired) {
          const backups = await readdir(join(dir, 'backups', id));
          expect(backups.length, what).toBeGreaterThan(0);
        }
        // Damaged bytes are in quarantine (byte ranges of every error from the original file).
        const qdir = join(dir, 'quarantine', id);
        const qfiles = await readdir(qdir).catch(() => [] as string[]);
        const qbytes = await Promise.all(qfiles.map((f) => readFile(join(qdir, f))));
        for (const p of plan.report.problems) {
          if (p.severity !== 'error' || p.end === p.start || p.kind === 'nothing_salvageable' || p.kind === 'duplicate_id') continue;
          const want = c.bytes.subarray(p.start, p.end);
          expect(qbytes.some((q) => q.equals(want)), `${what}: ${p.kind} bytes [${p.start},${p.end}) in quarantine`).toBe(true);
        }
        // After repair: loads, keeps every intact message, validates clean.
        const after = await store.loadChat(id, { limit: 1000 });
        const afterIds = after.messages.map((m) => m.id);
        const collided = plan.report.problems.filter((p) => p.kind === 'duplicate_id').map((p) => /id (\S+) /.exec(p.message)![1]);
        expect(afterIds, what).toEqual(expect.arrayContaining(c.keep.filter((k) => !collided.includes(k))));
        const clean = await store.validateChat(id);
        expect(clean.problems, what).toEqual([]);
        expect(clean.ok, what).toBe(true);
      }
    } finally {
      await store.close();
    }
  }, 120_000);
});
