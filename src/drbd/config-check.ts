import type { DrbdConfigDump, DrbdResourceConfig } from './dump-xml.js';

/** What drbd-sentinel's own configuration says about one resource (plain data; the daemon maps its config). */
export interface SentinelResourceExpectation {
  readonly name: string;
  /** The device minor the sentinel config names, when it names one; checked only without `device`. */
  readonly minor?: number | null;
  /** The device path the sentinel config names (`/dev/drbd1`), when it names one. */
  readonly device?: string | null;
}

/** Input of checkDrbdConfig: plain data the daemon maps from its own config. */
export interface DrbdConfigCheckInput {
  readonly resources: readonly SentinelResourceExpectation[];
  /** This node's and the peer's names in the sentinel config: must equal DRBD's `on HOST` names. */
  readonly nodeNames: readonly string[];
  /** Path of the drbd-sentinel binary for the handler lines; default `/usr/sbin/drbd-sentinel`. */
  readonly sentinelPath?: string;
  /** DRBD major version (from /proc/drbd): 9 puts `fencing` in `net` and uses `unfence-peer`. Default 8. */
  readonly drbdMajor?: number | null;
  /**
   * `fencing.policy` of the sentinel config. `stonith` needs DRBD's `resource-and-stonith`: only it keeps a
   * Primary's I/O frozen while its fence-peer handler runs or after it failed (docs/decisions.md).
   */
  readonly fencingPolicy?: string;
}

/** Stable codes of the cross-check's warnings; only add. */
export const DRBD_CONFIG_WARNING_CODES = [
  'resource-not-in-drbd',
  'node-name-mismatch',
  'minor-mismatch',
  'device-mismatch',
  'protocol-not-c',
  'fencing-not-resource-level',
  'fence-peer-handler-missing',
  'unfence-handler-missing',
  'stonith-needs-resource-and-stonith',
] as const;
export type DrbdConfigWarningCode = (typeof DRBD_CONFIG_WARNING_CODES)[number];

/** One finding of the cross-check, about one resource. */
export interface DrbdConfigWarning {
  readonly code: DrbdConfigWarningCode;
  readonly resource: string;
  readonly message: string;
}

/** All findings, plus the DRBD snippets that fix the fencing ones. */
export interface DrbdConfigCheckResult {
  readonly warnings: readonly DrbdConfigWarning[];
  /** Per resource that needs it: the exact DRBD configuration to add (fencing + handlers). */
  readonly snippets: Readonly<Record<string, string>>;
}

const RESOURCE_LEVEL_FENCING: ReadonlySet<string> = new Set(['resource-only', 'resource-and-stonith']);

/** Pure. The DRBD snippet that makes drbd-sentinel DRBD's fence-peer handler for `resource`. */
export function fencingSnippet(
  resource: string,
  sentinelPath = '/usr/sbin/drbd-sentinel',
  drbdMajor: number | null = 8,
  fencing: 'resource-only' | 'resource-and-stonith' = 'resource-only',
): string {
  const nine = drbdMajor !== null && drbdMajor >= 9;
  const section = nine ? 'net' : 'disk';
  const unfence = nine ? 'unfence-peer' : 'after-resync-target';
  return [
    `resource ${resource} {`,
    `  ${section} {`,
    `    fencing ${fencing};`,
    '  }',
    '  handlers {',
    `    fence-peer "${sentinelPath} fence-peer";`,
    `    ${unfence} "${sentinelPath} unfence-peer";`,
    '  }',
    '}',
  ].join('\n');
}

