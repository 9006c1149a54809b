/**
 * One simulated DRBD node as a process (`drbd-sentinel sim node`): the model on the system clock,
 * replication over TCP, metadata persisted in DIR/md.json, /proc/drbd mirrored to DIR/proc-drbd,
 * and a control socket DIR/ctl.sock (JSON lines) that the `sim drbdadm|drbdsetup|write|...`
 * commands talk to.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../common/clock.js';
import { runCommand } from '../../common/exec.js';
import { runDrbdadm, runDrbdsetup, parseEvents2Args } from '../commands.js';
import { renderEvents2Line } from '../events2-format.js';
import { freshMetadata, SimNode } from '../node.js';
import { hash32, SeededRng } from '../rng.js';
import type { FencingPolicy, SimCommandResult, SimMetadata } from '../types.js';
import { DEFAULT_NODE_CONFIG } from '../types.js';
import { DEFAULT_AFTER_SB } from '../uuid-rules.js';
import { events2NowLines, procDrbdText } from '../views.js';
import { parseHostPort, TcpTransport } from './tcp-transport.js';
import type { ControlRequest } from './control-protocol.js';
import { LineSplitter } from '../../common/line-splitter.js';

export interface SimNodeProcessOptions {
  readonly dir: string;
  readonly name: string;
  readonly peerName: string;
  readonly resource: string;
  readonly minor: number;
  readonly listen: string;
  readonly peer: string;
  readonly fencing: FencingPolicy;
  readonly fencePeerHandler: string | null;
  /** `uptodate`: fresh metadata already in sync with the peer; `new`: just created. */
  readonly init: 'uptodate' | 'new';
  readonly up: boolean;
  readonly seed: number;
  readonly pingIntMs: number;
  readonly pingTimeoutMs: number;
  readonly connectIntMs: number;
  readonly sizeKiB: number;
  readonly resyncRateKiBps: number;
}

