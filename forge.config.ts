// Electron Forge with the Vite plugin: main + preload from electron/, the UI from renderer/.
// Fuses (fuses.config.ts) are applied when packaging only; see the trade-off noted there.
import type { ForgeConfig } from '@electron-forge/shared-types';
import { VitePlugin } from '@electron-forge/plugin-vite';
import { FusesPlugin } from '@electron-forge/plugin-fuses';
import { FUSES } from './fuses.config.ts';

const config: ForgeConfig = {
  packagerConfig: { asar: true, name: 'CardShark' },
  rebuildConfig: {},
  makers: [],
  plugins: [
    new VitePlugin({
      build: [
        { entry: 'electron/entry/main.ts', config: 'vite.main.config.ts', target: 'main' },
        // The card worker (worker_threads) beside main.cjs, as card-worker.cjs (electron/cards/card-reader.ts).
        { entry: 'electron/cards/card-worker.ts', config: 'vite.main.config.ts', target: 'main' },
        { entry: 'electron/entry/preload.ts', config: 'vite.preload.config.ts', target: 'preload' },
      ],
      renderer: [{ name: 'main_window', config: 'vite.renderer.config.ts' }],
    }),
    new FusesPlugin(FUSES),
  ],
};

export default config;
