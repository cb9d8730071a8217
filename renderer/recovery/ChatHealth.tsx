// The notice over a damaged or read-only chat: what happened, what was saved, where the
// quarantined bytes are; Repair and Restore. Sending is disabled by the caller while it shows.
import type { ErrorInfo } from '../../shared/errors.ts';
import type { ValidationReportOut } from '../../shared/ipc-contract.ts';

export interface ChatHealth {
  /** The chat could not be loaded (CORRUPT, IO_ERROR): nothing is shown as its content. */
  error?: ErrorInfo;
  /** Newer format version. */
  readOnly: boolean;
  report?: ValidationReportOut;
  /** Quarantine files reported by the load (relative to the data folder). */
  quarantined: string[];
  warnings: string[];
}

/** Whether the chat must not take new messages until it is repaired or readable again. */
export function blocksSending(h: ChatHealth | null): boolean {
  return Boolean(h && (h.error || h.readOnly || (h.report && !h.report.ok)));
}

export function ChatHealthNotice({ health, busy, onRepair, onRestore }: { health: ChatHealth; busy: boolean; onRepair: () => void; onRestore: () => void }) {
  const r = health.report;
  const errors = r?.problems.filter((p) => p.severity === 'error') ?? [];
  const what = health.error
    ? health.error.code === 'IO_ERROR' || health.error.code === 'DISK_FULL'
      ? `This chat cannot be read right now (${health.error.message}). It is kept as it is, read-only, and is not shown as empty.`
      : `This chat cannot be read: ${health.error.message}`
    : health.readOnly
      ? 'This chat was saved by a newer version of CardShark. It is open read-only and will not be changed.'
      : errors.length
        ? `This chat file is damaged: ${errors.length} problem(s) were found.`
        : 'Some damaged lines of this chat were set aside.';
  const blocked = blocksSending(health);
  const repairable = !health.readOnly && (r ? r.repairable : Boolean(health.error && health.error.code === 'CORRUPT'));
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
      {blocked && <div>Sending is disabled for this chat until it is repaired or restored.</div>}
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
