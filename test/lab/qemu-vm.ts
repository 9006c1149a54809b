import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, rmSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { CommandChannel, sleep, type ChannelResult } from './command-channel.js';
import { monitorCommand } from './monitor.js';

/** Everything needed to boot one lab VM. Paths are absolute. */
export interface VmSpec {
  readonly name: string;
  /** The VM's address on the private link (10.77.0.x). */
  readonly ip: string;
  readonly mac: string;
  readonly kernel: string;
  readonly initrd: string;
  /** Folder for this VM's sockets, disk and console log. */
  readonly dir: string;
  readonly diskMiB: number;
  readonly memoryMiB: number;
  /** UDP ports of the datagram link: ours and the peer's. */
  readonly localPort: number;
  readonly remotePort: number;
  /** Folder shared read-only at /shared in the guest (the project), or null. */
  readonly share: string | null;
  /**
   * A root filesystem image (the systemd image of scripts/lab/build-systemd-image.sh), booted as a
   * copy-on-write qcow2 overlay in `dir` (the image itself is never written); the DRBD disk then
   * becomes the second disk (/dev/vdb). Null: everything runs from the busybox initramfs.
   */
  readonly rootImage?: string | null;
}

/**
 * One QEMU VM of the lab (TCG, busybox initramfs, see scripts/lab/). Owns its QEMU process and
 * its command channel; the disk file survives `powerKill` so the VM can be powered on again.
 */
