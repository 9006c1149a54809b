/**
 * `drbdadm` and `drbdsetup` (8.4 flavour, as drbd-utils 9 dispatches them to drbdadm-84 /
 * drbdsetup-84) against a simulated node: the commands the daemon and the scenarios use, with
 * DRBD's output texts and exit codes.
 */
import type { Clock } from '../common/clock.js';
import type { SimNode } from './node.js';
import { SETUP_OK, type SetupOutcome } from './state-errors.js';
import type { SimCommandResult } from './types.js';
import { events2NowLines } from './views.js';

const SETUP = 'drbdsetup-84';
/** drbdadm gives a drbdsetup call this long before it reports "did not terminate" (SLEEPS_SHORT). */
export const DRBDADM_SHORT_WAIT_MS = 5000;

export interface Events2Args {
  readonly now: boolean;
  readonly timestamps: boolean;
  readonly statistics: boolean;
}

/** Parses `events2 [RESOURCE|all] [--now] [--timestamps] [--statistics]`; `--poll`/`--full` are rc 20 in 8.4. */
export function parseEvents2Args(
  args: readonly string[],
): { ok: true; value: Events2Args } | { ok: false; result: SimCommandResult } {
  let now = false;
  let timestamps = false;
  let statistics = false;
  for (const a of args) {
    if (a === '--now') now = true;
    else if (a === '--timestamps') timestamps = true;
    else if (a === '--statistics') statistics = true;
    else if (a.startsWith('-'))
      return {
        ok: false,
        result: { stdout: '', stderr: `${SETUP}: unrecognized option '${a}'\n`, exitCode: 20 },
      };
  }
  return { ok: true, value: { now, timestamps, statistics } };
}

function ipv(addr: string): string {
  return `ipv4:${addr}`;
}

function out(o: SetupOutcome): SimCommandResult {
  return { stdout: o.stdout, stderr: o.stderr, exitCode: o.exitCode };
}

/** Races `p` against drbdadm's 5 s wait on the node's clock. */
function withShortWait(clock: Clock, p: Promise<SetupOutcome>): Promise<SetupOutcome | 'timeout'> {
  return new Promise((resolve) => {
    let done = false;
    const cancel = clock.setTimer(DRBDADM_SHORT_WAIT_MS, () => {
      if (!done) {
        done = true;
        resolve('timeout');
      }
    });
    void p.then((r) => {
      if (!done) {
        done = true;
        cancel();
        resolve(r);
      }
    });
  });
}

function notAllocated(node: SimNode, cmd: string): SimCommandResult {
  const m = node.config.minor;
  return {
    stdout: '',
    stderr: `${m}: Failure: (127) Device minor not allocated\nadditional info from kernel:\nunknown minor\nCommand '${SETUP} ${cmd}' terminated with exit code 10\n`,
    exitCode: 10,
  };
}

/** Wraps a drbdsetup outcome the way drbdadm reports a failed child. */
function adm(o: SetupOutcome, setupCmd: string): SimCommandResult {
  if (o.exitCode === 0) return out(o);
  return {
    stdout: o.stdout,
    stderr: `${o.stderr}Command '${SETUP} ${setupCmd}' terminated with exit code ${o.exitCode}\n`,
    exitCode: o.exitCode,
  };
}

function splitArgs(argv: readonly string[]): { options: Set<string>; positional: string[] } {
  const options = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--') continue;
    if (a === '-c' || a === '--config-file') {
      i++; // the simulator has one built-in configuration
      continue;
    }
    if (a.startsWith('-')) options.add(a.replace(/=.*$/, ''));
    else positional.push(a);
  }
  return { options, positional };
}

/** `drbdadm dump-xml` in drbdadm-84's layout: the parts of the node's configuration the daemon reads. */
function dumpXml(node: SimNode): string {
  const c = node.config;
  const host = (name: string, address: string) => {
    const [ip, port] = address.split(':');
    return [
      `        <host name="${name}">`,
      '            <volume vnr="0">',
      `                <device minor="${c.minor}">/dev/drbd${c.minor}</device>`,
      `                <disk>${c.backingDevice}</disk>`,
      '                <meta-disk>internal</meta-disk>',
      '            </volume>',
      `            <address family="ipv4" port="${port ?? ''}">${ip ?? ''}</address>`,
      '        </host>',
    ];
  };
  return [
    '<config file="/etc/drbd.conf">',
    `    <resource name="${c.resource}" conf-file-line="/etc/drbd.d/${c.resource}.res:1">`,
    ...host(c.name, c.address),
    ...host(c.peerName, c.peerAddress),
    '        <section name="net">',
    '            <option name="protocol" value="C"/>',
    '        </section>',
    '        <section name="disk">',
    `            <option name="fencing" value="${c.fencing}"/>`,
    '        </section>',
    '    </resource>',
    '</config>',
    '',
  ].join('\n');
}

