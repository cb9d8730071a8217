// zod 4 compiles an object schema's fast path (`new Function`, for it and each nested object) at
// its first parse: worth it for a schema parsed thousands of times, several milliseconds wasted
// in a fresh process that parses a few dozen records (a jump: a header, a page of messages, the
// call's options). A schema parsed through `warmParser` takes zod's own slow path, without that
// compilation, for its first uses, then the compiled one. Same schema, same checks, same result.
// A direct check (fast-parse.ts), given or known for the schema's inputs, is tried first.
import type { z } from 'zod';
import { inputCheckFor } from './fast-parse.ts';

/** Parses before the fast path is compiled: a page of messages and a little more. */
export const PARSES_BEFORE_JIT = 256;

export function warmParser<S extends z.ZodType>(schema: S, fast = inputCheckFor(schema)): (value: unknown) => z.ZodSafeParseResult<z.output<S>> {
  let uses = 0;
  const jitless = { jitless: true } as const;
  return (value) => {
    const data = fast?.(value);
    if (data !== undefined) return { success: true, data } as z.ZodSafeParseResult<z.output<S>>;
    if (uses >= PARSES_BEFORE_JIT) return schema.safeParse(value);
    uses++;
    return schema.safeParse(value, jitless);
  };
}

const parsers = new WeakMap<z.ZodType, (value: unknown) => z.ZodSafeParseResult<unknown>>();

/** `schema.safeParse(value)` through the schema's warmParser (made at its first use). */
export function warmSafeParse<S extends z.ZodType>(schema: S, value: unknown): z.ZodSafeParseResult<z.output<S>> {
  let parse = parsers.get(schema);
  if (!parse) parsers.set(schema, (parse = warmParser(schema)));
  return parse(value) as z.ZodSafeParseResult<z.output<S>>;
}
