// Generation settings. The API key is write-only: main never sends it back.
import { useEffect, useState } from 'react';
import type { CardsharkApi, GenerationSettingsOut } from '../../shared/ipc-contract.ts';
import { pushNotice } from '../notices.ts';

export function Settings({ api }: { api: CardsharkApi }) {
  const [s, setS] = useState<GenerationSettingsOut | null>(null);
  const [apiKey, setApiKey] = useState('');
  useEffect(() => {
    void api.getGenerationSettings({}).then((r) => r.ok && setS(r.data));
  }, [api]);
  if (!s) return null;
  return (
    <details className="panel settings">
      <summary>Generation settings</summary>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await api.setGenerationSettings({ provider: s.provider, baseUrl: s.baseUrl, model: s.model, paceMs: s.paceMs, ...(apiKey ? { apiKey } : {}) });
          if (r.ok) {
            setS(r.data);
            setApiKey('');
            pushNotice({ level: 'info', message: 'Settings saved' });
          } else pushNotice({ level: 'error', code: r.error.code, message: r.error.message });
        }}
      >
        <label>
          Provider
          <select value={s.provider} onChange={(e) => setS({ ...s, provider: e.target.value as GenerationSettingsOut['provider'] })}>
            <option value="demo">Demo (offline)</option>
            <option value="openai">OpenAI-compatible</option>
          </select>
        </label>
        {s.provider === 'openai' ? (
          <>
            <label>
              Base URL
              <input value={s.baseUrl} onChange={(e) => setS({ ...s, baseUrl: e.target.value })} />
            </label>
            <label>
              Model
              <input value={s.model} onChange={(e) => setS({ ...s, model: e.target.value })} />
            </label>
            <label>
              API key {s.hasApiKey ? '(set)' : '(none)'}
              <input type="password" value={apiKey} onChange={(e) => setApiKey(e.target.value)} autoComplete="off" />
            </label>
          </>
        ) : (
          <label>
            Pace (ms per word)
            <input type="number" min={0} max={10000} value={s.paceMs} onChange={(e) => setS({ ...s, paceMs: Number(e.target.value) })} />
          </label>
        )}
        <button type="submit">Save settings</button>
      </form>
    </details>
  );
}
