// Saving and quitting settings. Startup notices about the settings file (a damaged file
// kept aside, a migration) arrive with them and are shown once.
import { useEffect, useState } from 'react';
import type { AppSettingsOut, CardsharkApi } from '../../shared/ipc-contract.ts';
import { pushNotice } from '../notices.ts';

type Editable = Omit<AppSettingsOut, 'notices'>;

export function StorageSettings({ api }: { api: CardsharkApi }) {
  const [s, setS] = useState<Editable | null>(null);
  useEffect(() => {
    void api.getAppSettings({}).then((r) => {
      if (!r.ok) return;
      const { notices, ...rest } = r.data;
      setS(rest);
      for (const message of notices) pushNotice({ level: 'warning', code: 'SETTINGS', message });
    });
  }, [api]);
  if (!s) return null;
  const num = (key: keyof Editable, label: string, min: number, max: number, hint: string) => (
    <label>
      {label}
      <input type="number" min={min} max={max} value={s[key]} onChange={(e) => setS({ ...s, [key]: Number(e.target.value) })} aria-describedby={`${key}-hint`} />
      <small id={`${key}-hint`}>{hint}</small>
    </label>
  );
  return (
    <details className="panel settings">
      <summary>Saving settings</summary>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await api.setAppSettings(s);
          if (r.ok) {
            const { notices: _n, ...rest } = r.data;
            setS(rest);
            pushNotice({ level: 'info', message: 'Autosave and backup choices stored' });
          } else pushNotice({ level: 'error', code: r.error.code, message: r.error.message });
        }}
      >
        {num('autosaveIntervalMs', 'Autosave interval (ms)', 100, 60_000, '100–60,000 ms')}
        {num('backupRetention', 'Backups kept per chat', 1, 100, 'applies from the next start')}
        {num('quitFlushTimeoutMs', 'Quit save timeout (ms)', 1_000, 120_000, 'how long quitting waits for saves')}
        <button type="submit">Save saving settings</button>
      </form>
    </details>
  );
}
