import { z } from 'zod';
import { ok, type Result } from '../common/result.js';
import { INITIAL_RESOURCE_MEMORY, initialMemory, type EngineMemory } from '../engine/index.js';
import { readStateFile, writeStateFile } from './state-file.js';

/**
 * The node last seen Primary per resource, kept across restarts: after a restart the engine must still
 * know that the peer, not this node, held the resource last (REFUSE_PEER_WAS_PRIMARY).
 */
export type LastPrimaries = Readonly<Record<string, string>>;

export const LAST_PRIMARY_FILE = 'last-primary.json';

const LastPrimariesSchema = z.record(z.string(), z.string());

export function loadLastPrimaries(stateDir: string): Result<LastPrimaries, string> {
  const r = readStateFile(stateDir, LAST_PRIMARY_FILE, LastPrimariesSchema);
  return r.ok ? ok(r.value ?? {}) : r;
}

export function saveLastPrimaries(stateDir: string, lastPrimaries: LastPrimaries): Result<void, string> {
  return writeStateFile(stateDir, LAST_PRIMARY_FILE, lastPrimaries);
}

/** The last Primaries the engine memory holds now (resources with one). Pure. */
export function lastPrimariesOf(memory: EngineMemory): LastPrimaries {
  const out: Record<string, string> = {};
  for (const [name, rm] of Object.entries(memory.resources))
    if (rm.lastPrimary !== null) out[name] = rm.lastPrimary;
  return out;
}

/** A fresh engine memory that remembers the persisted last Primaries. Pure. */
export function memoryWithLastPrimaries(lastPrimaries: LastPrimaries): EngineMemory {
  const memory = initialMemory();
  const resources: EngineMemory['resources'] = Object.fromEntries(
    Object.entries(lastPrimaries).map(([name, node]) => [
      name,
      { ...INITIAL_RESOURCE_MEMORY, lastPrimary: node },
    ]),
  );
  return { ...memory, resources };
}
