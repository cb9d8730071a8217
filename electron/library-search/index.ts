// Public entry of the library search (search across every chat). It sits above the store: it may
// import the store, never the other way round. It loads node:sqlite (Node 24, Electron's Node).
export { openLibrarySearch, type LibrarySearch, type LibrarySearchOptions } from './library-search.ts';
export type { LibrarySearchResult, LibraryChatResult, LibraryHit, MarkedText, Highlight, LibrarySearchLimits } from './library-query.ts';
export { DEFAULT_LIMITS } from './library-query.ts';
export { librarySearchFile } from './location.ts';
export { parseQuery, toMatchExpression, MAX_QUERY_CHARS } from './query.ts';
export { createRequestGate, type RequestGate } from './request-gate.ts';