/** `drbdadm ARGS` on `node` (non-streaming; `events2` is `drbdsetup`'s). Never throws. */
export async function runDrbdadm(
  node: SimNode,
  clock: Clock,
  argv: readonly string[],
): Promise<SimCommandResult> {
  const { options, positional } = splitArgs(argv);
  const [cmd, res] = positional;
  const c = node.config;
  const m = c.minor;
  if (cmd === undefined)
    return { stdout: '', stderr: 'USAGE: drbdadm COMMAND [OPTION...] {all|RESOURCE...}\n', exitCode: 20 };
  if (cmd === 'dump-xml' && (res === undefined || res === c.resource))
    return { stdout: dumpXml(node), stderr: '', exitCode: 0 };
  if (res === undefined)
    return { stdout: '', stderr: `drbdadm ${cmd}: missing resource name\n`, exitCode: 20 };
  if (res !== 'all' && res !== c.resource && res !== `${c.resource}/0`)
    return { stdout: '', stderr: `'${res}' not defined in your config (for this host).\n`, exitCode: 10 };
  if (!node.powered) return { stdout: '', stderr: 'Could not connect to the kernel module\n', exitCode: 20 };
  const force = options.has('--force') || options.has('--overwrite-data-of-peer');
  switch (cmd) {
    case 'role':
      if (!node.up) return notAllocated(node, `role ${m}`);
      return { stdout: `${node.role}/${node.linked ? node.peerRole : 'Unknown'}\n`, stderr: '', exitCode: 0 };
    case 'cstate':
      if (!node.up) return notAllocated(node, `cstate ${m}`);
      return { stdout: `${node.cstate}\n`, stderr: '', exitCode: 0 };
    case 'dstate':
      if (!node.up) return notAllocated(node, `dstate ${m}`);
      return { stdout: `${node.disk}/${node.peerDisk}\n`, stderr: '', exitCode: 0 };
    case 'sh-minor':
      return { stdout: `${m}\n`, stderr: '', exitCode: 0 };
    case 'show-gi':
    case 'get-gi':
      if (!node.up) return notAllocated(node, `${cmd} ${m}`);
      return { stdout: giText(node, cmd === 'show-gi'), stderr: '', exitCode: 0 };
    case 'primary': {
      if (!node.up) return notAllocated(node, `primary ${m}`);
      return adm(await node.promote(force), `primary ${m}${force ? ' --force' : ''}`);
    }
    case 'secondary':
      if (!node.up) return notAllocated(node, `secondary ${m}`);
      return adm(await node.demote(), `secondary ${m}`);
    case 'outdate': {
      if (!node.up) return notAllocated(node, `outdate ${m}`);
      const o = node.outdate();
      // drbdadm-84 reports an outdate refusal only through its exit code (see the fixtures' README).
      if (o.exitCode === 17 || o.exitCode === 0) return { stdout: '', stderr: '', exitCode: o.exitCode };
      return adm(o, `outdate ${m}`);
    }
    case 'connect': {
      if (!node.up) return notAllocated(node, `connect ${c.resource}`);
      return adm(
        node.connect(options.has('--discard-my-data')),
        `connect ${c.resource} ${ipv(c.address)} ${ipv(c.peerAddress)}`,
      );
    }
    case 'disconnect': {
      if (!node.up) return SETUP_OK_RESULT;
      const r = await withShortWait(clock, node.disconnect());
      const cmdline = `${SETUP} disconnect ${ipv(c.address)} ${ipv(c.peerAddress)}`;
      if (r === 'timeout')
        return {
          stdout: '',
          stderr: `Command '${cmdline}' did not terminate within 5 seconds\n`,
          exitCode: 20,
        };
      return adm(r, `disconnect ${ipv(c.address)} ${ipv(c.peerAddress)}`);
    }
    case 'up':
      return admAttach(node.upResource(), m);
    case 'down': {
      const r = await withShortWait(clock, node.down());
      if (r === 'timeout')
        return {
          stdout: '',
          stderr: `Command '${SETUP} down ${c.resource}' did not terminate within 5 seconds\n`,
          exitCode: 20,
        };
      return adm(r, `down ${c.resource}`);
    }
    case 'adjust': {
      if (!node.up) return admAttach(node.upResource(), m);
      if (node.disk === 'Diskless' && !node.md.diskBroken) {
        const a = node.attach();
        if (a.exitCode !== 0) return admAttach(a, m);
      }
      if (!node.netConfigured)
        return adm(node.connect(false), `connect ${c.resource} ${ipv(c.address)} ${ipv(c.peerAddress)}`);
      return SETUP_OK_RESULT;
    }
    case 'create-md':
      return out(node.createMetadata());
    case 'attach':
      if (!node.up) return notAllocated(node, `attach ${m} /dev/vdb /dev/vdb internal`);
      return admAttach(node.attach(), m);
    case 'detach':
      if (!node.up) return notAllocated(node, `detach ${m}`);
      return adm(node.detach('admin'), `detach ${m}`);
    case 'verify':
      if (!node.up) return notAllocated(node, `verify ${m}`);
      return adm(node.verify(), `verify ${m}`);
    case 'resume-io':
      if (!node.up) return notAllocated(node, `resume-io ${m}`);
      return adm(node.resumeIoCommand(), `resume-io ${m}`);
    default:
      return { stdout: '', stderr: `drbdadm: Unknown command '${cmd}'\n`, exitCode: 20 };
  }
}

