import { err, ok, type Result } from '../common/result.js';
import { parseError, type DrbdParseError } from './parse-error.js';

/** The actions drbdsetup events2 prints (`rename` only in DRBD 9). */
export const EVENTS2_ACTIONS = [
  'exists',
  'create',
  'change',
  'destroy',
  'call',
  'response',
  'rename',
] as const;
export type Events2Action = (typeof EVENTS2_ACTIONS)[number];

/** The objects drbdsetup events2 reports (`path` only in DRBD 9). */
export const EVENTS2_OBJECTS = ['resource', 'device', 'connection', 'peer-device', 'path', 'helper'] as const;
export type Events2Object = (typeof EVENTS2_OBJECTS)[number];

/**
 * One line of `drbdsetup events2 [--timestamps] [--statistics]`:
 * - `object`: `[TS ]ACTION OBJECT key:value ...` (`exists resource name:r0 role:Primary suspended:no`);
 * - `initial-done`: `[TS ]exists -`, the end of the initial state dump;
 * - `skipped`: `- skipped N`, drbdsetup lost N netlink messages: the picture is stale.
 */
export type Events2Event =
  | {
      readonly type: 'object';
      readonly timestamp: string | null;
      readonly action: Events2Action;
      readonly object: Events2Object;
      /** Every `key:value` in order of appearance; a value keeps any further colons (`local:ipv4:10.0.0.1:7789`). */
      readonly fields: Readonly<Record<string, string>>;
    }
  | { readonly type: 'initial-done'; readonly timestamp: string | null }
  | { readonly type: 'skipped'; readonly count: number };

const ACTION_SET: ReadonlySet<string> = new Set(EVENTS2_ACTIONS);
const OBJECT_SET: ReadonlySet<string> = new Set(EVENTS2_OBJECTS);
// drbdsetup's --timestamps prefix: %04u-%02u-%02uT%02u:%02u:%02u.%06u%+03d:%02u
const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}:\d{2}$/;

/**
 * Pure and total. Parses one events2 line (without its newline). `lineNo` only locates errors.
 * Unknown actions or objects are errors: the caller logs and skips them.
 */
export function parseEvents2Line(line: string, lineNo = 1): Result<Events2Event, DrbdParseError> {
  const tokens = line
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '');
  if (tokens.length === 0) return err(parseError(lineNo, line, 'empty line'));
  if (tokens[0] === '-' && tokens[1] === 'skipped') {
    const n =
      tokens.length === 3 && tokens[2] !== undefined && /^\d+$/.test(tokens[2]) ? Number(tokens[2]) : NaN;
    if (!Number.isSafeInteger(n)) return err(parseError(lineNo, line, 'malformed "- skipped N" line'));
    return ok({ type: 'skipped', count: n });
  }
  let timestamp: string | null = null;
  let i = 0;
  if (tokens[0] !== undefined && /^\d{4}-/.test(tokens[0])) {
    if (!TIMESTAMP_RE.test(tokens[0])) return err(parseError(lineNo, line, 'malformed timestamp'));
    timestamp = tokens[0];
    i = 1;
  }
  const action = tokens[i];
  const object = tokens[i + 1];
  if (action === undefined || !ACTION_SET.has(action))
    return err(parseError(lineNo, line, `unknown action ${JSON.stringify(action ?? '')}`));
  if (object === '-') {
    if (action !== 'exists' || tokens.length !== i + 2)
      return err(parseError(lineNo, line, 'only "exists -" may have "-" as object'));
    return ok({ type: 'initial-done', timestamp });
  }
  if (object === undefined || !OBJECT_SET.has(object))
    return err(parseError(lineNo, line, `unknown object ${JSON.stringify(object ?? '')}`));
  const fields: Record<string, string> = {};
  for (const t of tokens.slice(i + 2)) {
    const c = t.indexOf(':');
    if (c <= 0) return err(parseError(lineNo, line, `expected key:value, got ${JSON.stringify(t)}`));
    const key = t.slice(0, c);
    if (!/^[a-z][a-z0-9_-]*$/.test(key))
      return err(parseError(lineNo, line, `bad key ${JSON.stringify(key)}`));
    if (Object.prototype.hasOwnProperty.call(fields, key))
      return err(parseError(lineNo, line, `key ${JSON.stringify(key)} given twice`));
    fields[key] = t.slice(c + 1);
  }
  if (fields.name === undefined) return err(parseError(lineNo, line, 'missing name:'));
  return ok({
    type: 'object',
    timestamp,
    action: action as Events2Action,
    object: object as Events2Object,
    fields,
  });
}

/**
 * Pure and total. Parses a whole events2 capture; blank lines and lines starting with `#` are
 * skipped. Stops at the first bad line.
 */
export function parseEvents2Text(text: string): Result<Events2Event[], DrbdParseError> {
  const out: Events2Event[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '' || line.startsWith('#')) continue;
    const r = parseEvents2Line(line, i + 1);
    if (!r.ok) return r;
    out.push(r.value);
  }
  return ok(out);
}
