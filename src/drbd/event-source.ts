import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { systemClock, type Clock } from '../common/clock.js';
import { childEnv } from '../common/exec.js';
import { silentLogger, type Logger } from '../common/log.js';
import { buildEvents2Argv } from './commands.js';
import { parseEvents2Line } from './events2.js';
import { formatParseError } from './parse-error.js';
import { parseProcDrbd, type ProcDrbdSnapshot } from './proc-drbd.js';
import {
  INITIAL_DRBD_STATE,
  reduceDrbd,
  type DrbdInput,
  type DrbdReducerState,
  type MinorNames,
} from './reducer.js';
import { PROGRESS_STATES } from './state-names.js';
import type { DrbdChange, DrbdView } from './view.js';
import { LineSplitter } from '../common/line-splitter.js';

/** Plain options; the daemon maps its `drbd:` config section onto them (events2 auto/on/off -> mode auto/events2/proc). */
export interface DrbdEventSourceOptions {
  /** drbdsetup path (config `drbd.drbdsetup`). */
  readonly drbdsetup: string;
  /** /proc/drbd path (config `drbd.proc_path`). */
  readonly procPath: string;
  /** Poll interval of the /proc/drbd fallback and of the module-loaded probe, ms. */
  readonly pollIntervalMs: number;
  /** While a resync/verify runs under events2, /proc/drbd is read this often for progress (8.4), ms. */
  readonly progressIntervalMs?: number;
  /** `auto` (default): events2, falling back to /proc/drbd polling where events2 does not work. */
  readonly mode?: 'auto' | 'events2' | 'proc';
  /** Put before drbdsetup in the argv (tests, lab wrappers). */
  readonly argvPrefix?: readonly string[];
  /** Restart backoff of the events2 child: starts at `initialMs`, doubles up to `maxMs`. */
  readonly restartBackoff?: { readonly initialMs: number; readonly maxMs: number };
  /** In auto mode, this many events2 runs in a row that die before their initial dump switch to polling. */
  readonly events2FailuresBeforeFallback?: number;
  /** Resource/volume names per minor for the /proc/drbd source (it names only minors). */
  readonly names?: MinorNames;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** Called after each change of the view with the new view and what changed. */
export type DrbdViewListener = (view: DrbdView, changes: readonly DrbdChange[]) => void;

type Events2Child = ChildProcessByStdio<null, Readable, Readable>;

const MODULE_MISSING_RE =
  /Could not connect to 'drbd' generic netlink family|Could not stat \/proc\/drbd|Make sure that the DRBD kernel module/;

function killGroup(child: Events2Child): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
}

/**
 * Watches local DRBD (effects): a long-running `drbdsetup events2 --timestamps --statistics all`
 * child, restarted with backoff when it dies (its stale picture dropped), /proc/drbd read for the
 * version and, on 8.4, for resync/verify progress; a /proc/drbd polling fallback; and a clear
 * `module-not-loaded` / `not-configured` view when there is nothing to see.
 */
export class DrbdEventSource {
  private state: DrbdReducerState = INITIAL_DRBD_STATE;
  private readonly listeners = new Set<DrbdViewListener>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private child: Events2Child | null = null;
  private childExited: Promise<void> | null = null;
  private running = false;
  private usingProc: boolean;
  private backoffMs: number;
  private failuresInARow = 0;
  private cancelTimer: (() => void) | null = null;
  private cancelProgress: (() => void) | null = null;
  private procBusy = false;
  private lastChanges: readonly DrbdChange[] = [];

