// Public entry of the importer: foreign formats (SillyTavern, CardShark legacy, v1 files) ⇄ the store.
export { importPath, type ImportOptions } from './importer.ts';
export { exportChat, type ExportFormat } from './export.ts';
export type { ImportedChat, ImportReport, ImportProgress, LineProblem, SourceFormat } from './types.ts';
