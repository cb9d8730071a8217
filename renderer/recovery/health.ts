// What the UI knows about an open chat's health, from its load result and, when anything looks
// wrong, a full validation by main.
import type { ChatPage } from '../../shared/chat-format.ts';
import type { CardsharkApi, Result } from '../../shared/ipc-contract.ts';
import type { ChatHealth } from './ChatHealth.tsx';

export async function healthOf(api: CardsharkApi, chatId: string, load: Result<ChatPage>, status: string | undefined): Promise<ChatHealth | null> {
  const page = load.ok ? load.data : null;
  const warned = Boolean(page && page.warnings.length);
  if (page && !page.readOnly && !warned && (status === undefined || status === 'ok')) return null;
  const v = await api.validateChat({ chatId });
  const report = v.ok ? v.data : undefined;
  const health: ChatHealth = {
    readOnly: readOnlyReasonOf(page, report),
    quarantined: page ? page.warnings.flatMap((w) => (w.quarantinePath ? [w.quarantinePath] : [])) : [],
    warnings: page ? page.warnings.map((w) => w.message) : [],
  };
  if (!load.ok) health.error = load.error;
  else if (!v.ok) health.error = v.error;
  if (report) health.report = report;
  // A torn tail cut at open leaves a clean file: nothing to show but the note of what was set aside.
  if (!health.error && !health.readOnly && report?.ok && !warned) return null;
  return health;
}

/**
 * Why the chat is read-only, if it is. "Newer format" only when the header really says so: the
 * validation of the file as it is now decides, else the reason the store gave with the page.
 */
function readOnlyReasonOf(page: ChatPage | null, report: ChatHealth['report']): ChatHealth['readOnly'] {
  if (report?.readOnly) return 'newer_format';
  if (!page?.readOnly) return undefined;
  if (report) return report.problems.some((p) => p.kind === 'torn_tail') ? 'incomplete_last_line' : undefined;
  return page.readOnlyReason;
}
