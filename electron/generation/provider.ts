// What every generation backend provides: a stream of text deltas for a prompt.
export interface PromptMessage {
  role: 'user' | 'assistant' | 'system';
  content: string;
}

/** Sampler settings, sent to OpenAI-compatible endpoints (the demo ignores them). */
export interface Sampling {
  temperature: number;
  topP: number;
  maxTokens: number;
  stop: string[];
}

export interface GenerateContext {
  messages: PromptMessage[];
  /** Aborts the stream; the provider stops yielding soon after. */
  signal: AbortSignal;
  /** Which swipe this is (0 for a fresh reply), so the demo varies its text. */
  variant: number;
  /** Continuing a reply: the text it already has (the last prompt message is that reply). */
  prefix?: string;
  sampling?: Sampling;
}

export type Provider = (ctx: GenerateContext) => AsyncIterable<string>;
