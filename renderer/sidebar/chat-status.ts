// A chat's status in the chat list, in words (the summary's status is a code: ok, corrupt, read_only).
import type { ChatSummary } from '../../shared/chat-format.ts';

export function chatStatusText(c: Pick<ChatSummary, 'status' | 'readOnlyReason'>): string | null {
  if (c.status === 'ok') return null;
  if (c.status === 'corrupt') return 'damaged';
  if (c.readOnlyReason === 'newer_format') return 'read-only: newer version';
  if (c.readOnlyReason === 'incomplete_last_line') return 'read-only: being written elsewhere';
  return 'read-only';
}
