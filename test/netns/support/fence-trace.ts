/**
 * A counting STONITH handler for the netns pair: appends one line per run (the fencing node and the
 * reason) to a trace file, then powers the simulated peer off exactly as the pair's own fence-poweroff, or
 * fails for a node told to (failOn).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetnsPairOptions } from './netns-pair.js';
import { fencePowerOffScript } from '../../../src/demo/pair.js';

export interface FenceTrace {
  /** For NetnsPairOptions.fenceHandler. */
  readonly handler: NonNullable<NetnsPairOptions['fenceHandler']>;
  /** From now on, runs by `node` (the fencing node) are traced and then fail with exit 1, fencing nothing. */
  failOn(node: string): void;
  /** Every handler run so far: `{ node, reason }`. */
  runs(): Array<{ node: string; reason: string }>;
  dispose(): void;
}

export function createFenceTrace(): FenceTrace {
  const dir = mkdtempSync(join(tmpdir(), 'drbd-sentinel-fence-trace-'));
  const trace = join(dir, 'runs');
  const script = join(dir, 'fence-traced');
  // One trace line per run; a node told to fail exits before killing anything.
  const before = `printf '%s\\t%s\\n' "$SENTINEL_NODE" "$SENTINEL_REASON" >> ${JSON.stringify(trace)}
[ -e ${JSON.stringify(dir)}/"fail-$SENTINEL_NODE" ] && { echo "fence device unreachable (test)" >&2; exit 1; }
`;
  writeFileSync(script, fencePowerOffScript('fence-traced', before), { mode: 0o755 });
  return {
    handler: { command: [script, '{peerPidFile}'], timeout: '10s' },
    failOn(node) {
      writeFileSync(join(dir, `fail-${node}`), '');
    },
    runs() {
      if (!existsSync(trace)) return [];
      return readFileSync(trace, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => {
          const [node = '', reason = ''] = l.split('\t');
          return { node, reason };
        });
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