function checkResource(
  exp: SentinelResourceExpectation,
  res: DrbdResourceConfig,
  input: DrbdConfigCheckInput,
  warn: (code: DrbdConfigWarningCode, message: string) => void,
): boolean {
  const sentinel = input.sentinelPath ?? '/usr/sbin/drbd-sentinel';
  const drbdHosts = res.hosts.flatMap((h) => h.names);
  for (const node of input.nodeNames) {
    if (!drbdHosts.includes(node))
      warn(
        'node-name-mismatch',
        `node ${JSON.stringify(node)} has no "on ${node}" section in DRBD's resource ${res.name} (DRBD knows: ${drbdHosts.join(', ') || 'none'}); node names must equal DRBD's host names (uname -n)`,
      );
  }
  const volumes = res.hosts.flatMap((h) => h.volumes);
  const device = exp.device ?? null;
  if (device !== null) {
    // udev's /dev/drbd/by-res/RES[/VOL] names the resource (and volume) instead of the minor.
    const byRes = /^\/dev\/drbd\/by-res\/([^/]+)(?:\/(\d+))?$/.exec(device);
    const matches = byRes
      ? byRes[1] === res.name &&
        (byRes[2] === undefined || volumes.some((v) => v.volume === Number(byRes[2])))
      : volumes.some((v) => v.device === device);
    if (!matches)
      warn(
        'device-mismatch',
        `configured device ${device} is not a device of DRBD's resource ${res.name} (DRBD: ${[...new Set(volumes.map((v) => v.device))].join(', ') || 'none'})`,
      );
  } else if (exp.minor !== undefined && exp.minor !== null && !volumes.some((v) => v.minor === exp.minor)) {
    // Only without a device path: the path already says the minor.
    warn(
      'minor-mismatch',
      `configured minor ${exp.minor} is not a minor of DRBD's resource ${res.name} (DRBD: ${[...new Set(volumes.map((v) => v.minor))].join(', ') || 'none'})`,
    );
  }
  if (res.protocol !== 'C')
    warn(
      'protocol-not-c',
      `resource ${res.name} uses protocol ${res.protocol ?? 'unknown'}: only protocol C guarantees that acknowledged writes survive a failover`,
    );
  let needsSnippet = false;
  if (!RESOURCE_LEVEL_FENCING.has(res.fencing)) {
    needsSnippet = true;
    warn(
      'fencing-not-resource-level',
      `resource ${res.name} has fencing ${res.fencing}: without "fencing resource-only" a replication-link failure followed by a Primary crash can lose acknowledged writes`,
    );
  }
  if (input.fencingPolicy === 'stonith' && res.fencing !== 'resource-and-stonith') {
    needsSnippet = true;
    warn(
      'stonith-needs-resource-and-stonith',
      `resource ${res.name} has fencing ${res.fencing} but fencing.policy is stonith: only "fencing resource-and-stonith" freezes the Primary's writes while it fences; without it a Primary whose fence handler fails writes on alone and a takeover loses those writes`,
    );
  }
  const fencePeer = res.handlers['fence-peer'] ?? '';
  if (!fencePeer.includes(sentinel) || !/\bfence-peer\b/.test(fencePeer.replace(sentinel, ''))) {
    needsSnippet = true;
    warn(
      'fence-peer-handler-missing',
      `resource ${res.name} does not run "${sentinel} fence-peer" as its fence-peer handler${fencePeer ? ` (it runs ${JSON.stringify(fencePeer)})` : ''}`,
    );
  }
  const unfence = res.handlers['unfence-peer'] ?? res.handlers['after-resync-target'] ?? '';
  if (!unfence.includes(`${sentinel} unfence-peer`)) {
    needsSnippet = true;
    warn(
      'unfence-handler-missing',
      `resource ${res.name} does not run "${sentinel} unfence-peer" after a resync: the peer would stay marked outdated`,
    );
  }
  return needsSnippet;
}

/**
 * Pure. Compares drbd-sentinel's resources with DRBD's own configuration (`drbdadm dump-xml`):
 * resource exists, node names equal DRBD's `on HOST` names, minor/device match, protocol C, and
 * resource-level fencing with drbd-sentinel as fence-peer handler.
 * SAFETY: "Resource-level fencing (the dopd rule)" - warns loudly and prints the snippet to add.
 */
export function checkDrbdConfig(dump: DrbdConfigDump, input: DrbdConfigCheckInput): DrbdConfigCheckResult {
  const warnings: DrbdConfigWarning[] = [];
  const snippets: Record<string, string> = {};
  for (const exp of input.resources) {
    const warn = (code: DrbdConfigWarningCode, message: string) =>
      warnings.push({ code, resource: exp.name, message });
    const res = dump.resources.find((r) => r.name === exp.name);
    if (res === undefined) {
      warn(
        'resource-not-in-drbd',
        `resource ${exp.name} is not defined in DRBD's configuration (drbdadm dump-xml knows: ${dump.resources.map((r) => r.name).join(', ') || 'none'})`,
      );
      continue;
    }
    if (checkResource(exp, res, input, warn))
      snippets[exp.name] = fencingSnippet(
        exp.name,
        input.sentinelPath,
        input.drbdMajor ?? 8,
        input.fencingPolicy === 'stonith' ? 'resource-and-stonith' : 'resource-only',
      );
  }
  return { warnings, snippets };
}