  constructor(private readonly options: DrbdEventSourceOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger()).child({ module: 'drbd-events' });
    this.usingProc = options.mode === 'proc';
    this.backoffMs = options.restartBackoff?.initialMs ?? 500;
  }

  /** The current view (immutable). */
  get view(): DrbdView {
    return this.state.view;
  }

  /** Calls `listener` after every change of the view; returns an unsubscribe function. */
  subscribe(listener: DrbdViewListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts watching. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.cycle();
  }

  /** Stops the child and every timer; resolves once the child has exited. */
  async stop(): Promise<void> {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.cancelProgress?.();
    this.cancelProgress = null;
    const exited = this.childExited;
    const child = this.child;
    if (child !== null) killGroup(child);
    if (exited) await exited;
  }

  private dispatch(input: DrbdInput): boolean {
    const r = reduceDrbd(this.state, input);
    this.state = r.state;
    this.lastChanges = r.changes;
    if (r.changes.length > 0) {
      for (const l of this.listeners) {
        try {
          l(this.state.view, r.changes);
        } catch (e) {
          this.log.error({ err: e }, 'view listener threw');
        }
      }
    }
    return r.resyncNeeded;
  }

  private later(delayMs: number, fn: () => void): void {
    this.cancelTimer?.();
    this.cancelTimer = this.clock.setTimer(delayMs, () => {
      this.cancelTimer = null;
      if (this.running) fn();
    });
  }

  /** Reads /proc/drbd: the snapshot, `missing` when the module is not loaded, or `bad` on a parse error. */
  private async readProc(): Promise<ProcDrbdSnapshot | 'missing' | 'bad'> {
    let text: string;
    try {
      text = await readFile(this.options.procPath, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') this.log.warn({ code, path: this.options.procPath }, 'cannot read proc file');
      return 'missing';
    }
    const p = parseProcDrbd(text);
    if (!p.ok) {
      this.log.error({ reason: 'E_PARSE', detail: formatParseError(p.error) }, 'unparseable proc file');
      return 'bad';
    }
    return p.value;
  }

  /** One step of the main loop: probe the module, then run events2 or poll. */
  private async cycle(): Promise<void> {
    if (!this.running) return;
    const snap = await this.readProc();
    if (!this.running) return;
    if (snap === 'missing') {
      this.dispatch({ type: 'unavailable', availability: 'module-not-loaded' });
      this.later(this.options.pollIntervalMs, () => void this.cycle());
      return;
    }
    if (snap === 'bad' && this.usingProc) {
      this.dispatch({ type: 'unavailable', availability: 'source-failed' });
      this.later(this.options.pollIntervalMs, () => void this.cycle());
      return;
    }
    if (snap === 'bad') {
      // The module is there (the file exists); events2 does not depend on its format.
      this.dispatch({ type: 'version', version: null });
      this.spawnEvents2();
      return;
    }
    if (this.usingProc) {
      this.dispatch({
        type: 'proc',
        snapshot: snap,
        ...(this.options.names ? { names: this.options.names } : {}),
      });
      this.later(this.options.pollIntervalMs, () => void this.cycle());
      return;
    }
    this.dispatch({ type: 'version', version: snap.version?.release ?? null });
    this.spawnEvents2();
  }

  private spawnEvents2(): void {
    const argv = buildEvents2Argv(this.options.drbdsetup, this.options.argvPrefix);
    const [file, ...args] = argv;
    if (file === undefined) return;
    this.dispatch({ type: 'events2-restart' });
    let child: Events2Child;
    try {
      // Own process group, so stop() ends the child and anything it started (wrappers, test scripts).
      child = spawn(file, args, { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (e) {
      this.onEvents2Exit(null, null, `spawn failed: ${(e as Error).message}`, false, true);
      return;
    }
    this.child = child;
    this.log.info({ argv, pid: child.pid }, 'events2 started');
    const lines = new LineSplitter();
    let stderr = '';
    let lineNo = 0;
    let sawInitialDone = false;
    let spawnFailed = false;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      lines.push(chunk);
      for (let line = lines.next(); line !== null; line = lines.next()) {
        lineNo++;
        if (line.trim() === '') continue;
        const p = parseEvents2Line(line, lineNo);
        if (!p.ok) {
          this.log.warn({ reason: 'E_PARSE', detail: formatParseError(p.error) }, 'skipping events2 line');
          continue;
        }
        if (p.value.type === 'initial-done') {
          sawInitialDone = true;
          this.failuresInARow = 0;
          this.backoffMs = this.options.restartBackoff?.initialMs ?? 500;
        }
        const resync = this.dispatch({ type: 'events2', event: p.value });
        // 8.4: protocol letter and I/O flags live only in /proc/drbd; re-read it when the state moves.
        const moved = this.lastChanges.some(
          (c) => c.kind === 'device-changed' && (c.field === 'cstate' || c.field === 'suspended'),
        );
        if (p.value.type === 'initial-done' || (moved && !(this.state.view.version ?? '').startsWith('9')))
          void this.refreshSupplement();
        if (resync) {
          this.log.warn({ reason: 'events2-skipped' }, 'events2 lost messages; restarting it');
          killGroup(child);
          return;
        }
      }
      if (lines.bufferedBytes > 1024 * 1024) lines.clear(); // a runaway line without newline: drop it
    });
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4096);
    });
    this.childExited = new Promise((resolve) => {
      child.on('error', (e) => {
        spawnFailed = true;
        stderr += e.message;
      });
      child.on('close', (code, signal) => {
        if (this.child === child) this.child = null;
        this.onEvents2Exit(code, signal, stderr, sawInitialDone, spawnFailed);
        resolve();
      });
    });
    this.scheduleProgress();
  }

  private onEvents2Exit(
    code: number | null,
    signal: NodeJS.Signals | null,
    stderr: string,
    sawInitialDone: boolean,
    spawnFailed: boolean,
  ): void {
    this.cancelProgress?.();
    this.cancelProgress = null;
    if (!this.running) return;
    this.log.warn(
      { code, signal, stderr: stderr.trim().slice(0, 500), reason: 'events2-exit' },
      'events2 exited',
    );
    if (!sawInitialDone) this.failuresInARow++;
    // /proc/drbd of DRBD 9 lists no devices: polling it is no fallback there, keep retrying events2.
    const is9 = (this.state.view.version ?? '').startsWith('9');
    const limit = this.options.events2FailuresBeforeFallback ?? 3;
    if (this.options.mode !== 'events2' && !is9 && (spawnFailed || this.failuresInARow >= limit)) {
      this.log.warn(
        { reason: 'events2-unavailable', failures: this.failuresInARow },
        'falling back to polling proc',
      );
      this.usingProc = true;
      this.later(0, () => void this.cycle());
      return;
    }
    if (MODULE_MISSING_RE.test(stderr)) {
      // cycle() probes /proc/drbd and reports module-not-loaded while it is gone.
      this.dispatch({ type: 'events2-restart' });
      this.later(this.options.pollIntervalMs, () => void this.cycle());
      return;
    }
    // Drop the dead child's picture now: nothing it said can be trusted until a new dump.
    this.dispatch({ type: 'events2-restart' });
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.restartBackoff?.maxMs ?? 30_000);
    this.later(delay, () => void this.cycle());
  }

  /** Reads /proc/drbd for protocol, I/O flags and (8.4) resync/verify progress while events2 runs. */
  private async refreshSupplement(): Promise<void> {
    if (this.procBusy || !this.running || this.usingProc) return;
    this.procBusy = true;
    try {
      const snap = await this.readProc();
      if (typeof snap !== 'string' && this.running && !this.usingProc)
        this.dispatch({ type: 'proc-supplement', snapshot: snap });
    } finally {
      this.procBusy = false;
    }
  }

  private scheduleProgress(): void {
    this.cancelProgress?.();
    const interval = this.options.progressIntervalMs ?? this.options.pollIntervalMs;
    this.cancelProgress = this.clock.setTimer(interval, () => {
      this.cancelProgress = null;
      if (!this.running || this.child === null) return;
      // DRBD 9 reports progress in events2 itself (done:, eta:) and lists no minors in /proc/drbd.
      const is9 = (this.state.view.version ?? '').startsWith('9');
      const syncing = this.state.view.devices.some((d) => PROGRESS_STATES.has(d.cstate));
      const missingStatic = this.state.view.devices.some(
        (d) => d.protocol === null && d.cstate !== 'StandAlone',
      );
      if (!is9 && (syncing || missingStatic)) void this.refreshSupplement();
      this.scheduleProgress();
    });
  }
}
