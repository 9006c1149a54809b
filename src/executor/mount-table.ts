/**
 * Reads where a device and a mount point stand in a mount table (`/proc/self/mounts` format).
 * The parsing is pure and total; only `readMountState` touches the file system.
 */
import { readFile, realpath } from 'node:fs/promises';
import type { Result } from '../common/result.js';
import { err, ok } from '../common/result.js';
import type { MountState, QueryFailure } from './ports.js';

export interface MountEntry {
  readonly source: string;
  readonly target: string;
  readonly fstype: string;
}

/** `\040`-style octal escapes, as the kernel writes spaces, tabs and newlines in mount paths. */
const unescapeOctal = (s: string): string =>
  s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Parses a mount table; malformed lines are skipped. Pure and total. */
export function parseMountTable(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [source, target, fstype] = line.trim().split(/\s+/);
    if (source === undefined || target === undefined || fstype === undefined) continue;
    entries.push({ source: unescapeOctal(source), target: unescapeOctal(target), fstype });
  }
  return entries;
}

const normalizeDir = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/**
 * Where `device` (already resolved) and `mountPoint` stand among `entries` whose sources are
 * resolved by `resolve`. Pure.
 */
export function mountStateOf(
  entries: readonly MountEntry[],
  device: string,
  mountPoint: string,
  resolve: (source: string) => string = (s) => s,
): MountState {
  const point = normalizeDir(mountPoint);
  let here = false;
  const conflicts: string[] = [];
  for (const e of entries) {
    const sameDevice = resolve(e.source) === device;
    const samePoint = normalizeDir(e.target) === point;
    if (sameDevice && samePoint) here = true;
    else if (sameDevice) conflicts.push(`${device} is mounted on ${e.target}`);
    else if (samePoint) conflicts.push(`${e.source} is mounted on ${point}`);
  }
  if (conflicts.length > 0) return { kind: 'conflict', detail: conflicts.join('; ') };
  return here ? { kind: 'mounted-here' } : { kind: 'not-mounted' };
}

async function resolvePath(p: string): Promise<string> {
  if (!p.startsWith('/')) return p;
  try {
    return await realpath(p);
  } catch {
    return p;
  }
}

/** Reads `mountsFile` and reports where `device` and `mountPoint` stand (device symlinks resolved). */
export async function readMountState(
  mountsFile: string,
  device: string,
  mountPoint: string,
): Promise<Result<MountState, QueryFailure>> {
  let text: string;
  try {
    text = await readFile(mountsFile, 'utf8');
  } catch (e) {
    return err({
      errorKind: 'mount-table',
      detail: `cannot read ${mountsFile}: ${e instanceof Error ? e.message : String(e)}`,
      timedOut: false,
    });
  }
  const entries = parseMountTable(text);
  const resolved = new Map<string, string>();
  for (const e of entries) if (!resolved.has(e.source)) resolved.set(e.source, await resolvePath(e.source));
  const dev = await resolvePath(device);
  return ok(mountStateOf(entries, dev, mountPoint, (s) => resolved.get(s) ?? s));
}
