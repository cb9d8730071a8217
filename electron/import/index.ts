// Public entry of the importer: foreign formats (SillyTavern, CardShark legacy, v1 files) ⇄ the store.
export { importBytes, importFileAs, importPath, type ImportOptions } from './importer.ts';
export { exportChat, exportChatText, type ExportFormat, type ExportNames } from './export.ts';
export { registerImportedCharacters } from './register.ts';
export { BASE64_PIECE_BYTES, decodeBase64Pieces, decodeBase64Sliced } from './base64.ts';
export type { ImportedChat, ImportReport, ImportProgress, LineProblem, SourceFormat } from './types.ts';
