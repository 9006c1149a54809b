import { z } from 'zod';
import { ok, type Result } from '../common/result.js';
import { readStateFile, writeStateFile } from './state-file.js';

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
  const r = readStateFile(stateDir, INTENTS_FILE, PersistedIntentsSchema);
  return r.ok ? ok(r.value ?? NO_INTENTS) : r;
}

export function saveIntents(stateDir: string, intents: PersistedIntents): Result<void, string> {
  return writeStateFile(stateDir, INTENTS_FILE, intents);
}
