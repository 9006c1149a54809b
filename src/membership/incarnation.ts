import { open, readFile, rename, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../common/log.js';
import { err, ok, type Result } from '../common/result.js';
import { sentinelError, type SentinelError } from '../common/errors.js';

/** The file, inside the state directory, that holds the last incarnation this node used. */
export const INCARNATION_FILE = 'membership-incarnation';

/**
 * Pure: the next incarnation from the persisted one (null when missing or corrupt) and the wall clock.
 * Always strictly greater than the persisted value, and never below the wall clock in ms, so a lost or
 * corrupt state file still yields a value above any earlier one as long as the wall clock has not gone
 * back by more than the process's lifetime.
 */
export function computeNextIncarnation(persisted: number | null, wallClockMs: number): number {
  const floor = Math.max(1, Math.floor(wallClockMs));
  return persisted === null ? floor : Math.max(persisted + 1, floor);
}

/** Parses the state file's content; null when it is not one positive safe integer (total). */
export function parseIncarnationFile(text: string): number | null {
  const trimmed = text.trim();
  if (!/^[0-9]{1,16}$/.test(trimmed)) return null;
  const n = Number(trimmed);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

async function writeAtomically(dir: string, name: string, content: string): Promise<void> {
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  // fsync the directory so the rename itself survives a power loss.
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/**
 * Effect: reads the last incarnation from `stateDir`, picks the next one, and persists it (atomic
 * write + fsync) before returning it, so a crash right after start can never reuse it.
 */
export async function nextIncarnation(
  stateDir: string,
  options: { readonly logger?: Logger; readonly wallClockMs?: () => number } = {},
): Promise<Result<number, SentinelError>> {
  const wallClockMs = options.wallClockMs ?? Date.now;
  const path = join(stateDir, INCARNATION_FILE);
  let persisted: number | null = null;
  try {
    const text = await readFile(path, 'utf8');
    persisted = parseIncarnationFile(text);
    if (persisted === null)
      options.logger?.warn(
        { path, reason: 'incarnation-file-corrupt', content: text.slice(0, 40) },
        'incarnation file corrupt, using the wall clock as the floor',
      );
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT')
      return err(sentinelError('E_CONFIG', `cannot read the incarnation file ${path}: ${String(e)}`, e));
    options.logger?.info(
      { path, reason: 'incarnation-file-missing' },
      'no incarnation file, starting from the wall clock',
    );
  }
  const next = computeNextIncarnation(persisted, wallClockMs());
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await writeAtomically(stateDir, INCARNATION_FILE, `${next}\n`);
  } catch (e) {
    return err(sentinelError('E_CONFIG', `cannot persist the incarnation in ${stateDir}: ${String(e)}`, e));
  }
  return ok(next);
}
