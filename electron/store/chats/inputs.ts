// What callers hand the store, checked before anything reaches the disk: every public call
// validates its input with the shared zod schemas first (bad input gets INVALID_INPUT), a record
// too large to load on its own is refused (TOO_LARGE), and a stale `expectedRevision` is a CONFLICT.
import { z } from 'zod';
import { LIMITS, MessageRecord, NewMessageInput, type WriteOptions } from '../../../shared/chat-format.ts';
import { StoreError } from '../../../shared/errors.ts';
import type { ChatLog } from '../log/chat-log.ts';
import { warmSafeParse } from '../warm-parse.ts';

export function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = warmSafeParse(schema, value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue?.path.length ? `${what}.${issue.path.join('.')}` : what;
  throw new StoreError('INVALID_INPUT', `${where}: ${issue?.message ?? 'invalid'}`, { field: where });
}

/** One record must stay loadable on its own: refuse anything larger before it reaches the disk. */
export function assertRecordSize(rec: object, what: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(rec));
  if (bytes > LIMITS.recordBytes) {
    throw new StoreError('TOO_LARGE', `${what} would be ${(bytes / 1048576).toFixed(1)} MiB; one message may hold at most ${LIMITS.recordBytes / 1048576} MiB with all its swipes`, { bytes, limit: LIMITS.recordBytes });
  }
}

/** Validates one new message's input, including the swipe rules zod cannot express. */
export function checkNewMessage(message: unknown, what: string): NewMessageInput {
  const input = parse(NewMessageInput, message, what);
  if (input.swipes) {
    const sel = input.swipe_id ?? input.swipes.length - 1;
    if (sel >= input.swipes.length) throw new StoreError('INVALID_INPUT', `${what}.swipe_id: out of range`, { field: `${what}.swipe_id` });
    if (input.swipes[sel] !== input.content) throw new StoreError('INVALID_INPUT', `${what}.content must equal the selected swipe`, { field: `${what}.content` });
  } else if (input.swipe_id !== undefined) {
    throw new StoreError('INVALID_INPUT', `${what}.swipe_id needs swipes`, { field: `${what}.swipe_id` });
  }
  return input;
}

const WriteOptionsSchema = z.strictObject({
  expectedRevision: z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).optional(),
  expectedMessage: MessageRecord.optional(),
});

export function parseOpts(opts: unknown): WriteOptions | undefined {
  return opts === undefined ? undefined : parse(WriteOptionsSchema, opts, 'options');
}

/** A stale `expectedRevision` is refused before anything is written. */
export function checkRevision(log: ChatLog, opts: WriteOptions | undefined): void {
  const expected = opts?.expectedRevision;
  if (expected === undefined || expected === log.revision) return;
  throw new StoreError('CONFLICT', `chat ${log.chatId} changed since revision ${expected} (it is at ${log.revision}); nothing was saved. Reload and try again`, {
    chatId: log.chatId,
    reason: 'revision',
    revision: log.revision,
    expectedRevision: expected,
  });
}
