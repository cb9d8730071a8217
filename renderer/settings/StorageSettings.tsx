// Saving and quitting settings (autosave interval, backups kept, quit timeout). The state,
// and the startup notices about the settings file, live in useSettings.ts.
import type { CardsharkApi } from '../../shared/ipc-contract.ts';
import { useStorageSettings, type StorageSettingsValues } from './useSettings.ts';

export function StorageSettings({ api }: { api: CardsharkApi }) {
  const { s, setS, save } = useStorageSettings(api);
  if (!s) return null;
  const num = (key: keyof StorageSettingsValues, label: string, min: number, max: number, hint: string) => (
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
        onSubmit={(e) => {
          e.preventDefault();
          void save();
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
