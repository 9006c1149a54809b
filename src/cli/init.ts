import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../common/errors.js';
import type { RunOptions, CommandOutcome } from '../common/exec.js';
import { formatProblem, parseConfigText } from '../config/index.js';
import {
  createDrbdCommands,
  formatParseError,
  parseDumpXml,
  parseProcDrbd,
  type DrbdConfigDump,
} from '../drbd/index.js';
import {
  assessSecret,
  createSecret,
  nextSteps,
  parseFstab,
  planInit,
  renderInitConfig,
} from '../init/index.js';
import { CliExit } from './program-exit.js';

/** Test seams; production runs drbdadm, reads /etc/fstab and /proc/drbd, and uses `uname -n`. */
export interface InitDeps {
  readonly hostname?: () => string;
  readonly run?: (argv: readonly string[], o: RunOptions) => Promise<CommandOutcome>;
  /** The packaged example configuration: a config.yaml still equal to it is replaced without --force. */
  readonly examplePath?: string;
  readonly procDrbd?: string;
}

interface InitOptions {
  force?: boolean;
  node?: string;
  fstab: string;
  dumpXml?: string;
  drbdadm: string;
  address?: string[];
  fenceCommand?: string[];
  fencingPolicy?: string;
  clusterName?: string;
  secretFile: string;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];
/** Bad input: nothing was written; the message names what is missing. */
const badInput = (message: string) => new CliExit(EXIT.CONFIG, `init: nothing written: ${message}`);

async function readDump(o: InitOptions, deps: InitDeps): Promise<DrbdConfigDump> {
  if (o.dumpXml !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.dumpXml, 'utf8');
    } catch (e) {
      throw badInput(`cannot read the DRBD configuration dump ${o.dumpXml}: ${(e as Error).message}`);
    }
    const p = parseDumpXml(text);
    if (!p.ok)
      throw badInput(`${o.dumpXml} is not \`drbdadm dump-xml\` output: ${formatParseError(p.error)}`);
    return p.value;
  }
  const commands = createDrbdCommands({ drbdadm: o.drbdadm, ...(deps.run ? { run: deps.run } : {}) });
  const dump = await commands.dumpXml(null, { timeoutMs: 10_000 });
  if (!dump.ok) {
    const e = dump.error;
    if (e.kind === 'spawn-error')
      throw badInput(`no DRBD configuration: ${o.drbdadm} cannot be run (${e.message}); install drbd-utils`);
    throw badInput(
      `no usable DRBD configuration: \`${e.argv.join(' ')}\` failed (${e.message}${e.stderr.trim() ? `: ${e.stderr.trim().split('\n')[0]}` : ''}); DRBD's resources (/etc/drbd.d/*.res) come first`,
    );
  }
  return dump.value;
}

function readFstab(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw badInput(`cannot read ${path}: ${(e as Error).message}`);
  }
}

function drbdMajor(procPath: string): number {
  try {
    const p = parseProcDrbd(readFileSync(procPath, 'utf8'));
    return p.ok ? (p.value.version?.major ?? 8) : 8;
  } catch {
    return 8; // no module loaded yet: the 8.4 syntax of the guide
  }
}

/** `--address NODE=IP` into node -> addresses, in the order given. */
function parseAddresses(values: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of values) {
    const m = /^([^=]+)=(.+)$/.exec(v);
    if (!m) throw badInput(`--address ${v}: expected NODE=IP`);
    (out[m[1] as string] ??= []).push(m[2] as string);
  }
  return out;
}

/** Writes next to the target and renames, so a crash never leaves half a configuration. */
function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.init-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o644, flag: 'wx' });
  renameSync(tmp, path);
}

/**
 * `drbd-sentinel init`: writes the configuration of the pair from `drbdadm dump-xml`, /etc/fstab and
 * `uname -n`, takes or creates the shared secret, prints the DRBD snippet and the next commands.
 */
