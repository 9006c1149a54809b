import type { DrbdCommands } from '../drbd/index.js';
import type { DrbdFencingMode } from '../engine/index.js';

const MODES: ReadonlySet<string> = new Set(['resource-and-stonith', 'resource-only', 'dont-care']);

/**
 * DRBD's `fencing` setting of each configured resource, from `drbdadm dump-xml` (effect: runs it once).
 * A resource DRBD does not define, or a dump that fails, is `unknown`: the engine then treats the old
 * Primary's writes as not frozen (SAFETY.md, "Acknowledged writes lost").
 */
export async function readDrbdFencing(
  commands: DrbdCommands,
  resources: readonly string[],
  signal: AbortSignal,
): Promise<{ readonly modes: ReadonlyMap<string, DrbdFencingMode>; readonly error: string | null }> {
  const dump = await commands.dumpXml(null, { timeoutMs: 10_000, signal });
  const modes = new Map<string, DrbdFencingMode>();
  for (const name of resources) {
    const fencing = dump.ok ? dump.value.resources.find((r) => r.name === name)?.fencing : undefined;
    modes.set(name, fencing !== undefined && MODES.has(fencing) ? (fencing as DrbdFencingMode) : 'unknown');
  }
  return { modes, error: dump.ok ? null : `${dump.error.kind}: ${dump.error.message}` };
}
