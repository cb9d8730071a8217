// Settings through electron-store in the Electron main process. electron-store imports
// electron, so only entry/main.ts may import this file (test/architecture.test.ts checks it).
// cwd is explicit: the data folder is shared with the browser host, not Electron's userData.
import ElectronStore from 'electron-store';
import { BACKEND_OPTIONS, type OpenSettingsBackend } from './backend.ts';

export const openElectronStoreBackend: OpenSettingsBackend = ({ cwd, configName }) =>
  new ElectronStore<Record<string, unknown>>({ cwd, name: configName, ...BACKEND_OPTIONS });
