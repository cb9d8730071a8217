// Settings through `conf` with an explicit cwd: the browser host, the CLI and tests
// (electron-store would import electron, which plain Node cannot load).
import Conf from 'conf';
import { BACKEND_OPTIONS, type OpenSettingsBackend } from './backend.ts';

export const openConfBackend: OpenSettingsBackend = ({ cwd, configName }) =>
  new Conf<Record<string, unknown>>({ cwd, configName, ...BACKEND_OPTIONS });
