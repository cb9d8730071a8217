// Stop sequences as editable text: one per line; `\n` stands for a line break inside one
// (e.g. `\nAnn:`), `\\` for a backslash. Pure, so it is unit-tested.
export function stopsToText(stops: readonly string[]): string {
  return stops.map((s) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')).join('\n');
}

export function textToStops(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\')));
}
