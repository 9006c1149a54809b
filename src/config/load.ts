import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { err, ok, type Result } from '../common/result.js';
import { knownKeysAt } from './json-schema.js';
import { makeLocator, valueAt, type Locator } from './locate.js';
import { MAX_CONFIG_BYTES, readRegularFile } from './read-file.js';
import { formatKeyPath, sortProblems, type ConfigProblem, type KeyPath } from './problem.js';
import { crossSectionFindings } from './rules.js';
import { DEFAULT_SECRET_FILE, SentinelConfigSchema, type SentinelConfig } from './schema.js';
import { checkSecretFile } from './secret-file.js';
import { closestMatch, didYouMean } from './suggest.js';
import { configWarnings } from './warnings.js';

/** Where a loaded configuration came from, to locate later findings (e.g. this host is no node). */
export interface ConfigSource {
  readonly file: string;
  /** Position of a key path (file key names: `['heartbeat', 'deadtime']`) in the file. */
  readonly locate: Locator;
}

/** A valid configuration, its warnings, and where it came from. */
export interface LoadedConfig {
  readonly config: SentinelConfig;
  readonly warnings: readonly ConfigProblem[];
  readonly source: ConfigSource;
}

export interface ParseOptions {
  /**
   * Check `cluster.secret-file` on disk (exists, not empty, mode 0600 or stricter). Default true:
   * `run` and `check-config` always check it; tests of the schema alone may turn it off.
   */
  readonly secretFileCheck?: boolean;
}

export { MAX_CONFIG_BYTES };

/** Deeper than this is not a configuration (the real one nests 4 levels): refused before the schema walks it. */
export const MAX_CONFIG_DEPTH = 32;

/** YAML alias expansions allowed when the document is converted (a "billion laughs" file needs millions). */
const MAX_ALIAS_COUNT = 100;

/**
 * Reads, parses and validates the configuration file: exactly the validation `run` performs at
 * startup and on SIGHUP, and `check-config` reports. Every problem is reported at once, located
 * by line and column. Reads only a regular file of at most 1 MiB (a FIFO or /dev/zero is refused, never
 * waited on) in UTF-8. Reads files synchronously; never throws.
 */
export function loadConfigFile(
  file: string,
  options: ParseOptions = {},
): Result<LoadedConfig, ConfigProblem[]> {
  const at = (message: string, line = 1, col = 1): Result<LoadedConfig, ConfigProblem[]> =>
    err([{ file, line, col, path: '(file)', message }]);
  const read = readRegularFile(file, MAX_CONFIG_BYTES);
  if (!read.ok) {
    const why =
      read.error.reason === 'not-found'
        ? 'it does not exist (choose another file with -c FILE)'
        : read.error.reason === 'too-large'
          ? `${read.error.message}: is it the right file?`
          : read.error.message;
    return at(`cannot read the configuration file: ${why}`);
  }
  const bytes = read.value.data;
  const bad = firstInvalidUtf8(bytes);
  if (bad !== null) {
    const before = bytes.subarray(0, bad).toString('utf8').split('\n');
    return at(
      `the configuration file is not valid UTF-8 (byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, '0')} at offset ${bad})`,
      before.length,
      (before[before.length - 1]?.length ?? 0) + 1,
    );
  }
  return parseConfigText(bytes.toString('utf8'), file, options);
}

/**
 * Offset of the first byte that is not part of a well-formed UTF-8 sequence (overlong forms, surrogates and
 * code points above U+10FFFF included), or null. Pure.
 */
