/**
 * A located configuration problem (an error or a warning): where it is in the YAML file and what is
 * wrong, in words an operator can act on.
 */
export interface ConfigProblem {
  /** The configuration file as given on the command line. */
  readonly file: string;
  /** 1-based line of the offending YAML node (of its parent when the key is missing). */
  readonly line: number;
  /** 1-based column. */
  readonly col: number;
  /**
   * The key path as written in the file: `heartbeat.deadtime`, `nodes[1].addresses[0]`; for problems
   * that belong to no key: `(file)` (cannot read), `(yaml)` (syntax), `(root)` (top level).
   */
  readonly path: string;
  readonly message: string;
}

/** Formats a problem as `FILE:LINE:COL: key.path: message` (the check-config line format). Pure. */
export function formatProblem(p: ConfigProblem, prefix = ''): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path}: ${prefix}${p.message}`;
}

/** Orders problems by position, then by path, so output is stable and reads top to bottom. Pure. */
export function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort(
    (a, b) =>
      a.line - b.line || a.col - b.col || a.path.localeCompare(b.path) || a.message.localeCompare(b.message),
  );
}

/** A key path inside the document: object keys and array indexes, as zod reports them. */
export type KeyPath = readonly (string | number)[];

/** Renders a key path the way an operator reads it: `resources[0].mount.point`. Pure. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? '(root)' : out;
}
