// Issue 18 §6: the chat list says a chat's status in words, never the raw code `read_only`.
import { describe, expect, it } from 'vitest';
import { READ_ONLY_REASONS } from '../../shared/chat-format.ts';
import { chatStatusText } from '../../renderer/sidebar/chat-status.ts';

describe('chat status in the chat list', () => {
  it('says nothing for a healthy chat, and words for every other status and reason', () => {
    expect(chatStatusText({ status: 'ok' })).toBeNull();
    expect(chatStatusText({ status: 'corrupt' })).toBe('damaged');
    expect(chatStatusText({ status: 'read_only', readOnlyReason: 'newer_format' })).toBe('read-only: newer version');
    for (const reason of [...READ_ONLY_REASONS, undefined]) {
      const text = chatStatusText(reason ? { status: 'read_only', readOnlyReason: reason } : { status: 'read_only' })!;
      expect(text).toMatch(/^read-only/);
      expect(text).not.toMatch(/_/);
    }
  });
});
