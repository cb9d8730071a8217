// Issue 15, item 9: what the notice over a damaged or read-only chat says, and whether it offers
// Repair, from the load result and main's validation of the real bytes (planRepair).
import { describe, expect, it } from 'vitest';
import type { ChatPage } from '../../shared/chat-format.ts';
import type { CardsharkApi } from '../../shared/ipc-contract.ts';
import { planRepair } from '../../electron/store/validate.ts';
import { blocksSending, healthHeadline } from '../../renderer/recovery/ChatHealth.tsx';
import { healthOf } from '../../renderer/recovery/health.ts';

const chatId = '0b6e1f7e-8b7a-4c1e-9f3e-1a2b3c4d5e6f';
const header = (version = 1) => JSON.stringify({ format: 'cardshark-chat', version, chat_id: chatId, character_id: 'alice', timestamp: 1, title: 'Harbour', metadata: {} });
const msg = (id: string) => JSON.stringify({ id, role: 'user', content: `text of ${id}`, timestamp: 2 });

/** An api whose validateChat validates `bytes` as main does. */
function apiFor(bytes: string): CardsharkApi {
  const report = planRepair(Buffer.from(bytes), { chatId, characterId: 'alice', now: 3 }).report;
  return { validateChat: async () => ({ ok: true, data: report }) } as unknown as CardsharkApi;
}

function page(p: Partial<ChatPage>): { ok: true; data: ChatPage } {
  return { ok: true, data: { header: JSON.parse(header()), messages: [], hasMore: false, readOnly: false, warnings: [], revision: 1, ...p } };
}

describe('the notice over a damaged chat', () => {
  it('a garbage line and an incomplete last line by another program: both named, not "a newer version", Repair offered, actions blocked', async () => {
    const bytes = `${header()}\n${msg('a')}\ngarbage\n${msg('b')}\n${msg('c').slice(0, 20)}`;
    const h = (await healthOf(apiFor(bytes), chatId, page({ readOnly: true, readOnlyReason: 'incomplete_last_line', warnings: [{ kind: 'torn_tail', message: 'cut' }] }), 'read_only'))!;
    expect(h.readOnly).toBe('incomplete_last_line');
    const text = healthHeadline(h);
    expect(text).toContain('a damaged line at line 3');
    expect(text).toContain('incomplete last line written by another program');
    expect(text).not.toContain('newer version');
    expect(h.report!.repairable).toBe(true);
    expect(blocksSending(h)).toBe(true);
  });

  it('"a newer version" only when the header says so, even if the page claims another reason', async () => {
    const newer = `${header(2)}\n${msg('a')}\n`;
    const h = (await healthOf(apiFor(newer), chatId, page({ readOnly: true, readOnlyReason: 'incomplete_last_line' }), 'read_only'))!;
    expect(h.readOnly).toBe('newer_format');
    expect(healthHeadline(h)).toContain('newer version');
    // And a read-only page whose file is a current version with a torn line is never called newer.
    const torn = `${header()}\n${msg('a')}\n${msg('b').slice(0, 9)}`;
    const t = (await healthOf(apiFor(torn), chatId, page({ readOnly: true, readOnlyReason: 'newer_format' }), 'read_only'))!;
    expect(t.readOnly).toBe('incomplete_last_line');
    expect(healthHeadline(t)).not.toContain('newer version');
  });

  it('a healthy chat has no notice and blocks nothing', async () => {
    const ok = `${header()}\n${msg('a')}\n`;
    const h = await healthOf(apiFor(ok), chatId, page({}), 'ok');
    expect(h).toBeNull();
    expect(blocksSending(h)).toBe(false);
  });
});
