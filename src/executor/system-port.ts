/**
 * A SystemPort on runCommand: mount, umount, fuser, systemctl, ip, fsck and arping with paths from
 * the config's `commands:` section (so the simulator's and the tests' shims can replace them), the
 * mount table from a file, signals through process.kill. Argument arrays only (no shell).
 */
import { readFileSync } from 'node:fs';
import type { CommandOutcome } from '../common/exec.js';
import { runCommand } from '../common/exec.js';
import type { Result } from '../common/result.js';
import { err, ok } from '../common/result.js';
import type { CommandRunner } from './drbd-port.js';
import { parseFuserOutput } from './fuser-output.js';
import { readMountState } from './mount-table.js';
import type { OpOptions, StepOutcome } from './outcome.js';
import { fromCommand, outputSummary, stepFailed, stepOk } from './outcome.js';
import type { FloatingAddress, Holder, QueryFailure, SignalResult, SystemPort } from './ports.js';
import { cidr } from './resource-config.js';

/** Program paths (config `commands:`). */
export interface SystemCommands {
  readonly mount: string;
  readonly umount: string;
  readonly fuser: string;
  readonly systemctl: string;
  readonly ip: string;
  readonly fsck: string;
  /** null: no gratuitous ARP is sent. */
  readonly arping: string | null;
}

export const DEFAULT_SYSTEM_COMMANDS: SystemCommands = {
  mount: 'mount',
  umount: 'umount',
  fuser: 'fuser',
  systemctl: 'systemctl',
  ip: 'ip',
  fsck: 'fsck',
  arping: 'arping',
};

export interface CommandSystemPortOptions {
  readonly commands: SystemCommands;
  /** Mount table to read (default /proc/self/mounts; the simulator's shims write their own). */
  readonly mountsFile?: string;
  readonly run?: CommandRunner;
  /** Sends a signal (default process.kill); injectable for tests. */
  readonly kill?: (pid: number, signal: NodeJS.Signals | 0) => void;
}

const errnoOf = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;

function queryFailure(o: CommandOutcome, what: string): QueryFailure {
  return {
    errorKind: o.status === 'spawn-error' ? 'spawn-error' : o.status === 'failed' ? 'failed' : 'timeout',
    detail: `${what}: ${o.status}: ${outputSummary(o)}`,
    timedOut: o.status === 'timeout' || o.status === 'aborted',
  };
}

/** True when `ip -o addr show` output lists `address/prefix`. Pure. */
export function addressListed(ipOutput: string, address: FloatingAddress): boolean {
  const want = cidr(address).toLowerCase();
  return ipOutput
    .split('\n')
    .some((line) =>
      new RegExp(`\\binet6?\\s+${want.replace(/[.]/g, '\\.')}(\\s|$)`).test(line.toLowerCase()),
    );
}

/** fsck exit codes (fsck(8)): bit 1 corrected, 2 reboot suggested, 4 left uncorrected, 8 operational, ... */
export function fsckErrorKind(exitCode: number | null): string | null {
  if (exitCode === null) return 'fsck-killed';
  if (exitCode < 4) return null;
  if (exitCode & 4) return 'fsck-errors-left';
  if (exitCode & 8) return 'fsck-operational-error';
  if (exitCode & 16) return 'fsck-usage';
  if (exitCode & 32) return 'fsck-cancelled';
  return 'fsck-library-error';
}