/** Runs the node until SIGTERM/SIGINT; resolves when it has shut down. */
export async function runSimNodeProcess(o: SimNodeProcessOptions): Promise<void> {
  mkdirSync(o.dir, { recursive: true });
  const mdPath = join(o.dir, 'md.json');
  const procPath = join(o.dir, 'proc-drbd');
  // The node's mount table in /proc/self/mounts format, for the daemon's `commands.mounts-file`.
  const mountsPath = join(o.dir, 'mounts');
  const sockPath = join(o.dir, 'ctl.sock');
  const listen = parseHostPort(o.listen);
  const peer = parseHostPort(o.peer);
  if (!listen || !peer) throw new Error('bad --listen or --peer (ADDR:PORT)');
  const md: SimMetadata = existsSync(mdPath)
    ? (JSON.parse(readFileSync(mdPath, 'utf8')) as SimMetadata)
    : freshMetadata(o.init === 'new' ? null : new SeededRng(hash32(o.resource)).uuid());
  const transport = new TcpTransport(listen, peer, o.connectIntMs);
  const fencePeer = o.fencePeerHandler
    ? async (env: Readonly<Record<string, string>>) => {
        const r = await runCommand(['/bin/sh', '-c', o.fencePeerHandler ?? 'exit 0'], {
          timeoutMs: 600_000,
          env,
        });
        return r.status === 'ok' ? 0 : r.status === 'failed' ? (r.exitCode ?? 1) : 1;
      }
    : undefined;
  const node = new SimNode(
    {
      ...DEFAULT_NODE_CONFIG,
      afterSb: DEFAULT_AFTER_SB,
      name: o.name,
      peerName: o.peerName,
      resource: o.resource,
      minor: o.minor,
      address: o.listen,
      peerAddress: o.peer,
      fencing: o.fencing,
      pingIntMs: o.pingIntMs,
      pingTimeoutMs: o.pingTimeoutMs,
      connectIntMs: o.connectIntMs,
      sizeKiB: o.sizeKiB,
      resyncRateKiBps: o.resyncRateKiBps,
      verifyAlg: 'crc32c',
      ...(fencePeer ? { fencePeer } : {}),
    },
    {
      clock: systemClock,
      rng: new SeededRng((o.seed ^ hash32(o.name) ^ Date.now()) >>> 0),
      transport,
      wallNowMs: () => Date.now(),
    },
    md,
  );
  transport.owner = node;
  const acked: string[] = [];
  const holders = new Map<number, ChildProcess>();
  node.onHistory((e) => {
    if (e.kind === 'write-acked') acked.push(e.id);
  });

  let lastMd = '';
  let lastProc = '';
  let lastMounts: string | null = null;
  const persist = () => {
    const mounts = [...node.mounts].map((m) => `/dev/drbd${o.minor} ${m} ext4 rw,relatime 0 0\n`).join('');
    if (mounts !== lastMounts) {
      writeFileSync(`${mountsPath}.tmp`, mounts);
      renameSync(`${mountsPath}.tmp`, mountsPath);
      lastMounts = mounts;
    }
    const m = JSON.stringify(node.metadata());
    if (m !== lastMd) {
      writeFileSync(`${mdPath}.tmp`, m);
      renameSync(`${mdPath}.tmp`, mdPath);
      lastMd = m;
    }
    const p = procDrbdText(node);
    if (p !== lastProc) {
      writeFileSync(`${procPath}.tmp`, p);
      renameSync(`${procPath}.tmp`, procPath);
      lastProc = p;
    }
  };
  // Protocol C: a peer acknowledges a replicated write only once it is on its disk, which for this
  // process is md.json. Persisting on the 100 ms tick alone let a power-off (SIGKILL) right after the
  // ack lose a write the Primary had counted as acknowledged (found by the chaos tier, seed 1010).
  const sendNow = transport.send.bind(transport);
  transport.send = (session, msg) => {
    if (msg.t === 'write-ack') persist();
    sendNow(session, msg);
  };
  await transport.start();
  if (o.up) node.upResource();
  persist();
  const ticker = setInterval(persist, 100);

  const handle = async (req: ControlRequest, sock: net.Socket): Promise<unknown> => {
    switch (req.op) {
      case 'drbdadm':
        return runDrbdadm(node, systemClock, req.args);
      case 'drbdsetup': {
        if (req.args[0] === 'events2' && !req.args.includes('--now')) {
          const p = parseEvents2Args(req.args.slice(1).filter((a) => a.startsWith('-')));
          if (!p.ok) return p.result;
          for (const l of events2NowLines(node, p.value)) sock.write(`${JSON.stringify({ line: l })}\n`);
          const unsubscribe = node.subscribe((rec) => {
            if (!sock.destroyed) sock.write(`${JSON.stringify({ line: renderEvents2Line(rec, p.value) })}\n`);
          });
          await new Promise<void>((resolve) => sock.once('close', () => resolve()));
          unsubscribe();
          return null;
        }
        return runDrbdsetup(node, systemClock, req.args);
      }
      case 'write': {
        const w = node.write(req.count);
        if (w.refused !== null) return { accepted: [], acked: [], pending: [], refused: w.refused };
        const results = await Promise.all(
          w.done.map((p) =>
            Promise.race([p, new Promise<null>((r) => setTimeout(() => r(null), req.waitMs))]),
          ),
        );
        const ids = w.accepted.map((x) => x.id);
        return {
          accepted: ids,
          acked: ids.filter((_, i) => results[i] === true),
          failed: ids.filter((_, i) => results[i] === false),
          pending: ids.filter((_, i) => results[i] === null),
          refused: null,
        };
      }
      case 'history':
        return { node: o.name, held: node.heldWrites(), acked, metadata: node.metadata() };
      case 'crash':
        for (const h of holders.values()) h.kill('SIGKILL'); // power loss: the application dies too
        node.crash();
        transport.forgetAll();
        acked.length = 0;
        return { ok: true };
      case 'restart':
        transport.dropAll();
        node.powerOn();
        if (req.up) node.upResource();
        return { ok: true };
      case 'fail-disk':
        node.failDisk(req.now);
        return { ok: true };
      case 'repair-disk':
        node.repairDisk();
        return { ok: true };
      case 'hold': {
        // A real process stands for the application holding the device: fuser lists its PID, and the
        // daemon's busy-umount escalation (SIGTERM, SIGKILL) ends it, which releases the hold.
        // `read` on a pipe from this process: the holder also ends when the simulated node dies.
        const holder = spawn('/bin/sh', ['-c', 'read _'], { stdio: ['pipe', 'ignore', 'ignore'] });
        if (holder.pid === undefined) return { ok: false, holds: node.holds };
        node.hold();
        holders.set(holder.pid, holder);
        holder.on('exit', () => {
          if (holder.pid !== undefined && holders.delete(holder.pid)) node.release();
        });
        return { ok: true, holds: node.holds, pid: holder.pid };
      }
      case 'release': {
        const [first] = holders.values();
        if (first === undefined) return { ok: true, holds: node.holds };
        await new Promise<void>((resolve) => {
          first.once('exit', () => resolve());
          first.kill('SIGTERM');
        });
        return { ok: true, holds: node.holds };
      }
      case 'mount': {
        const r = mountCmd(node, req.args);
        persist(); // the mount table is current when the command returns, as with a real mount
        return r;
      }
      case 'umount': {
        const r = umountCmd(node, req.args);
        persist();
        return r;
      }
      case 'fuser':
        return fuserCmd(node, [...holders.keys()], req.args);
    }
  };

  if (existsSync(sockPath)) rmSync(sockPath);
  const server = net.createServer((sock) => {
    const lines = new LineSplitter();
    sock.on('error', () => undefined);
    sock.on('data', (chunk) => {
      lines.push(chunk);
      const line = lines.next();
      if (line === null) return;
      lines.clear();
      let req: ControlRequest;
      try {
        req = JSON.parse(line) as ControlRequest;
      } catch {
        sock.end(`${JSON.stringify({ error: 'bad request' })}\n`);
        return;
      }
      void handle(req, sock).then(
        (res) => {
          persist();
          if (res !== null && !sock.destroyed) sock.end(`${JSON.stringify({ result: res })}\n`);
        },
        (e: unknown) =>
          sock.end(`${JSON.stringify({ error: e instanceof Error ? e.message : String(e) })}\n`),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(sockPath, () => resolve()));
  process.stderr.write(`sim node ${o.name}: listening on ${o.listen}, control ${sockPath}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  clearInterval(ticker);
  for (const h of holders.values()) h.kill('SIGKILL');
  persist();
  server.close();
  transport.stop();
  if (existsSync(sockPath)) rmSync(sockPath);
  // Sockets of a dead peer or a lingering events2 client must not keep a stopped node alive.
  setTimeout(() => process.exit(0), 500).unref();
}

/** mount(8)'s operands: what is left after the options, `-t TYPE` and `-o OPTS` taking a value. */
function mountOperands(args: readonly string[]): string[] {
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-t' || a === '-o' || a === '--types' || a === '--options') i += 1;
    else if (!a.startsWith('-')) operands.push(a);
  }
  return operands;
}

function mountCmd(node: SimNode, args: readonly string[]): SimCommandResult {
  const operands = mountOperands(args);
  const dev = operands[0] ?? `/dev/drbd${node.config.minor}`;
  const dir = operands[1] ?? '/mnt';
  const r = node.mount(dir);
  if (r.ok) return { stdout: '', stderr: '', exitCode: 0 };
  if (r.reason === 'already-mounted')
    return { stdout: '', stderr: `mount: ${dir}: ${dev} already mounted on ${dir}.\n`, exitCode: 32 };
  if (r.reason === 'no-device')
    return { stdout: '', stderr: `mount: ${dir}: special device ${dev} does not exist.\n`, exitCode: 32 };
  return {
    stdout: '',
    stderr: `mount: ${dir}: cannot mount ${dev} read-only.\n       dmesg(1) may have more information after failed mount system call.\n`,
    exitCode: 32,
  };
}

function umountCmd(node: SimNode, args: readonly string[]): SimCommandResult {
  const target = args.filter((a) => !a.startsWith('-'))[0] ?? '';
  if (node.holds > 0 && (node.mounts.has(target) || target === `/dev/drbd${node.config.minor}`))
    return { stdout: '', stderr: `umount: ${target}: target is busy.\n`, exitCode: 32 };
  return node.umount(target)
    ? { stdout: '', stderr: '', exitCode: 0 }
    : { stdout: '', stderr: `umount: ${target}: not mounted.\n`, exitCode: 32 };
}

/**
 * `fuser [-k] [-m] [-v] TARGET`: the holders are the real processes `sim hold` started; like psmisc, the
 * PIDs go to stdout and the verbose table (USER, ACCESS, COMMAND) to stderr. `-k` sends them SIGKILL.
 */
function fuserCmd(node: SimNode, pids: readonly number[], args: readonly string[]): SimCommandResult {
  const flags = args.filter((a) => a.startsWith('-')).join('');
  const target = args.filter((a) => !a.startsWith('-'))[0] ?? '';
  const mounted = node.mounts.has(target) || target === `/dev/drbd${node.config.minor}`;
  if (!mounted || pids.length === 0) return { stdout: '', stderr: '', exitCode: 1 };
  if (flags.includes('k'))
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  const user = userInfo().username;
  // psmisc's split shape: `kernel` and the PIDs on stdout, the table without the PID column on stderr.
  const table = flags.includes('v')
    ? `${' '.repeat(21)}USER        PID ACCESS COMMAND\n${`${target}:`.padEnd(21)}${user.padEnd(10)}mount ${target}\n` +
      pids.map(() => `${' '.repeat(21)}${user.padEnd(10)}..c.. sh\n`).join('')
    : `${target}:`;
  return {
    stdout: ` ${flags.includes('v') ? 'kernel ' : ''}${pids.map(String).join(' ')}`,
    stderr: table,
    exitCode: 0,
  };
}