export function registerInitCommand(program: Command, deps: InitDeps = {}): void {
  program
    .command('init')
    .description(
      "write the configuration from DRBD's own (drbdadm dump-xml, /etc/fstab) and create the secret",
    )
    .option('--force', 'replace an existing configuration file')
    .option('--node <name>', "this node's DRBD host name (default: `uname -n`)")
    .option(
      '--fence-command <command>',
      'node fence agent, arguments split at spaces (repeatable; sets policy stonith)',
      collect,
    )
    .option(
      '--fencing-policy <policy>',
      'stonith or resource-only (default: stonith with a fence command, else resource-only)',
    )
    .option(
      '--address <node=ip>',
      'heartbeat address of a node on a further link (repeatable, one per node and link)',
      collect,
    )
    .option('--cluster-name <name>', 'name of the pair (default: the two DRBD host names)')
    .option('--secret-file <path>', 'the shared key file to take or create', '/etc/drbd-sentinel/secret')
    .option('--fstab <file>', 'where the mount points are read from', '/etc/fstab')
    .option('--dump-xml <file>', 'read `drbdadm dump-xml` output from FILE instead of running drbdadm')
    .option('--drbdadm <path>', 'drbdadm to run', 'drbdadm')
    .addHelpText(
      'after',
      `
Writes the global -c/--config FILE (default /etc/drbd-sentinel/config.yaml): the two nodes and their
replication addresses (the first heartbeat link), each DRBD resource with its device and the mount
point /etc/fstab gives it, and the fencing. Both nodes write the same file from the same DRBD
configuration. An existing file is replaced only with --force (or when it is still the packaged example).
The secret (mode 0600) is taken when it exists, else created: create it on one node and copy it to the
other before running init there.

Exit codes: 0 written, 1 refused (the file exists) or failed, 2 usage error, 78 bad input (no DRBD
configuration, this host not in it, an unparseable dump-xml, a bad secret file): nothing written.`,
    )
    .action(async (o: InitOptions, cmd: Command) => {
      const file = String((cmd.optsWithGlobals() as { config?: string }).config);
      if (existsSync(file) && !o.force) {
        const example =
          deps.examplePath ?? new URL('../../config/drbd-sentinel.yaml', import.meta.url).pathname;
        const isExample = existsSync(example) && readFileSync(file, 'utf8') === readFileSync(example, 'utf8');
        if (!isExample)
          throw new CliExit(
            EXIT.FAILURE,
            `init refused (config-exists): ${file} exists; pass --force to replace it`,
          );
      }
      if (
        o.fencingPolicy !== undefined &&
        o.fencingPolicy !== 'stonith' &&
        o.fencingPolicy !== 'resource-only'
      )
        throw badInput(`--fencing-policy ${o.fencingPolicy}: expected stonith or resource-only`);
      const dump = await readDump(o, deps);
      const planned = planInit({
        dump,
        fstab: parseFstab(readFstab(o.fstab)),
        hostname: o.node ?? (deps.hostname ?? osHostname)(),
        secretFile: o.secretFile,
        extraAddresses: parseAddresses(o.address ?? []),
        fenceCommands: (o.fenceCommand ?? []).map((c) => c.trim().split(/\s+/)),
        ...(o.fencingPolicy ? { fencingPolicy: o.fencingPolicy as 'stonith' | 'resource-only' } : {}),
        ...(o.clusterName ? { clusterName: o.clusterName } : {}),
      });
      if (!planned.ok) throw badInput(planned.error.message);
      const plan = planned.value;
      const text = renderInitConfig(plan);
      // The project's own validation, before anything is written.
      const valid = parseConfigText(text, file, { secretFileCheck: false });
      if (!valid.ok)
        throw badInput(
          `the configuration would be invalid:\n${valid.error.map((p) => formatProblem(p)).join('\n')}`,
        );
      const secret = assessSecret(o.secretFile);
      if (!secret.ok) throw badInput(secret.error);

      if (secret.value.kind === 'create') {
        const created = createSecret(o.secretFile);
        if (!created.ok) throw new CliExit(EXIT.FAILURE, `init: ${created.error}`);
      }
      try {
        writeAtomically(file, text);
      } catch (e) {
        throw new CliExit(EXIT.FAILURE, `init: cannot write ${file}: ${(e as Error).message}`);
      }
      const local = plan.nodes[plan.localIndex];
      process.stdout.write(
        [
          `wrote ${file} for ${local.name} (pair ${plan.nodes[0].name} + ${plan.nodes[1].name}, resources ${plan.resources.map((r) => r.name).join(', ')}, fencing ${plan.fencingPolicy})`,
          secret.value.kind === 'create'
            ? `created the shared secret ${o.secretFile} (mode 0600)`
            : `took the existing secret ${o.secretFile}`,
          ...plan.notes.map((n) => `note: ${n}`),
          '',
          nextSteps(plan, drbdMajor(deps.procDrbd ?? '/proc/drbd'), secret.value.kind === 'create'),
        ].join('\n'),
      );
    });
}
