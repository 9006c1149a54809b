/**
 * Per-node switches the chaos faults flip at run time, without restarting anything:
 * - the STONITH handler: a script that powers the simulated peer off like the pair's own fence-poweroff,
 *   unless this node's mode file says `fail` (exit 1) or `hang` (sleeps past the handler timeout);
 * - the wall clock: every process of a node runs under libfaketime (Debian package `libfaketime`) with
 *   a relative offset read from a file (re-read every second) and the monotonic clock left alone
 *   (FAKETIME_DONT_FAKE_MONOTONIC=1), so a step of the offset is a wall-clock jump on that node only.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetnsPairOptions, NodeIndex } from '../../netns/support/netns-pair.js';
import { fencePowerOffScript } from '../../../src/demo/pair.js';

const LIBFAKETIME = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
];

export type FenceMode = 'ok' | 'fail' | 'hang';

export interface NodeControls {
  readonly fenceHandler: NonNullable<NetnsPairOptions['fenceHandler']>;
  readonly nodeEnv: NonNullable<NetnsPairOptions['nodeEnv']>;
  setFenceMode(node: string, mode: FenceMode): void;
  /** Sets node `i`'s wall-clock offset in seconds (0: true time). */
  setClockOffset(i: NodeIndex, offsetS: number): void;
  /** Every handler run so far: the fencing node and the mode it ran in. */
  fenceRuns(): Array<{ node: string; mode: string }>;
}

/** Throws naming the package when libfaketime is missing (the tier never skips). */
export function findLibfaketime(): string {
  const lib = LIBFAKETIME.find((p) => existsSync(p));
  if (lib === undefined)
    throw new Error(
      'chaos tier cannot run, missing: libfaketime (apt-get install libfaketime; scripts/install-deps.sh does)',
    );
  return lib;
}

/** Writes the switch files and the fence script into `dir`. */
export function createNodeControls(dir: string, nodes: readonly [string, string]): NodeControls {
  const lib = findLibfaketime();
  const runs = join(dir, 'fence-runs');
  const modeFile = (node: string) => join(dir, `fence-mode-${node}`);
  const clockFile = (i: NodeIndex) => join(dir, `clock-${nodes[i]}`);
  for (const n of nodes) writeFileSync(modeFile(n), 'ok\n');
  for (const i of [0, 1] as const) writeFileSync(clockFile(i), '+0\n');
  const script = join(dir, 'fence-switch');
  // STONITH of a simulated node, unless this node's fence mode says fail or hang.
  const before = `mode=$(cat ${JSON.stringify(dir)}/fence-mode-"$SENTINEL_NODE" 2>/dev/null)
printf '%s\\t%s\\n' "$SENTINEL_NODE" "$mode" >> ${JSON.stringify(runs)}
case "$mode" in
  fail) echo "fence device error (chaos)" >&2; exit 1 ;;
  hang) exec sleep 120 ;;
esac
`;
  writeFileSync(script, fencePowerOffScript('fence-switch', before), { mode: 0o755 });
  return {
    fenceHandler: { command: [script, '{peerPidFile}'], timeout: '3s' },
    nodeEnv: (i) => ({
      LD_PRELOAD: lib,
      FAKETIME_TIMESTAMP_FILE: clockFile(i),
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
      FAKETIME_CACHE_DURATION: '1',
    }),
    setFenceMode(node, mode) {
      writeFileSync(modeFile(node), `${mode}\n`);
    },
    setClockOffset(i, offsetS) {
      writeFileSync(clockFile(i), `${offsetS >= 0 ? '+' : ''}${offsetS}\n`);
    },
    fenceRuns() {
      if (!existsSync(runs)) return [];
      return readFileSync(runs, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => {
          const [node = '', mode = ''] = l.split('\t');
          return { node, mode };
        });
    },
  };
}
