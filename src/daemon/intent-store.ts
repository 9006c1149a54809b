import { mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { err, ok, type Result } from '../common/result.js';

/** Operator intents that survive a restart (issue: "maintenance on|off ... kept across restarts"). */
export interface PersistedIntents {
  readonly standby: boolean;
  readonly maintenance: boolean;
}

const PersistedIntentsSchema = z.object({ standby: z.boolean(), maintenance: z.boolean() });

export const INTENTS_FILE = 'intents.json';

export const NO_INTENTS: PersistedIntents = { standby: false, maintenance: false };

/**
 * Reads the persisted intents from `stateDir`. A missing file means none; a corrupt file is an error
 * the caller logs and answers with the safe reading: maintenance on (observe only) until an operator
 * says otherwise.
 */
export function loadIntents(stateDir: string): Result<PersistedIntents, string> {
  let text: string;
  try {
    text = readFileSync(join(stateDir, INTENTS_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ok(NO_INTENTS);
    return err(`cannot read ${join(stateDir, INTENTS_FILE)}: ${(e as Error).message}`);
  }
  try {
    const parsed = PersistedIntentsSchema.safeParse(JSON.parse(text));
    if (parsed.success) return ok(parsed.data);
    return err(`${join(stateDir, INTENTS_FILE)} is not a valid intents file`);
  } catch {
    return err(`${join(stateDir, INTENTS_FILE)} is not valid JSON`);
  }
}

/** Writes the intents atomically (temp file, fsync, rename) so a crash leaves the old or the new file. */
export function saveIntents(stateDir: string, intents: PersistedIntents): Result<void, string> {
  const target = join(stateDir, INTENTS_FILE);
  const temp = `${target}.tmp`;
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(temp, `${JSON.stringify(intents)}\n`, { mode: 0o600 });
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
