// Recovery over IPC (issue 9): validation reports, backups, repairs and the trash. Re-exported by ipc-contract.ts.
import { z } from 'zod';

export const ProblemOut = z.object({
  kind: z.string(),
  severity: z.enum(['error', 'notice']),
  line: z.number(),
  start: z.number(),
  end: z.number(),
  message: z.string(),
  repair: z.string(),
});
export const ValidationReportOut = z.object({
  chatId: z.string(),
  characterId: z.string(),
  ok: z.boolean(),
  readOnly: z.boolean(),
  bytes: z.number(),
  lines: z.number(),
  messageCount: z.number(),
  problems: z.array(ProblemOut),
  repairable: z.boolean(),
  plan: z.array(z.string()),
});
export type ValidationReportOut = z.infer<typeof ValidationReportOut>;
export const BackupOut = z.object({ backupId: z.string(), takenAt: z.number(), sizeBytes: z.number(), messageCount: z.number().nullable(), label: z.string().nullable().optional() });
export type BackupOut = z.infer<typeof BackupOut>;
export const RepairResultOut = z.object({
  before: ValidationReportOut,
  repaired: z.boolean(),
  backupId: z.string().nullable(),
  quarantined: z.array(z.string()),
  backups: z.array(BackupOut),
});
export type RepairResultOut = z.infer<typeof RepairResultOut>;
export const TrashedChatOut = z.object({
  /** This trashed copy (one chat id can be in the trash more than once): `undeleteChat` takes it. */
  trashId: z.string(),
  chatId: z.string(),
  characterId: z.string(),
  deletedAt: z.number(),
  sizeBytes: z.number(),
  title: z.string().nullable(),
  messageCount: z.number().nullable(),
});
export type TrashedChatOut = z.infer<typeof TrashedChatOut>;
export const BackupId = z.string().regex(/^\d{13}-\d{4}$/, 'backup id must be <ms>-<seq>');
/** One trashed copy of a chat (TrashedChatOut.trashId). */
export const ChatTrashId = z.string().max(300).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*\/[0-9a-f-]{36}\.\d+$/, 'trash id must be <characterId>/<chatId>.<ms>').refine((s) => !s.includes('..'), 'bad trash id');
