// Wires one data dir's services (store, registry, state, settings, generation)
// behind one binding. Shared by the Electron shell and the browser host.
import type { ChatStore } from '../store/types.ts';
import { openCharacterRegistry } from '../app-data/characters.ts';
import { openAppState } from '../app-data/app-state.ts';
import { openSettings, type GenerationSettings } from '../app-data/settings.ts';
import { createGenerationManager, type Emit, type GenerationManager } from '../generation/manager.ts';
import type { Provider } from '../generation/provider.ts';
import { createBinding, type Binding, type BindingLimits } from './binding.ts';

export interface Services<S> {
  binding: Binding<S>;
  generation: GenerationManager;
  /** Stops streams (storing partial replies), then flushes and closes the store. */
  shutdown(): Promise<void>;
}

export function createServices<S>(opts: {
  store: ChatStore;
  emit: Emit;
  isTrustedSender: (sender: S) => boolean;
  settingsOverrides?: Partial<GenerationSettings>;
  provider?: Provider;
  /** Per-sender bound on calls in flight (Electron IPC); the browser host bounds per connection itself. */
  bindingLimits?: BindingLimits<S>;
}): Services<S> {
  const { store, emit } = opts;
  const dataDir = store.dataDir;
  const characters = openCharacterRegistry(dataDir);
  const appState = openAppState(dataDir);
  const settings = openSettings(dataDir, opts.settingsOverrides);
  const generation = createGenerationManager({ store, settings, emit, ...(opts.provider ? { provider: opts.provider } : {}) });
  const binding = createBinding<S>({ store, characters, appState, settings, generation, emit }, opts.isTrustedSender, opts.bindingLimits);
  let closing: Promise<void> | undefined;
  return {
    binding,
    generation,
    shutdown: () =>
      (closing ??= (async () => {
        await generation.stopAll();
        await store.close();
      })()),
  };
}

/** Reads the env/CLI knobs that tune generation (tests use a fast demo pace). */
export function settingsOverridesFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<GenerationSettings> {
  const pace = env.CARDSHARK_DEMO_PACE_MS;
  return pace !== undefined && /^\d+$/.test(pace) ? { paceMs: Number(pace) } : {};
}
