// Electron fuses for packaged builds (issue 6 §9). Forge's fuses plugin flips them in the
// packaged binary only (its packageAfterCopy hook): `npm start` / `electron .` and the
// Playwright `_electron` spec run an unpackaged, unfused Electron, which is why turning
// EnableNodeCliInspectArguments off here does not hang that spec. The trade-off: the packaged
// app cannot be driven by Playwright's `_electron` (it needs --inspect); test it unpackaged.
import { FuseV1Options, FuseVersion, type FuseConfig } from '@electron/fuses';

export const FUSES: FuseConfig = {
  version: FuseVersion.V1,
  [FuseV1Options.RunAsNode]: false, // ELECTRON_RUN_AS_NODE would turn the app into a bare node
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false, // the renderer is served from app://, not file://
};
