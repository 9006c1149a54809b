/**
 * `drbd-sentinel sim ...`: the DRBD 8.4 simulator's processes and their shell interface
 * (docs/simulator.md). `sim node` runs one simulated node; the other subcommands talk to it
 * through DIR/ctl.sock, DIR from --dir or DRBD_SIM_DIR.
 */
import type { Command } from 'commander';
import { EXIT } from '../common/errors.js';
import { controlRequest } from '../sim/process/control-client.js';
import type { ControlRequest } from '../sim/process/control-protocol.js';
import type { FencingPolicy, SimCommandResult } from '../sim/types.js';
import { CliExit, usageError } from './program-exit.js';

function simDir(opt: string | undefined): string {
  const dir = opt ?? process.env.DRBD_SIM_DIR;
  if (!dir) throw usageError('no simulator directory: pass --dir DIR or set DRBD_SIM_DIR');
  return dir;
}

async function request(dir: string, req: ControlRequest, onLine?: (l: string) => void): Promise<unknown> {
  const r = await controlRequest(dir, req, onLine);
  if (!r.ok) throw new CliExit(EXIT.FAILURE, r.error);
  return r.value;
}

/** Prints a drbdadm-like result and sets the exit code exactly (DRBD's codes, not the CLI's). */
function emit(r: SimCommandResult): void {
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.exitCode = r.exitCode;
}

function passthrough(
  sim: Command,
  name: 'drbdadm' | 'drbdsetup' | 'mount' | 'umount' | 'fuser',
  what: string,
): void {
  sim
    .command(name)
    .description(what)
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[args...]', `${name} arguments (put them after -- to keep options from the CLI)`)
    .action(async (args: string[]) => {
      const dir = simDir(undefined);
      if (name === 'drbdsetup' && args[0] === 'events2' && !args.includes('--now')) {
        // Streaming: lines until the node goes away or we are interrupted.
        const r = await controlRequest(dir, { op: 'drbdsetup', args }, (l) => process.stdout.write(`${l}\n`));
        if (r.ok && r.value && typeof r.value === 'object' && 'exitCode' in r.value)
          emit(r.value as SimCommandResult);
        return;
      }
      emit((await request(dir, { op: name, args })) as SimCommandResult);
    });
}

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw usageError(`not a non-negative integer: ${v}`);
  return n;
};