const SETUP_OK_RESULT: SimCommandResult = out(SETUP_OK);

/** Attach failures come from drbdmeta and carry their own "Command ..." line already. */
function admAttach(o: SetupOutcome, minor: number): SimCommandResult {
  if (o.exitCode === 0 || o.stderr.includes("Command '")) return out(o);
  return adm(o, `attach ${minor} /dev/mapper/lower /dev/mapper/lower internal`);
}

/** `get-gi` / `show-gi` text: the generation identifiers and the metadata flags. */
function giText(node: SimNode, verbose: boolean): string {
  const u = node.md.uuids;
  const flags = [
    node.md.consistent ? 1 : 0,
    node.disk === 'UpToDate' ? 1 : 0,
    node.md.crashedPrimary ? 1 : 0,
    node.linked ? 1 : 0,
    node.md.outdated ? 1 : 0,
    node.md.peerOutdated ? 1 : 0,
  ];
  const line = `${u.current}:${u.bitmap}:${u.history[0]}:${u.history[1]}:${flags.join(':')}\n`;
  if (!verbose) return line;
  return `${line}\n       +--<  Current data generation UUID  >-\n       |               +--<  Bitmap's base data generation UUID  >-\n       |               |                 +--<  younger history UUID  >-\n       |               |                 |         +-<  older history  >-\n       V               V                 V         V\n`;
}

/** `drbdsetup ARGS` on `node` (non-streaming; `events2` only with `--now`). Never throws. */
export async function runDrbdsetup(
  node: SimNode,
  clock: Clock,
  argv: readonly string[],
): Promise<SimCommandResult> {
  const { options, positional } = splitArgs(argv);
  const [cmd, obj] = positional;
  const c = node.config;
  const m = String(c.minor);
  if (cmd === undefined)
    return { stdout: '', stderr: `USAGE: ${SETUP} command device arguments options\n`, exitCode: 20 };
  if (cmd === 'events2') {
    const p = parseEvents2Args(argv.slice(1).filter((a) => a.startsWith('-')));
    if (!p.ok) return p.result;
    const lines = node.powered ? events2NowLines(node, p.value) : [];
    return { stdout: lines.map((l) => `${l}\n`).join(''), stderr: '', exitCode: 0 };
  }
  if (!node.powered) return { stdout: '', stderr: 'Could not connect to the kernel module\n', exitCode: 20 };
  const minorCmd = (f: () => SetupOutcome | Promise<SetupOutcome>) => async (): Promise<SimCommandResult> => {
    if (obj !== m && obj !== c.resource)
      return {
        stdout: '',
        stderr: `${obj ?? ''}: Failure: (127) Device minor not allocated\n`,
        exitCode: 10,
      };
    if (!node.up)
      return {
        stdout: '',
        stderr: `${m}: Failure: (127) Device minor not allocated\nadditional info from kernel:\nunknown minor\n`,
        exitCode: 10,
      };
    return out(await f());
  };
  switch (cmd) {
    case 'role':
      return minorCmd(() => ({
        stdout: `${node.role}/${node.linked ? node.peerRole : 'Unknown'}\n`,
        stderr: '',
        exitCode: 0,
      }))();
    case 'cstate':
      return minorCmd(() => ({ stdout: `${node.cstate}\n`, stderr: '', exitCode: 0 }))();
    case 'dstate':
      return minorCmd(() => ({ stdout: `${node.disk}/${node.peerDisk}\n`, stderr: '', exitCode: 0 }))();
    case 'show-gi':
    case 'get-gi':
      return minorCmd(() => ({ stdout: giText(node, cmd === 'show-gi'), stderr: '', exitCode: 0 }))();
    case 'primary':
      return minorCmd(() =>
        node.promote(options.has('--force') || options.has('--overwrite-data-of-peer')),
      )();
    case 'secondary':
      return minorCmd(() => node.demote())();
    case 'outdate':
      return minorCmd(() => node.outdate())();
    case 'verify':
      return minorCmd(() => node.verify())();
    case 'resume-io':
      return minorCmd(() => node.resumeIoCommand())();
    case 'detach':
      return minorCmd(() => node.detach('admin'))();
    case 'disconnect':
      return out(await node.disconnect());
    case 'connect':
      return out(node.connect(options.has('--discard-my-data')));
    case 'down':
      return out(await node.down());
    default:
      void clock;
      return { stdout: '', stderr: `${SETUP}: unknown command '${cmd}'\n`, exitCode: 20 };
  }
}
