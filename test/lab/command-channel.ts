import net from 'node:net';

/** What one command run inside a lab VM produced. */
export interface ChannelResult {
  readonly stdout: string;
  readonly stderr: string;
  /** The shell's exit code; 137 when the guest killed it at the timeout. */
  readonly exitCode: number;
  /** True when the command did not finish in time (guest kill or no answer from the VM at all). */
  readonly timedOut: boolean;
  readonly durationMs: number;
}

interface Pending {
  readonly resolve: (r: ChannelResult) => void;
  readonly started: number;
  readonly timer: NodeJS.Timeout;
  readonly timeoutS: number;
}

/**
 * Parses the guest agent's reply frames out of a byte stream. Pure and total: junk between frames
 * (kernel chatter, a half frame from before a reboot) is skipped.
 * Frame: `@@BEGIN <id> <rc>\n<b64 stdout>\n<b64 stderr>\n@@END <id>\n`.
 */
export function takeFrames(buffer: string): {
  frames: { id: number; rc: number; stdout: string; stderr: string }[];
  rest: string;
} {
  const frames: { id: number; rc: number; stdout: string; stderr: string }[] = [];
  let rest = buffer;
  for (;;) {
    const begin = rest.indexOf('@@BEGIN ');
    if (begin < 0) return { frames, rest: rest.slice(Math.max(0, rest.length - 8)) };
    rest = rest.slice(begin);
    const lines = rest.split('\n');
    if (lines.length < 5) return { frames, rest };
    const [head = '', out = '', errText = '', end = ''] = lines;
    const m = /^@@BEGIN (\d+) (\d+)$/.exec(head.trim());
    const id = m ? Number(m[1]) : -1;
    if (m && end.trim() === `@@END ${id}`) {
      frames.push({
        id,
        rc: Number(m[2]),
        stdout: Buffer.from(out.trim(), 'base64').toString('utf8'),
        stderr: Buffer.from(errText.trim(), 'base64').toString('utf8'),
      });
      rest = lines.slice(4).join('\n');
    } else {
      rest = rest.slice('@@BEGIN '.length);
    }
  }
}

/**
 * The host end of a lab VM's command channel (a virtconsole on a unix socket, served by the guest's
 * init, see scripts/lab/guest/init). Commands run one at a time in the guest, in order; each has a
 * guest-side timeout (SIGKILL) and a host-side one a little longer (a frozen VM never answers).
 * A command whose answer never came is reported as timed out; a late answer is ignored by its id.
 */
export class CommandChannel {
  private socket: net.Socket | null = null;
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly socketPath: string) {}

  /** Connects to the QEMU chardev socket (retrying while QEMU creates it), or fails after `timeoutMs`. */
  async connect(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        this.socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(this.socketPath);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        break;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`lab: cannot connect to ${this.socketPath}: ${String(e)}`);
        await sleep(100);
      }
    }
    this.socket.setEncoding('latin1');
    this.socket.on('data', (chunk: string) => this.onData(chunk));
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => this.failAll());
  }

  /** Sends pings until the guest agent answers one (it starts last in the guest's init). */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = await this.run('echo ready', 2, 1500);
      if (!r.timedOut && r.stdout.trim() === 'ready') return;
    }
    throw new Error(`lab: guest agent on ${this.socketPath} did not answer within ${timeoutMs} ms`);
  }

  /**
   * Runs a POSIX sh script in the guest. Never throws: a dead or frozen VM yields `timedOut`.
   * `hostGraceMs` is how much longer than the guest timeout the host waits for an answer.
   */
  run(script: string, timeoutS: number, hostGraceMs = 5000): Promise<ChannelResult> {
    const id = this.nextId++;
    const started = Date.now();
    return new Promise((resolve) => {
      const socket = this.socket;
      if (socket === null || socket.destroyed) {
        resolve({ stdout: '', stderr: 'lab: channel closed', exitCode: -1, timedOut: true, durationMs: 0 });
        return;
      }
      const timer = setTimeout(
        () => {
          this.pending.delete(id);
          resolve({
            stdout: '',
            stderr: 'lab: no answer from the VM',
            exitCode: -1,
            timedOut: true,
            durationMs: Date.now() - started,
          });
        },
        timeoutS * 1000 + hostGraceMs,
      );
      this.pending.set(id, { resolve, started, timer, timeoutS });
      const b64 = Buffer.from(script, 'utf8').toString('base64');
      socket.write(`CMD ${id} ${Math.max(1, Math.ceil(timeoutS))} ${b64}\n`);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
    this.failAll();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    const { frames, rest } = takeFrames(this.buffer);
    this.buffer = rest;
    for (const f of frames) {
      const p = this.pending.get(f.id);
      if (!p) continue;
      this.pending.delete(f.id);
      clearTimeout(p.timer);
      const durationMs = Date.now() - p.started;
      // busybox timeout -s KILL: the shell dies by SIGKILL, rc 137.
      const timedOut = f.rc === 137 && durationMs >= p.timeoutS * 1000 - 500;
      p.resolve({ stdout: f.stdout, stderr: f.stderr, exitCode: f.rc, timedOut, durationMs });
    }
  }

  private failAll(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({
        stdout: '',
        stderr: 'lab: channel closed (VM gone)',
        exitCode: -1,
        timedOut: true,
        durationMs: Date.now() - p.started,
      });
      this.pending.delete(id);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