/** Registers `sim` and its subcommands. */
export function registerSimCommand(program: Command): void {
  const sim = program
    .command('sim')
    .description('DRBD 8.4 simulator: nodes and their drbdadm/drbdsetup interface');

  sim
    .command('node')
    .description('run one simulated DRBD node (replication over TCP to its peer)')
    .requiredOption('--dir <dir>', 'state directory (md.json, proc-drbd, ctl.sock)')
    .requiredOption('--name <name>', 'this node name')
    .requiredOption('--listen <addr:port>', 'replication address of this node')
    .requiredOption('--peer <addr:port>', 'replication address of the peer')
    .option('--peer-name <name>', 'peer node name (DRBD_PEERS)', 'peer')
    .option('--resource <name>', 'resource name', 'r0')
    .option('--minor <n>', 'device minor', int, 1)
    .option('--fencing <policy>', 'dont-care | resource-only | resource-and-stonith', 'dont-care')
    .option('--fence-peer-handler <cmd>', 'fence-peer handler (run with /bin/sh -c and DRBD_* environment)')
    .option('--init <kind>', 'metadata when DIR has none: uptodate (in sync with the peer) | new', 'uptodate')
    .option('--no-up', 'do not bring the resource up at start')
    .option('--seed <n>', 'random seed', int, 1)
    .option('--ping-int-ms <ms>', 'ping-int', int, 2000)
    .option('--ping-timeout-ms <ms>', 'ping-timeout', int, 500)
    .option('--connect-int-ms <ms>', 'connect-int', int, 2000)
    .option('--size-kib <n>', 'device size in KiB', int, 262100)
    .option('--resync-rate-kib <n>', 'resync rate in KiB/s', int, 20480)
    .action(async (o: Record<string, unknown>) => {
      const fencing = String(o.fencing);
      if (!['dont-care', 'resource-only', 'resource-and-stonith'].includes(fencing))
        throw usageError(`bad --fencing ${fencing}`);
      const init = String(o.init);
      if (init !== 'uptodate' && init !== 'new') throw usageError(`bad --init ${init}`);
      // Imported here: the drbdadm/drbdsetup/mount stand-ins need the control client, not the model.
      const { runSimNodeProcess } = await import('../sim/process/node-server.js');
      await runSimNodeProcess({
        dir: String(o.dir),
        name: String(o.name),
        peerName: String(o.peerName),
        resource: String(o.resource),
        minor: Number(o.minor),
        listen: String(o.listen),
        peer: String(o.peer),
        fencing: fencing as FencingPolicy,
        fencePeerHandler: typeof o.fencePeerHandler === 'string' ? o.fencePeerHandler : null,
        init,
        up: o.up !== false,
        seed: Number(o.seed),
        pingIntMs: Number(o.pingIntMs),
        pingTimeoutMs: Number(o.pingTimeoutMs),
        connectIntMs: Number(o.connectIntMs),
        sizeKiB: Number(o.sizeKib),
        resyncRateKiBps: Number(o.resyncRateKib),
      });
    });

  passthrough(sim, 'drbdadm', 'drbdadm (8.4) against the node in DRBD_SIM_DIR');
  passthrough(sim, 'drbdsetup', 'drbdsetup (8.4, incl. events2 streaming) against the node in DRBD_SIM_DIR');
  passthrough(sim, 'mount', 'mount shim: opens the simulated device (refused unless Primary)');
  passthrough(sim, 'umount', 'umount shim: closes the simulated device');
  passthrough(sim, 'fuser', 'fuser shim: lists (and with -k ends) the holders of the simulated device');

  sim
    .command('write')
    .description('write blocks on the node (the application) and print what was acknowledged')
    .option('--dir <dir>', 'node directory (default DRBD_SIM_DIR)')
    .option('--count <n>', 'number of 4 KiB writes', int, 1)
    .option('--wait-ms <ms>', 'how long to wait for acknowledgements', int, 10_000)
    .action(async (o: { dir?: string; count: number; waitMs: number }) => {
      const r = (await request(simDir(o.dir), { op: 'write', count: o.count, waitMs: o.waitMs })) as {
        acked: string[];
        pending: string[];
        failed?: string[];
        refused: string | null;
      };
      if (r.refused !== null) throw new CliExit(EXIT.FAILURE, `write refused: ${r.refused}`);
      for (const id of r.acked) process.stdout.write(`acked ${id}\n`);
      for (const id of r.pending) process.stdout.write(`pending ${id}\n`);
      for (const id of r.failed ?? []) process.stdout.write(`failed ${id}\n`);
      if (r.acked.length < o.count) process.exitCode = EXIT.FAILURE;
    });

  sim
    .command('history')
    .description('dump the writes the node holds and the ones it acknowledged (JSON)')
    .option('--dir <dir>', 'node directory (default DRBD_SIM_DIR)')
    .action(async (o: { dir?: string }) => {
      process.stdout.write(`${JSON.stringify(await request(simDir(o.dir), { op: 'history' }), null, 2)}\n`);
    });

  const simple = (name: 'crash' | 'repair-disk' | 'hold' | 'release', what: string) =>
    sim
      .command(name)
      .description(what)
      .option('--dir <dir>', 'node directory (default DRBD_SIM_DIR)')
      .action(async (o: { dir?: string }) => {
        await request(simDir(o.dir), { op: name });
      });
  simple('crash', 'power loss: volatile state lost, metadata kept; the peer notices by timeout');
  simple('repair-disk', 'the failed backing disk works again (attach needed)');
  simple('hold', 'a process keeps the mounted device busy (secondary/umount refused)');
  simple('release', 'the holding process ends');

  sim
    .command('restart')
    .description('power on after a crash (DRBD brought up unless --no-up)')
    .option('--dir <dir>', 'node directory (default DRBD_SIM_DIR)')
    .option('--no-up', 'leave DRBD unconfigured')
    .action(async (o: { dir?: string; up: boolean }) => {
      await request(simDir(o.dir), { op: 'restart', up: o.up });
    });

  sim
    .command('fail-disk')
    .description('the backing disk fails: on-io-error detach at the next I/O (--now: at once)')
    .option('--dir <dir>', 'node directory (default DRBD_SIM_DIR)')
    .option('--now', 'notice at once')
    .action(async (o: { dir?: string; now?: boolean }) => {
      await request(simDir(o.dir), { op: 'fail-disk', now: o.now === true });
    });
}
