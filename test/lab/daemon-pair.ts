import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StatusSnapshot } from '../../src/control/status-snapshot.js';
import type { LabNode } from '../scenarios/target.js';
import { sleep } from './command-channel.js';
import { LAB_NODES, PROJECT_ROOT, type Lab } from './lab.js';

/**
 * drbd-sentinel installed in both lab VMs: the daemon runs from the shared dist/ (`/shared`), with
 * a configuration written into each guest, DRBD configured with resource-level fencing and the
 * daemon as its fence-peer handler (scripts/lab/guest/daemon/drbd.conf), and node fencing done by
 * the host (see `startFenceResponder`).
 */

const GUEST = '/shared/scripts/lab/guest/daemon';
const SENTINEL = `${GUEST}/sentinel`;
export const MOUNT_POINT = '/mnt/r0';
const NOTIFY_LOG = '/tmp/notify.jsonl';
const DAEMON_LOG = '/tmp/daemon.log';
const ADDRESSES: Record<LabNode, string> = { alpha: '10.77.0.1', bravo: '10.77.0.2' };

export type LabFencingPolicy = 'stonith' | 'resource-only';

/**
 * The daemons' timings: the lab's defaults (500 ms heartbeats, 4 s dead time, 2 s fence delay: slow
 * enough for TCG guests under load) or a named heartbeat profile with its own fence delay
 * (bench/lab-failover.ts and the fast-profile scenario).
 */
export interface LabTuning {
  readonly heartbeat: string;
  readonly fenceDelay: string;
}
export const LAB_DEFAULT_TUNING: LabTuning = {
  heartbeat:
    '{ port: 7790, interval: 500ms, deadtime: 4s, warntime: 2s, initdead: 30s, degraded-initdead: 30s }',
  fenceDelay: '2s',
};

/** One event delivered to the notify hook (the JSON on its stdin). */
export interface LabNotification {
  readonly event: string;
  readonly [key: string]: unknown;
}

/** A node fencing request a daemon's handler sent to the host, and what the host did. */
export interface FenceRequest {
  readonly id: string;
  readonly from: LabNode;
  readonly peer: LabNode;
  readonly answer: 'off' | 'refused';
}

function peerOf(node: LabNode): LabNode {
  return node === 'alpha' ? 'bravo' : 'alpha';
}

/** Where a host path under the project appears in the guests (the 9p share of PROJECT_ROOT). */
function guestPath(hostPath: string): string {
  return `/shared/${path.relative(PROJECT_ROOT, hostPath)}`;
}

export class DaemonPair {
  readonly fenceDir: string;
  readonly fuserHostPath: string;
  readonly fenceRequests: FenceRequest[] = [];
  /** What the host answers a fence request with: power-kill the peer, or refuse (a broken fence device). */
  fenceMode: 'power-kill' | 'refuse' = 'power-kill';
  private responder: NodeJS.Timeout | null = null;
  private consoleOffsets: Record<LabNode, number> = { alpha: 0, bravo: 0 };
  private responding = false;
  /** Per `prepare`: how long the boot and install, the DRBD reset and the daemons' start took. */
  readonly timings: { policy: string; bootAndInstallMs: number; resetMs: number; daemonsUpMs: number }[] = [];

  constructor(readonly lab: Lab) {
    const dir = path.join(lab.runDir, 'daemon');
    this.fenceDir = path.join(dir, 'fence');
    mkdirSync(this.fenceDir, { recursive: true });
    // busybox has no fuser applet; the daemon parses psmisc's `fuser -vm`. psmisc's fuser needs only
    // libc (which the guest has), so the host's binary is shared into the guests read-only.
    const fuser = ['/usr/bin/fuser', '/bin/fuser'].find((p) => existsSync(p));
    if (!fuser) throw new Error('lab: /usr/bin/fuser is missing on this host (package psmisc)');
    this.fuserHostPath = path.join(dir, 'fuser');
    copyFileSync(fuser, this.fuserHostPath);
  }

  configText(node: LabNode, policy: LabFencingPolicy, tuning: LabTuning = LAB_DEFAULT_TUNING): string {
    const peer = peerOf(node);
    return `# drbd-sentinel in the lab VM ${node} (test/lab/daemon-pair.ts)
cluster: { name: lab, secret-file: /etc/drbd-sentinel/secret }
nodes:
  - { name: alpha, addresses: ["${ADDRESSES.alpha}"] }
  - { name: bravo, addresses: ["${ADDRESSES.bravo}"] }
heartbeat: ${tuning.heartbeat}
resources:
  - name: r0
    device: /dev/drbd1
    mount: { point: ${MOUNT_POINT}, fstype: ext4, options: [] }
    timeouts: { promote: 60s, demote: 60s, mount: 60s, umount: 60s }
    on-busy-umount: kill
fencing:
  policy: ${policy}
  delay: ${tuning.fenceDelay}
  handlers:
    - { name: host-power-kill, command: ["${GUEST}/fence-via-host", "${guestPath(this.fenceDir)}", "${peer}"], timeout: 90s }
notify:
  - { events: [all], command: [/bin/sh, -c, "{ cat; echo; } >> ${NOTIFY_LOG}"], timeout: 20s }
schedule: { verify: null, reminders: null }
control: { socket: /run/drbd-sentinel/control.sock, metrics: null }
drbd: { drbdadm: /sbin/drbdadm, drbdsetup: /sbin/drbdsetup, proc: /proc/drbd }
commands: { mount: /bin/mount, umount: /bin/umount, fuser: "${guestPath(this.fuserHostPath)}" }
state-dir: /var/lib/drbd-sentinel
log: { level: info }
`;
  }