export function firstInvalidUtf8(b: Uint8Array): number | null {
  let i = 0;
  while (i < b.length) {
    const c = b[i] ?? 0;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [n, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [n, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return null;
}

/**
 * Parses and validates configuration text; `fileName` only labels the problems. Same rules as
 * {@link loadConfigFile}. Never throws; the secret file is the only thing it reads.
 */
export function parseConfigText(
  text: string,
  fileName: string,
  options: ParseOptions = {},
): Result<LoadedConfig, ConfigProblem[]> {
  const lineCounter = new LineCounter();
  const tooDeep = `nested too deeply (a configuration nests a few levels; more than ${MAX_CONFIG_DEPTH} is refused)`;
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    // The parser recurses per nesting level: a deep enough document exhausts the stack.
    const why = e instanceof RangeError ? tooDeep : String(e);
    return err([{ file: fileName, line: 1, col: 1, path: '(yaml)', message: `YAML error: ${why}` }]);
  }
  const locate = makeLocator(doc, lineCounter);
  const source: ConfigSource = { file: fileName, locate };
  const place = (path: KeyPath, message: string): ConfigProblem => ({
    file: fileName,
    ...locate(path),
    path: formatKeyPath(path),
    message,
  });

  const yamlPos = (e: { pos: [number, number] }) => {
    const p = lineCounter.linePos(e.pos[0]);
    return { line: p.line, col: p.col };
  };
  const overflow = doc.errors.find((e) => /call stack/i.test(e.message));
  if (overflow !== undefined) {
    // One problem, not one per level the parser gave up on.
    return err([{ file: fileName, ...yamlPos(overflow), path: '(yaml)', message: `YAML error: ${tooDeep}` }]);
  }
  if (doc.errors.length > 0) {
    return err(
      sortProblems(
        doc.errors.map((e) => ({
          file: fileName,
          ...yamlPos(e),
          path: '(yaml)',
          message: `YAML syntax error: ${firstLine(e.message)}`,
        })),
      ),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const why =
      e instanceof RangeError
        ? tooDeep
        : /alias/i.test(String(e))
          ? `too many alias expansions (more than ${MAX_ALIAS_COUNT}): refusing a document that expands exponentially`
          : String(e);
    return err([{ file: fileName, line: 1, col: 1, path: '(yaml)', message: `YAML error: ${why}` }]);
  }
  if (depthExceeds(raw, MAX_CONFIG_DEPTH)) {
    return err([{ file: fileName, line: 1, col: 1, path: '(yaml)', message: `YAML error: ${tooDeep}` }]);
  }

  const problems: ConfigProblem[] = [];
  const parsed = SentinelConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...issueProblems(issue, raw, place));
  }
  for (const f of crossSectionFindings(raw)) problems.push(place(f.path, f.message));

  const warnings: ConfigProblem[] = doc.warnings.map((w) => ({
    file: fileName,
    ...yamlPos(w),
    path: '(yaml)',
    message: firstLine(w.message),
  }));
  const secretFile = parsed.success ? parsed.data.cluster.secretFile : rawSecretFile(raw);
  if (secretFile !== undefined && options.secretFileCheck !== false) {
    // Checked even when other keys are wrong, so every problem is reported at once.
    const secret = checkSecretFile(secretFile);
    for (const m of secret.errors) problems.push(place(['cluster', 'secret-file'], m));
    for (const m of secret.warnings) warnings.push(place(['cluster', 'secret-file'], m));
  }
  if (problems.length > 0 || !parsed.success) return err(dedupe(sortProblems(problems.map(clipProblem))));

  const config = deepFreeze(parsed.data) as SentinelConfig;
  for (const w of configWarnings(config)) warnings.push(place(w.path, w.message));
  return ok({ config, warnings: sortProblems(warnings.map(clipProblem)), source });
}

/** Turns one zod issue into located problems with operator-facing messages. */
function issueProblems(
  issue: z.core.$ZodIssue,
  raw: unknown,
  place: (path: KeyPath, message: string) => ConfigProblem,
): ConfigProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number');
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => place([...path, key], unknownKeyMessage(path, key)));
    case 'invalid_type': {
      const last = path[path.length - 1];
      const parent = valueAt(raw, path.slice(0, -1));
      const missing =
        path.length > 0 &&
        parent !== null &&
        typeof parent === 'object' &&
        !Array.isArray(parent) &&
        typeof last === 'string' &&
        !(last in parent);
      if (missing) {
        return [
          place(
            path,
            path.length === 1 ? `the ${last} section is required` : `required key ${last} is missing`,
          ),
        ];
      }
      return [place(path, issue.message)];
    }
    case 'invalid_value': {
      const input = valueAt(raw, path);
      const choices = issue.values.filter((v): v is string => typeof v === 'string');
      const hint = typeof input === 'string' ? didYouMean(input, choices) : '';
      return [place(path, `${issue.message}${hint}`)];
    }
    default:
      return [place(path, issue.message)];
  }
}

function unknownKeyMessage(parent: KeyPath, key: string): string {
  const known = knownKeysAt(parent);
  const near = closestMatch(key, known);
  if (near !== undefined) return `unknown key ${key} (did you mean ${near}?)`;
  if (parent.length === 0) {
    // A key written at the top level that belongs inside a section (`port:` instead of heartbeat.port).
    for (const section of known) {
      const inner = knownKeysAt([section]);
      if (inner.includes(key)) return `unknown key ${key} (did you mean ${section}.${key}?)`;
    }
  }
  const where = parent.length === 0 ? 'at the top level' : `in ${formatKeyPath(parent)}`;
  return `unknown key ${key}; allowed ${where}: ${known.join(', ')}`;
}

/** The secret file a not yet valid document names, when that key itself is valid. */
function rawSecretFile(raw: unknown): string | undefined {
  const cluster = valueAt(raw, ['cluster']);
  if (cluster === null || typeof cluster !== 'object' || Array.isArray(cluster)) return undefined;
  const path = (cluster as Record<string, unknown>)['secret-file'] ?? DEFAULT_SECRET_FILE;
  return typeof path === 'string' && path.startsWith('/') ? path : undefined;
}

/** True when `root` nests containers deeper than `max` levels. Iterative: a deep value cannot overflow it. */
function depthExceeds(root: unknown, max: number): boolean {
  const stack: { v: unknown; depth: number }[] = [{ v: root, depth: 0 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (top.v === null || typeof top.v !== 'object') continue;
    if (top.depth >= max) return true;
    for (const x of Object.values(top.v)) stack.push({ v: x, depth: top.depth + 1 });
  }
  return false;
}

const LONG_QUOTED = /"([^"]{81,})"/g;
const MAX_MESSAGE_CHARS = 1000;

/**
 * Problems quote offending values; a 900 KB string must not become a 900 KB log line. Long quoted values are
 * cut to their start and length, and the message as a whole is bounded. Pure.
 */
function clipProblem(p: ConfigProblem): ConfigProblem {
  let m = p.message.replace(
    LONG_QUOTED,
    (_all, v: string) => `"${v.slice(0, 40)}..." (${v.length} characters)`,
  );
  if (m.length > MAX_MESSAGE_CHARS) m = `${m.slice(0, MAX_MESSAGE_CHARS)}... (${m.length} characters)`;
  return m === p.message ? p : { ...p, message: m };
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).trim();
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.line}:${p.col}:${p.path}:${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
