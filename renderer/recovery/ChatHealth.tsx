// The notice over a damaged or read-only chat: what is actually wrong (a damaged line, an
// incomplete last line another program wrote, a newer format), what is readable, where the
// quarantined bytes are; Repair and Restore. Sending and the message actions are disabled by the
// caller while it blocks.
import type { ReadOnlyReason } from '../../shared/chat-format.ts';
import type { ErrorInfo } from '../../shared/errors.ts';
import type { ValidationReportOut } from '../../shared/ipc-contract.ts';

export interface ChatHealth {
  /** The chat could not be loaded (CORRUPT, IO_ERROR): nothing is shown as its content. */
  error?: ErrorInfo;
  /** Why the chat is read-only, when it is (a newer format is never repaired; a torn line is). */
  readOnly?: ReadOnlyReason | undefined;
  report?: ValidationReportOut;
  /** Quarantine files reported by the load (relative to the data folder). */
  quarantined: string[];
  warnings: string[];
}

/** Whether the chat must not take new messages or changes until it is repaired or readable again. */
export function blocksSending(h: ChatHealth | null): boolean {
  return Boolean(h && (h.error || h.readOnly || (h.report && !h.report.ok)));
}

const lineList = (ns: number[]) => (ns.length > 3 ? `${ns.slice(0, 3).join(', ')} and ${ns.length - 3} more` : ns.join(', '));

/** One sentence naming what is wrong, from the error, the read-only reason and the validation report. */
export function healthHeadline(health: ChatHealth): string {
  const e = health.error;
  if (e) {
    return e.code === 'IO_ERROR' || e.code === 'DISK_FULL'
      ? `This chat cannot be read right now (${e.message}). It is kept as it is, read-only, and is not shown as empty.`
      : `This chat cannot be read: ${e.message}`;
  }
  if (health.readOnly === 'newer_format') return 'This chat was saved by a newer version of CardShark. It is open read-only and will not be changed.';
  const errors = health.report?.problems.filter((p) => p.severity === 'error') ?? [];
  const bad = errors.filter((p) => p.kind === 'invalid_line').map((p) => p.line);
  const torn = errors.some((p) => p.kind === 'torn_tail') || health.readOnly === 'incomplete_last_line';
  const others = errors.filter((p) => p.kind !== 'invalid_line' && p.kind !== 'torn_tail').length;
  const parts: string[] = [];
  if (bad.length) parts.push(bad.length === 1 ? `a damaged line at line ${bad[0]}` : `damaged lines at lines ${lineList(bad)}`);
  if (torn) {
    parts.push(
      health.readOnly === 'incomplete_last_line'
        ? 'an incomplete last line written by another program (it may still be writing it), so the chat is read-only until that line is complete or the chat is repaired'
        : 'an incomplete last line',
    );
  }
  if (others) parts.push(`${others} other problem(s)`);
  if (parts.length) return `This chat file is damaged: ${parts.join('; ')}.`;
  return 'Some damaged lines of this chat were set aside.';
}

export function ChatHealthNotice({ health, busy, onRepair, onRestore }: { health: ChatHealth; busy: boolean; onRepair: () => void; onRestore: () => void }) {
  const r = health.report;
  const errors = r?.problems.filter((p) => p.severity === 'error') ?? [];
  const what = healthHeadline(health);
  const blocked = blocksSending(health);
  // A newer format is never rewritten; anything else the validation can fix is repaired at once.
  const repairable = health.readOnly !== 'newer_format' && (r ? r.repairable : Boolean(health.error && health.error.code === 'CORRUPT'));
  return (
    <div className="chat-health" role="alert" data-testid="chat-health">
      <strong>{what}</strong>
      {r && <div data-testid="chat-health-saved">{`Readable now: ${r.messageCount} message(s) in ${r.lines} line(s).`}</div>}
      {errors.length > 0 && (
        <ul className="chat-health-problems">
          {errors.slice(0, 8).map((p) => (
            <li key={`${p.kind}:${p.line}:${p.start}`}>{`Line ${p.line} (bytes ${p.start}–${p.end}): ${p.message}. Repair: ${p.repair}.`}</li>
          ))}
          {errors.length > 8 && <li>{`…and ${errors.length - 8} more`}</li>}
        </ul>
      )}
      {health.warnings.map((w, i) => (
        <div key={i} className="chat-health-warning">
          {w}
        </div>
      ))}
      {health.quarantined.length > 0 && (
        <div data-testid="chat-health-quarantine">
          {'The unreadable bytes are kept in your data folder: '}
          {health.quarantined.map((q) => (
            <code key={q}>{q} </code>
          ))}
        </div>
      )}
      {blocked && <div>Sending, editing and regenerating are disabled for this chat until it is repaired or restored.</div>}
      <div className="chat-health-actions">
        {repairable && (
          <button type="button" disabled={busy} onClick={onRepair}>
            Repair
          </button>
        )}
        <button type="button" disabled={busy} onClick={onRestore}>
          Restore…
        </button>
      </div>
    </div>
  );
}
