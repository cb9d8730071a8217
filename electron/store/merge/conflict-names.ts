// The names sync tools give a conflict copy of a chat file `<uuid>.jsonl` (docs/DESIGN.md): such a
// file is merged into the chat `<uuid>`, never imported as a chat of its own.
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';
const CONFLICT_NAMES = [
  // Syncthing: <base>.sync-conflict-YYYYMMDD-HHMMSS-<device>.<ext>
  new RegExp(`^(${UUID})\\.sync-conflict-\\d{8}-\\d{6}-[A-Za-z0-9]+\\.jsonl$`),
  // Dropbox "(<who>'s conflicted copy YYYY-MM-DD)", "(… conflicted copy …)"; Nextcloud "(conflicted copy YYYY-MM-DD HHMMSS)"
  new RegExp(`^(${UUID}) \\([^()]*conflicted copy[^()]*\\)\\.jsonl$`, 'i'),
  // OneDrive: <base>-<COMPUTERNAME>.<ext>
  new RegExp(`^(${UUID})-[A-Za-z0-9][A-Za-z0-9_-]{0,62}\\.jsonl$`),
];

/** The chat id a sync tool's conflict copy belongs to, or null when the name is no such copy. */
export function conflictCopyOf(name: string): string | null {
  for (const re of CONFLICT_NAMES) {
    const m = re.exec(name);
    if (m) return m[1]!;
  }
  return null;
}
