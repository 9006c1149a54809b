import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { err, ok, type Result } from '../common/result.js';

/**
 * Reads a small JSON state file of the daemon's state dir. A missing file is `ok(null)`; an unreadable or
 * invalid one is an error for the caller to log and answer with its safe reading.
 */
export function readStateFile<T>(
  stateDir: string,
  name: string,
  schema: z.ZodType<T>,
): Result<T | null, string> {
  const path = join(stateDir, name);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ok(null);
    return err(`cannot read ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return err(`${path} is not valid JSON`);
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? ok(parsed.data) : err(`${path} has an unexpected content`);
}

/** Writes a state file atomically (temp file, fsync, rename): a crash leaves the old or the new file. */
export function writeStateFile(stateDir: string, name: string, value: unknown): Result<void, string> {
  const target = join(stateDir, name);
  const temp = `${target}.tmp`;
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(temp, `${JSON.stringify(value)}\n`, { mode: 0o600 });
    const fd = openSync(temp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
    return ok(undefined);
  } catch (e) {
    return err(`cannot write ${target}: ${(e as Error).message}`);
  }
}
