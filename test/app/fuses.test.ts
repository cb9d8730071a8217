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
});
