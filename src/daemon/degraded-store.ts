import { z } from 'zod';
import { ok, type Result } from '../common/result.js';
import { readStateFile, writeStateFile } from './state-file.js';

/**
 * Whether the cluster was degraded (peer unreachable or a resource not replicating) the last time this
 * node's daemon ran: the startup wait is then `degraded-initdead`, as with DRBD's degr-wfc-timeout.
 */
export const DEGRADED_FILE = 'degraded.json';

const DegradedSchema = z.object({ degraded: z.boolean() });

/** A node that never recorded a state (first start) counts as degraded: nothing says the pair was whole. */
export function loadDegraded(stateDir: string): Result<boolean, string> {
  const r = readStateFile(stateDir, DEGRADED_FILE, DegradedSchema);
  return r.ok ? ok(r.value?.degraded ?? true) : r;
}

export function saveDegraded(stateDir: string, degraded: boolean): Result<void, string> {
  return writeStateFile(stateDir, DEGRADED_FILE, { degraded });
}