  /** Writes the secret, the daemon's configuration and the fencing DRBD configuration into a guest. */
  async install(node: LabNode, policy: LabFencingPolicy, tuning?: LabTuning): Promise<void> {
    const config = Buffer.from(this.configText(node, policy, tuning)).toString('base64');
    await this.lab.must(
      node,
      [
        'set -e',
        'mkdir -p /etc/drbd-sentinel /var/lib/drbd-sentinel /run/drbd-sentinel',
        'umask 077; echo lab-daemon-scenarios-shared-secret-0123456789 >/etc/drbd-sentinel/secret',
        `echo ${config} | base64 -d >/etc/drbd-sentinel/config.yaml`,
        `cp ${GUEST}/${policy === 'stonith' ? 'drbd.conf' : 'drbd-resource-only.conf'} /etc/drbd.conf`,
        `rm -f ${NOTIFY_LOG}`,
      ].join('\n'),
    );
  }

  /** Starts the daemon in the background (setsid: it outlives the command channel's shell). */
  async start(node: LabNode): Promise<void> {
    await this.lab.must(
      node,
      `setsid ${SENTINEL} run --node ${node} >>${DAEMON_LOG} 2>&1 </dev/null & echo $! >/tmp/daemon.pid`,
    );
  }

  /** Stops the daemon (SIGTERM, SIGKILL after 20 s); a no-op when it does not run. */
  async stop(node: LabNode): Promise<void> {
    if (!this.lab.vm(node).running) return;
    await this.lab.sh(
      node,
      [
        'p=$(cat /tmp/daemon.pid 2>/dev/null) || exit 0',
        'kill $p 2>/dev/null',
        'i=0; while kill -0 $p 2>/dev/null && [ $i -lt 100 ]; do sleep 0.2; i=$((i+1)); done',
        'kill -9 $p 2>/dev/null; rm -f /tmp/daemon.pid; exit 0',
      ].join('\n'),
      40,
    );
  }

  /** `drbd-sentinel status --json` in the guest, or null when the daemon does not answer. */
  async status(node: LabNode): Promise<StatusSnapshot | null> {
    const r = await this.lab.sh(node, `${SENTINEL} status --json`, 120);
    if (r.exitCode !== 0 || r.timedOut) return null;
    try {
      return JSON.parse(r.stdout) as StatusSnapshot;
    } catch {
      return null;
    }
  }

