// Generation settings: provider, endpoint, persona, prompt, samplers and context budget.
// The API key is write-only: main never sends it back. "Test connection" shows what main
// reports (never a raw body). The state lives in useSettings.ts.
import type { CardsharkApi, GenerationSettingsOut } from '../../shared/ipc-contract.ts';
import { useGenerationSettings } from './useSettings.ts';

export function GenerationSettings({ api }: { api: CardsharkApi }) {
  const { s, setS, apiKey, setApiKey, stops, setStops, test, save, testConnection, fieldError } = useGenerationSettings(api);
  if (!s) return null;
  const errorAt = (field: string) =>
    fieldError?.field === field ? (
      <small className="field-error" role="alert" data-testid={`field-error-${field}`}>
        {fieldError.message}
      </small>
    ) : null;
  /** Timeouts are stored in ms and shown in seconds. */
  const seconds = (key: 'connectTimeoutMs' | 'idleTimeoutMs', label: string, hint: string) => (
    <label>
      {label}
      <input type="number" min={1} max={600} step={1} value={s[key] / 1000} onChange={(e) => setS({ ...s, [key]: Math.round(Number(e.target.value) * 1000) })} />
      <small>{hint}</small>
      {errorAt(key)}
    </label>
  );
  const num = (key: 'temperature' | 'topP' | 'maxTokens' | 'contextTokens', label: string, min: number, max: number, step: number) => (
    <label>
      {label}
      <input type="number" min={min} max={max} step={step} value={s[key]} onChange={(e) => setS({ ...s, [key]: Number(e.target.value) })} />
    </label>
  );
  return (
    <details className="panel settings">
      <summary>Generation settings</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
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
              {errorAt('apiKey')}
            </label>
            {seconds('connectTimeoutMs', 'Connect timeout (s)', 'a reply that has not started by then ends with an error')}
            {seconds('idleTimeoutMs', 'Idle timeout (s)', 'a reply that stalls this long ends with an error; its text so far is kept')}
          </>
        ) : (
          <label>
            Pace (ms per word)
            <input type="number" min={0} max={10000} value={s.paceMs} onChange={(e) => setS({ ...s, paceMs: Number(e.target.value) })} />
          </label>
        )}
        <fieldset>
          <legend>Persona (while no persona is made in Personas)</legend>
          <label>
            Your name
            <input value={s.personaName} maxLength={100} onChange={(e) => setS({ ...s, personaName: e.target.value })} />
          </label>
          <label>
            Your description
            <textarea value={s.personaDescription} rows={3} onChange={(e) => setS({ ...s, personaDescription: e.target.value })} />
          </label>
        </fieldset>
        <fieldset>
          <legend>Prompt and samplers</legend>
          <label>
            Main prompt
            <textarea value={s.mainPrompt} rows={3} onChange={(e) => setS({ ...s, mainPrompt: e.target.value })} />
            <small>used when a card has no system prompt; a card&apos;s may include it as {'{{original}}'}</small>
          </label>
          {num('contextTokens', 'Context size (tokens)', 512, 1_048_576, 1)}
          {num('maxTokens', 'Max reply tokens', 1, 32_768, 1)}
          {num('temperature', 'Temperature', 0, 5, 0.05)}
          {num('topP', 'Top-p', 0, 1, 0.01)}
          <label>
            Stop sequences
            <textarea value={stops} rows={2} onChange={(e) => setStops(e.target.value)} />
            <small>one per line; \n for a line break</small>
          </label>
        </fieldset>
        <button type="submit">Save settings</button>
        <button
          type="button"
          disabled={test === 'testing'}
          onClick={() => void testConnection()}
        >
          Test connection
        </button>
        {test && (
          <output data-testid="connection-result" data-ok={test === 'testing' ? undefined : String(test.ok)}>
            {test === 'testing' ? 'Testing the saved settings…' : `${test.ok ? 'OK' : 'Failed'}: ${test.message}`}
          </output>
        )}
      </form>
    </details>
  );
}