export function createCommandSystemPort(options: CommandSystemPortOptions): SystemPort {
  const run = options.run ?? runCommand;
  const kill = options.kill ?? ((pid, sig) => process.kill(pid, sig));
  const cmd = options.commands;
  const mountsFile = options.mountsFile ?? '/proc/self/mounts';
  const exec = (argv: readonly string[], op: OpOptions, env?: Readonly<Record<string, string>>) =>
    run(argv, {
      timeoutMs: op.timeoutMs,
      ...(op.signal ? { signal: op.signal } : {}),
      ...(env ? { env } : {}),
    });

  return {
    mountState: (device, mountPoint) => readMountState(mountsFile, device, mountPoint),

    async fsck(device, fstype, op): Promise<StepOutcome> {
      const o = await exec([cmd.fsck, '-T', '-t', fstype, '-p', device], op);
      const what = `fsck -p ${device}`;
      if (o.status === 'failed') {
        const kind = fsckErrorKind(o.exitCode);
        // 1: errors corrected; 2/3: "reboot suggested", which concerns a mounted root fs, not an unmounted data fs.
        if (kind === null) return stepOk(`${what}: exit ${o.exitCode} (errors corrected)`);
        // SAFETY: a file system fsck could not repair needs an operator; never retried automatically.
        return stepFailed(kind, `${what}: exit ${o.exitCode}: ${outputSummary(o)}`, false);
      }
      return fromCommand(o, what, { retrySafeOnFailure: false, retrySafeOnTimeout: false });
    },

    async mount(device, mountPoint, fstype, mountOptions, op) {
      const args = ['-t', fstype, ...(mountOptions.length > 0 ? ['-o', mountOptions.join(',')] : [])];
      const o = await exec([cmd.mount, ...args, device, mountPoint], op);
      return fromCommand(o, `mount ${device} ${mountPoint}`, {
        retrySafeOnFailure: true,
        retrySafeOnTimeout: true,
        classifyFailure: () => 'mount-failed',
      });
    },

    async umount(mountPoint, op) {
      const o = await exec([cmd.umount, mountPoint], op);
      const text = o.status === 'failed' ? `${o.stderr}\n${o.stdout}` : '';
      if (o.status === 'failed' && /not mounted|no mount point specified/i.test(text))
        return stepOk(`umount ${mountPoint}: not mounted`);
      return fromCommand(o, `umount ${mountPoint}`, {
        retrySafeOnFailure: true,
        retrySafeOnTimeout: true,
        classifyFailure: (f) => (/busy/i.test(`${f.stderr}\n${f.stdout}`) ? 'busy' : 'umount-failed'),
      });
    },

    async findHolders(mountPoint, op): Promise<Result<readonly Holder[], QueryFailure>> {
      const o = await exec([cmd.fuser, '-vm', mountPoint], op);
      if (o.status === 'ok') return ok(parseFuserOutput(o.stdout, o.stderr));
      // fuser exits 1 when no process uses the file system.
      if (o.status === 'failed' && o.exitCode === 1) return ok(parseFuserOutput(o.stdout, o.stderr));
      return err(queryFailure(o, `fuser -vm ${mountPoint}`));
    },

    signal(pid, signal): SignalResult {
      try {
        kill(pid, signal);
        return 'sent';
      } catch (e) {
        return errnoOf(e) === 'ESRCH' ? 'no-such-process' : 'error';
      }
    },

    isAlive(pid) {
      try {
        kill(pid, 0);
      } catch (e) {
        // EPERM: it exists but is not ours to signal.
        return errnoOf(e) === 'EPERM';
      }
      // A zombie holds no files: it only waits for its parent to reap it.
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
      } catch {
        return true;
      }
    },

    processCommand(pid) {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        return null;
      }
    },

    async serviceActive(unit, op) {
      const o = await exec([cmd.systemctl, 'is-active', '--quiet', unit], op);
      if (o.status === 'ok') return ok(true);
      if (o.status === 'failed') return ok(false);
      return err(queryFailure(o, `systemctl is-active ${unit}`));
    },

    async startService(unit, op) {
      return fromCommand(await exec([cmd.systemctl, 'start', unit], op), `systemctl start ${unit}`, {
        retrySafeOnFailure: true,
        retrySafeOnTimeout: true,
        classifyFailure: () => 'service-start-failed',
      });
    },

    async stopService(unit, op) {
      return fromCommand(await exec([cmd.systemctl, 'stop', unit], op), `systemctl stop ${unit}`, {
        retrySafeOnFailure: true,
        retrySafeOnTimeout: true,
        classifyFailure: () => 'service-stop-failed',
      });
    },

    async addressPresent(address, op) {
      const o = await exec([cmd.ip, '-o', 'addr', 'show', 'dev', address.device], op);
      if (o.status === 'ok') return ok(addressListed(o.stdout, address));
      return err(queryFailure(o, `ip -o addr show dev ${address.device}`));
    },

    async addAddress(address, op) {
      const o = await exec([cmd.ip, 'addr', 'add', cidr(address), 'dev', address.device], op);
      // Idempotent: "RTNETLINK answers: File exists" means it is there already.
      if (o.status === 'failed' && /File exists/i.test(o.stderr))
        return stepOk(`${cidr(address)} already on ${address.device}`);
      return fromCommand(o, `ip addr add ${cidr(address)} dev ${address.device}`, {
        retrySafeOnFailure: true,
        retrySafeOnTimeout: true,
        classifyFailure: () => 'address-add-failed',
      });
    },

    async removeAddress(address, op) {
      const o = await exec([cmd.ip, 'addr', 'del', cidr(address), 'dev', address.device], op);
      // Idempotent: "Cannot assign requested address" means it is gone already.
      if (o.status === 'failed' && /Cannot assign requested address/i.test(o.stderr))
        return stepOk(`${cidr(address)} not on ${address.device}`);
      return fromCommand(o, `ip addr del ${cidr(address)} dev ${address.device}`, {
        retrySafeOnFailure: true,
        retrySafeOnTimeout: true,
        classifyFailure: () => 'address-remove-failed',
      });
    },

    async announceAddress(address, op) {
      if (cmd.arping === null) return stepOk('no arping configured');
      if (address.address.includes(':')) return stepOk('IPv6: the kernel announces the address itself');
      const o = await exec([cmd.arping, '-U', '-c', '3', '-I', address.device, address.address], op);
      // Best effort: a missing or failing arping delays neighbours' caches, it does not fail the takeover.
      if (o.status === 'ok') return stepOk(`gratuitous ARP sent for ${address.address}`);
      return stepOk(`gratuitous ARP for ${address.address} not sent: ${o.status}: ${outputSummary(o)}`);
    },

    async runHandler(argv, env, op) {
      return fromCommand(await exec(argv, op, env), argv.join(' '), {
        retrySafeOnFailure: false,
        retrySafeOnTimeout: false,
        classifyFailure: () => 'handler-failed',
      });
    },
  };
}
