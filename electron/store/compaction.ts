// Full, forward read of a chat file into its live state, and the compacted text of that state.
// Used to compact a chat (drop superseded lines) and by tests to check a file independently of
// the lazy index.
import type { HeaderRecord, Message } from '../../shared/chat-format.ts';
import { applyOp, parseHeader, parseRecord, serialize, toMessage } from './records.ts';
import { runAtOnce, type Steps } from './time-slices.ts';

export interface FullState {
  header: HeaderRecord;
  messages: Message[];
  /** Ids deleted for good, with the time of deletion: compaction keeps their tombstones. */
  deleted: Map<string, number>;
  /** Lines that failed validation; they must be quarantined before any rewrite drops them. */
  invalid: { offset: number; bytes: Buffer; reason: string }[];
  records: number;
}

export function readFullState(buf: Buffer): FullState | { error: string } {
  return runAtOnce(fullStateSteps(buf));
}

/** readFullState as steps, one per line: an import of a big file runs it in slices (runSliced). */
export function* fullStateSteps(buf: Buffer): Steps<FullState | { error: string }> {
  let nl = buf.indexOf(0x0a);
  const headerEnd = nl === -1 ? buf.length : nl;
  const parsed = parseHeader(buf.toString('utf8', 0, headerEnd).replace(/\r$/, ''));
  if (!parsed.ok) return { error: parsed.reason };
  const header: HeaderRecord = { ...parsed.header, metadata: { ...parsed.header.metadata } };
  const byId = new Map<string, Message>();
  const deleted = new Map<string, number>();
  const invalid: FullState['invalid'] = [];
  let records = 0;
  let newest = header.updated ?? 0;
  let off = headerEnd + 1;
  while (off < buf.length) {
    nl = buf.indexOf(0x0a, off);
    const end = nl === -1 ? buf.length : nl;
    const bytes = buf.subarray(off, end);
    const text = bytes.toString('utf8').replace(/\r$/, '');
    if (text.length > 0) {
      records++;
      const rec = parseRecord(text);
      if (rec.kind !== 'invalid') newest = Math.max(newest, rec.rec.timestamp);
      if (rec.kind === 'message') {
        // A second first appearance (a hand-merged file) replaces the message and takes its place.
        byId.delete(rec.rec.id);
        if (!deleted.has(rec.rec.id)) byId.set(rec.rec.id, toMessage(rec.rec));
      } else if (rec.kind === 'op') {
        const msg = byId.get(rec.rec.id);
        // A delete is final wherever it stands; a change before any first appearance is an orphan.
        if (rec.rec.op === 'delete') {
          byId.delete(rec.rec.id);
          deleted.set(rec.rec.id, rec.rec.timestamp);
        } else if (msg) applyOp(msg, rec.rec);
      } else if (rec.kind === 'meta') {
        if (rec.rec.title !== undefined) header.title = rec.rec.title;
        if (rec.rec.metadata) Object.assign(header.metadata, rec.rec.metadata);
      } else {
        invalid.push({ offset: off, bytes: Buffer.from(bytes), reason: rec.reason });
      }
    }
    off = end + 1;
    yield;
  }
  // The time of the newest change survives compaction in the header (the chat list sorts by it).
  if (newest > header.timestamp) header.updated = newest;
  return { header, messages: [...byId.values()], deleted, invalid, records };
}

/** Header, one line per live message, then one tombstone per deleted id (ids are never reused). */
export function compactedText(state: FullState, revision?: number): string {
  const tombstones = [...state.deleted].map(([id, timestamp]) => serialize({ op: 'delete', id, timestamp }));
  const body = state.messages.map(serialize).join('') + tombstones.join('');
  // The revision survives the rewrite: revision_base + the body's bytes = the revision given.
  const header = revision === undefined ? state.header : { ...state.header, revision_base: revision - Buffer.byteLength(body) };
  return serialize(header) + body;
}
