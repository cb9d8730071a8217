// The settings panels' state. Generation settings: the API key is write-only (main never sends
// it back); "Test connection" asks main to make one small request to the saved endpoint.
// Saving settings: startup notices about the settings file (a damaged file kept aside, a
// migration) arrive with them and are shown once.
import { useEffect, useState } from 'react';
import type { AppSettingsOut, CardsharkApi, ConnectionTestOut, GenerationSettingsOut } from '../../shared/ipc-contract.ts';
import { pushNotice } from '../notices.ts';
import { stopsToText, textToStops } from './stop-sequences.ts';

export function useGenerationSettings(api: CardsharkApi) {
  const [s, setS] = useState<GenerationSettingsOut | null>(null);
  const [apiKey, setApiKey] = useState('');
  const [stops, setStops] = useState('');
  const [test, setTest] = useState<ConnectionTestOut | 'testing' | null>(null);
  /** A refused save names the field (e.g. an API key with a line break): shown at its input. */
  const [fieldError, setFieldError] = useState<{ field: string; message: string } | null>(null);
  useEffect(() => {
    void api.getGenerationSettings({}).then((r) => {
      if (!r.ok) return;
      setS(r.data);
      setStops(stopsToText(r.data.stopSequences));
    });
  }, [api]);

  async function save() {
    if (!s) return;
    const { hasApiKey: _h, ...rest } = s;
    const r = await api.setGenerationSettings({ ...rest, stopSequences: textToStops(stops), ...(apiKey ? { apiKey } : {}) });
    if (r.ok) {
      setS(r.data);
      setStops(stopsToText(r.data.stopSequences));
      setApiKey('');
      setTest(null);
      setFieldError(null);
      pushNotice({ level: 'info', message: 'Settings saved' });
    } else {
      const field = r.error.details?.field;
      setFieldError(typeof field === 'string' ? { field, message: r.error.message.replace(/^setGenerationSettings: /, '') } : null);
      pushNotice({ level: 'error', code: r.error.code, message: r.error.message });
    }
  }

  async function testConnection() {
    setTest('testing');
    const r = await api.testConnection({});
    setTest(r.ok ? r.data : { ok: false, message: `[${r.error.code}] ${r.error.message}` });
  }

  return { s, setS, apiKey, setApiKey, stops, setStops, test, save, testConnection, fieldError };
}

export type StorageSettingsValues = Omit<AppSettingsOut, 'notices'>;

export function useStorageSettings(api: CardsharkApi) {
  const [s, setS] = useState<StorageSettingsValues | null>(null);
  useEffect(() => {
    void api.getAppSettings({}).then((r) => {
      if (!r.ok) return;
      const { notices, ...rest } = r.data;
      setS(rest);
      for (const message of notices) pushNotice({ level: 'warning', code: 'SETTINGS', message });
    });
  }, [api]);

  async function save() {
    if (!s) return;
    const r = await api.setAppSettings(s);
    if (r.ok) {
      const { notices: _n, ...rest } = r.data;
      setS(rest);
      pushNotice({ level: 'info', message: 'Autosave and backup choices stored' });
    } else pushNotice({ level: 'error', code: r.error.code, message: r.error.message });
  }

  return { s, setS, save };
}
