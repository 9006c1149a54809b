import { readFileSync, statSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { err, ok, type Result } from '../common/result.js';
import { knownKeysAt } from './json-schema.js';
import { makeLocator, valueAt, type Locator } from './locate.js';
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

/** Refuse absurdly large files: a configuration is a few KiB; a megabyte is the wrong file. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads, parses and validates the configuration file: exactly the validation `run` performs at
 * startup and on SIGHUP, and `check-config` reports. Every problem is reported at once, located
 * by line and column. Reads files synchronously; never throws.
 */
export function loadConfigFile(
  file: string,
  options: ParseOptions = {},
): Result<LoadedConfig, ConfigProblem[]> {
  const at = (message: string): Result<LoadedConfig, ConfigProblem[]> =>
    err([{ file, line: 1, col: 1, path: '(file)', message }]);
  let text: string;
  try {
    const st = statSync(file);
    if (st.isDirectory()) return at('cannot read the configuration file: it is a directory');
    if (st.size > MAX_CONFIG_BYTES)
      return at(`the configuration file is ${st.size} bytes: larger than 1 MiB, is it the right file?`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'it does not exist (choose another file with -c FILE)'
        : code === 'EACCES'
          ? 'permission denied'
          : (code ?? String(e));
    return at(`cannot read the configuration file: ${why}`);
  }
  return parseConfigText(text, file, options);
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
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
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
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return err([{ file: fileName, line: 1, col: 1, path: '(yaml)', message: `YAML error: ${String(e)}` }]);
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
  if (problems.length > 0 || !parsed.success) return err(dedupe(sortProblems(problems)));

  const config = deepFreeze(parsed.data) as SentinelConfig;
  for (const w of configWarnings(config)) warnings.push(place(w.path, w.message));
  return ok({ config, warnings: sortProblems(warnings), source });
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
