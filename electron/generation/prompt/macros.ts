// `{{char}}` and `{{user}}` (any case, inner spaces allowed), their legacy forms `<BOT>`,
// `<CHAR>` and `<USER>`, and `{{original}}` where the V2 spec gives it a meaning (a card's
// system prompt and post-history instructions). One pass: a replacement is never expanded again,
// so a name holding `{{user}}` stays literal. Other `{{…}}` macros are left as they are.
export interface MacroValues {
  char: string;
  user: string;
  /** Only in the fields that may contain it; elsewhere `{{original}}` stays as written. */
  original?: string;
}

const MACRO = /\{\{\s*(char|user|original)\s*\}\}|<(BOT|CHAR|USER)>/gi;

export function replaceMacros(text: string, v: MacroValues): string {
  return text.replace(MACRO, (whole, curly: string | undefined, legacy: string | undefined) => {
    const name = (curly ?? legacy ?? '').toLowerCase();
    if (name === 'user') return v.user;
    if (name === 'char' || name === 'bot') return v.char;
    return v.original ?? whole;
  });
}
