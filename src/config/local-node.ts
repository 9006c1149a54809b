import { err, ok, type Result } from '../common/result.js';
import type { ConfigSource } from './load.js';
import type { ConfigProblem } from './problem.js';
import type { NodeConfig, SentinelConfig } from './schema.js';

/** This host's node and its peer, as configured. */
export interface LocalNodes {
  readonly local: NodeConfig;
  readonly peer: NodeConfig;
  /** Index of the local node in `nodes` (0 or 1). */
  readonly localIndex: 0 | 1;
}

/**
 * Finds this host among the two configured nodes by exact name (`hostname` is `uname -n`, i.e.
 * `os.hostname()`). `run` refuses to start on the error (exit 78); check-config reports it as a
 * warning because it may run on a workstation. `source` locates the problem in the file. Pure.
 */
export function checkThisHostIsNode(
  config: SentinelConfig,
  hostname: string,
  source?: ConfigSource,
): Result<LocalNodes, ConfigProblem> {
  const [a, b] = config.nodes;
  if (a.name === hostname) return ok({ local: a, peer: b, localIndex: 0 });
  if (b.name === hostname) return ok({ local: b, peer: a, localIndex: 1 });
  const shortName = (s: string) => (s.split('.')[0] ?? s).toLowerCase();
  const near = config.nodes.find((n) => shortName(n.name) === shortName(hostname));
  const hint =
    near !== undefined
      ? `; ${near.name} differs only in case or domain: write the name exactly as \`uname -n\` prints it`
      : '';
  const pos = source?.locate(['nodes']) ?? { line: 1, col: 1 };
  return err({
    file: source?.file ?? '(config)',
    ...pos,
    path: 'nodes',
    message: `this host (${hostname}, from \`uname -n\`) is not one of the nodes ${a.name} and ${b.name}${hint}`,
  });
}
