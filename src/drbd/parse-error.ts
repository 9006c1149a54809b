/** A located parse failure: which line (1-based) of the input, what was there, and why it was refused. */
export interface DrbdParseError {
  readonly line: number;
  readonly text: string;
  readonly message: string;
}

/** Pure. Builds a parse error; `text` is cut to 200 characters so huge garbage lines stay loggable. */
export function parseError(line: number, text: string, message: string): DrbdParseError {
  return { line, text: text.length > 200 ? `${text.slice(0, 200)}...` : text, message };
}

/** Pure. `line N: message ("text")`, the form `inspect` and the logs print. */
export function formatParseError(e: DrbdParseError): string {
  return `line ${e.line}: ${e.message} (${JSON.stringify(e.text)})`;
}