  /** Polls a guest sh condition (exit 0) every second; throws with the daemon's log tail on timeout. */
  async waitGuest(node: LabNode, what: string, condition: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.lab.sh(node, condition, 20);
      if (r.exitCode === 0 && !r.timedOut) return;
      if (Date.now() > deadline)
        throw new Error(
          `lab: ${node}: ${what}: not within ${timeoutMs} ms\n--- daemon log tail\n${await this.logTail(node)}`,
        );
      await sleep(1000);
    }
  }

  async notifications(node: LabNode): Promise<LabNotification[]> {
    const r = await this.lab.sh(node, `cat ${NOTIFY_LOG} 2>/dev/null`, 15);
    return r.stdout
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as LabNotification];
        } catch {
          return [];
        }
      });
  }

  /** Waits until the node's notify hook received `event`. */
  async waitNotification(node: LabNode, event: string, timeoutMs: number): Promise<LabNotification> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.notifications(node)).find((n) => n.event === event);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(
          `lab: ${node}: no '${event}' notification within ${timeoutMs} ms; got: ${(await this.notifications(node)).map((n) => n.event).join(', ')}\n--- daemon log tail\n${await this.logTail(node)}`,
        );
      await sleep(1000);
    }
  }

  /** The daemon's whole log (pino JSON lines) in the guest. */
  async log(node: LabNode): Promise<string> {
    return (await this.lab.sh(node, `cat ${DAEMON_LOG} 2>/dev/null`, 30)).stdout;
  }

  async logTail(node: LabNode, lines = 40): Promise<string> {
    const r = await this.lab.sh(node, `tail -n ${lines} ${DAEMON_LOG} 2>/dev/null`, 15);
    return r.stdout;
  }

  /**
   * Node fencing by the host: follows both VMs' console logs for the handler's
   * `lab-fence: request ID FROM PEER` line, power-kills PEER's QEMU (waiting until it exited), then
   * answers `off` in the shared fence folder, where the waiting handler reads it. With
   * `fenceMode = 'refuse'` it answers `refused` instead and kills nothing (a failing fence device).
   */
  startFenceResponder(): void {
    for (const n of LAB_NODES) this.consoleOffsets[n] = this.consoleSize(n);
    this.responder = setInterval(() => void this.pollFenceRequests(), 250);
  }

  stopFenceResponder(): void {
    if (this.responder) clearInterval(this.responder);
    this.responder = null;
  }

  private consoleSize(node: LabNode): number {
    const p = this.lab.vm(node).consolePath;
    return existsSync(p) ? statSync(p).size : 0;
  }

  private async pollFenceRequests(): Promise<void> {
    if (this.responding) return;
    this.responding = true;
    try {
      for (const from of LAB_NODES) {
        const p = this.lab.vm(from).consolePath;
        const size = this.consoleSize(from);
        // A boot appends to the same console file; a shrink would only come from a new run folder.
        if (size < this.consoleOffsets[from]) this.consoleOffsets[from] = 0;
        if (size === this.consoleOffsets[from]) continue;
        const text = readFileSync(p).subarray(this.consoleOffsets[from], size).toString('utf8');
        const complete = text.lastIndexOf('\n') + 1;
        this.consoleOffsets[from] += Buffer.byteLength(text.slice(0, complete));
        for (const m of text.slice(0, complete).matchAll(/lab-fence: request (\S+) (\w+) (\w+)/g)) {
          const [, id = '', , peer = ''] = m;
          if (peer !== 'alpha' && peer !== 'bravo') continue;
          let answer: FenceRequest['answer'] = 'refused';
          if (this.fenceMode === 'power-kill') {
            await this.lab.vm(peer).powerKill();
            answer = 'off';
          }
          this.fenceRequests.push({ id, from, peer, answer });
          writeFileSync(path.join(this.fenceDir, id), `${answer}\n`);
        }
      }
    } finally {
      this.responding = false;
    }
  }

  /**
   * A fresh pair for the next scenario: both VMs powered on, daemons stopped, the configuration
   * (with `policy`) and the fencing DRBD configuration installed, DRBD reset (alpha Primary, fresh
   * ext4, both UpToDate), then both daemons started and waited for: peer reachable on both, and
   * alpha's daemon has mounted the file system (the Primary's resource is up).
   */
  async prepare(policy: LabFencingPolicy = 'stonith', tuning?: LabTuning): Promise<void> {
    const t0 = Date.now();
    this.stopFenceResponder();
    this.fenceRequests.length = 0;
    this.fenceMode = 'power-kill';
    for (const n of LAB_NODES) if (!this.lab.vm(n).running) await this.lab.vm(n).boot();
    await Promise.all(LAB_NODES.map((n) => this.stop(n)));
    for (const n of LAB_NODES) await this.install(n, policy, tuning);
    // Wipe the daemons' persistent state (intents, incarnation) with the data: a new cluster.
    await Promise.all(LAB_NODES.map((n) => this.lab.must(n, 'rm -rf /var/lib/drbd-sentinel/*')));
    const t1 = Date.now();
    await this.lab.resetDrbd();
    const t2 = Date.now();
    for (const n of LAB_NODES) await this.lab.must(n, `rm -f ${NOTIFY_LOG} ${DAEMON_LOG}`);
    this.startFenceResponder();
    await Promise.all(LAB_NODES.map((n) => this.start(n)));
    // Cheap checks only (busybox grep on the daemon's log and /proc/mounts): a `status` CLI run is a
    // second node process on the guest's one emulated CPU, slow enough under load to starve DRBD's
    // 0.5 s ping timeout and make it drop the connection.
    for (const n of LAB_NODES)
      await this.waitGuest(
        n,
        'the daemon ready and the peer heard',
        `grep -q '"msg":"ready"' ${DAEMON_LOG} && grep -q '"kind":"peer-back"' ${DAEMON_LOG}`,
        120_000,
      );
    await this.waitGuest(
      'alpha',
      'r0 mounted by the daemon',
      `grep -q ' ${MOUNT_POINT} ' /proc/mounts`,
      60_000,
    );
    this.timings.push({ policy, bootAndInstallMs: t1 - t0, resetMs: t2 - t1, daemonsUpMs: Date.now() - t2 });
  }

  /** Stops the fence responder and both daemons (the lab itself is stopped by useLab). */
  async close(): Promise<void> {
    this.stopFenceResponder();
    await Promise.all(LAB_NODES.map((n) => this.stop(n).catch(() => undefined)));
  }
}