export class QemuVm {
  private proc: ChildProcess | null = null;
  private channel: CommandChannel | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly spec: VmSpec) {}

  get monitorPath(): string {
    return path.join(this.spec.dir, 'monitor.sock');
  }
  get controlPath(): string {
    return path.join(this.spec.dir, 'control.sock');
  }
  get debugPath(): string {
    return path.join(this.spec.dir, 'debug.sock');
  }
  get consolePath(): string {
    return path.join(this.spec.dir, 'console.log');
  }
  get diskPath(): string {
    return path.join(this.spec.dir, 'disk.img');
  }
  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Creates the (sparse) disk if missing, starts QEMU and waits until the guest agent answers. */
  async boot(timeoutMs = 120_000): Promise<void> {
    const s = this.spec;
    mkdirSync(s.dir, { recursive: true });
    if (!existsSync(this.diskPath)) {
      closeSync(openSync(this.diskPath, 'w'));
      truncateSync(this.diskPath, s.diskMiB * 1024 * 1024);
    }
    const overlay = path.join(s.dir, 'root.qcow2');
    if (s.rootImage && !existsSync(overlay))
      execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', s.rootImage, '-F', 'raw', overlay]);
    for (const p of [this.monitorPath, this.controlPath, this.debugPath]) rmSync(p, { force: true });
    const append = [
      'console=ttyS0',
      'panic=-1',
      'loglevel=5',
      `lab.node=${s.name}`,
      `lab.ip=${s.ip}`,
      ...(s.share ? ['lab.share'] : []),
    ].join(' ');
    // prettier-ignore
    const args = [
      // tb-size: TCG's translation cache defaults to 1 GiB and would make each QEMU's RSS ~700 MB.
      '-accel', 'tcg,tb-size=128', '-m', String(s.memoryMiB), '-smp', '1', '-nodefaults', '-no-user-config',
      '-display', 'none', '-no-reboot', '-name', s.name,
      '-kernel', s.kernel, '-initrd', s.initrd, '-append', append,
      '-chardev', `file,id=con,path=${this.consolePath},append=on`, '-serial', 'chardev:con',
      '-monitor', `unix:${this.monitorPath},server=on,wait=off`,
      ...(s.rootImage ? ['-drive', `file=${overlay},if=none,id=root,format=qcow2,cache=unsafe`, '-device', 'virtio-blk-pci,drive=root'] : []),
      '-drive', `file=${this.diskPath},if=none,id=disk0,format=raw,cache=unsafe`,
      '-device', 'virtio-blk-pci,drive=disk0',
      '-netdev', `dgram,id=link0,local.type=inet,local.host=127.0.0.1,local.port=${s.localPort},remote.type=inet,remote.host=127.0.0.1,remote.port=${s.remotePort}`,
      '-device', `virtio-net-pci,netdev=link0,mac=${s.mac}`,
      '-device', 'virtio-serial-pci',
      '-chardev', `socket,id=ctl,path=${this.controlPath},server=on,wait=off`, '-device', 'virtconsole,chardev=ctl',
      '-chardev', `socket,id=dbg,path=${this.debugPath},server=on,wait=off`, '-device', 'virtconsole,chardev=dbg',
      ...(s.share ? ['-virtfs', `local,path=${s.share},mount_tag=shared,security_model=none,readonly=on`] : []),
    ];
    const proc = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    let stderr = '';
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (d: string) => (stderr += d));
    // Never leave a VM behind, even when the test process exits without running its cleanup.
    const killOnExit = (): void => void proc.kill('SIGKILL');
    process.once('exit', killOnExit);
    this.exited = new Promise((resolve) =>
      proc.once('exit', () => {
        process.removeListener('exit', killOnExit);
        resolve();
      }),
    );
    const spawnError = new Promise<Error>((resolve) => proc.once('error', resolve));
    const channel = new CommandChannel(this.controlPath);
    this.channel = channel;
    const outcome = await Promise.race([
      channel.connect(15_000).then(() => channel.waitReady(timeoutMs)),
      spawnError.then((e) => {
        throw new Error(`lab: cannot start qemu-system-x86_64 (${e.message}); install qemu-system-x86`);
      }),
      this.exited.then(() => {
        throw new Error(`lab: QEMU for ${s.name} exited during boot: ${stderr.trim()}`);
      }),
    ]).then(
      () => null,
      (e: unknown) => e,
    );
    if (outcome !== null) {
      await this.powerKill();
      throw outcome;
    }
  }

  /** Runs a sh script in the guest (see CommandChannel.run). */
  sh(script: string, timeoutS = 30): Promise<ChannelResult> {
    if (!this.channel || !this.running)
      return Promise.resolve({
        stdout: '',
        stderr: `lab: ${this.spec.name} is not running`,
        exitCode: -1,
        timedOut: true,
        durationMs: 0,
      });
    return this.channel.run(script, timeoutS);
  }

  /** One HMP command on this VM's monitor (set_link, stop, cont, system_powerdown, ...). */
  monitor(command: string): Promise<string> {
    return monitorCommand(this.monitorPath, command);
  }

  setLink(up: boolean): Promise<string> {
    return this.monitor(`set_link link0 ${up ? 'on' : 'off'}`);
  }
  freeze(): Promise<string> {
    return this.monitor('stop');
  }
  thaw(): Promise<string> {
    return this.monitor('cont');
  }

  /** Power loss: SIGKILL to QEMU, nothing in the guest gets to run. */
  async powerKill(): Promise<void> {
    this.channel?.close();
    this.channel = null;
    if (this.proc && this.running) this.proc.kill('SIGKILL');
    await this.exited;
    this.proc = null;
  }

  /** Clean shutdown: the guest syncs and powers off (busybox poweroff via the agent), SIGKILL after `timeoutMs`. */
  async shutdown(timeoutMs = 30_000): Promise<void> {
    if (!this.running) return;
    // The agent is PID 1's child; busybox poweroff signals init, whose default is to sync and halt.
    void this.sh('sync; poweroff -f', 10);
    const done = await Promise.race([this.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!done) await this.powerKill();
    this.channel?.close();
    this.channel = null;
    this.proc = null;
  }

  /** Reboot: clean shutdown and boot again (the disk is kept; DRBD comes back down). */
  async reboot(): Promise<void> {
    await this.shutdown();
    await this.boot();
  }
}
