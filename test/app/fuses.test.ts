// Issue 6 §9: the fuses the packaged app is built with (applied by Forge when packaging).
import { FuseV1Options } from '@electron/fuses';
import { describe, expect, it } from 'vitest';
import { FUSES } from '../../fuses.config.ts';

describe('Electron fuses', () => {
  it('turn off node entry points and file:// privileges, turn on cookie encryption and asar checks', () => {
    expect(FUSES).toMatchObject({
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
    });
  });

  it('are what the Forge config packages with', async () => {
    const forge = (await import('../../forge.config.ts')).default;
    const fuses = forge.plugins?.find((p) => (p as { name?: string }).name === 'fuses') as { fusesConfig?: unknown } | undefined;
    expect(fuses, 'the fuses plugin is registered').toBeDefined();
    expect(fuses!.fusesConfig).toEqual(FUSES);
  });
});
