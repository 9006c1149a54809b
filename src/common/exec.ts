import { spawn } from 'node:child_process';

/** What running one external command produced. Never throws: spawn failures are a `status` too. */
export type CommandOutcome =
  | {
      readonly status: 'ok';
      readonly exitCode: 0;
      readonly stdout: string;
      readonly stderr: string;
      readonly durationMs: number;
    }
  | {
      readonly status: 'failed';
      readonly exitCode: number | null;
      readonly signal: NodeJS.Signals | null;
      readonly stdout: string;
      readonly stderr: string;
      readonly durationMs: number;
    }
  | {
      readonly status: 'timeout';
      readonly stdout: string;
      readonly stderr: string;
      readonly durationMs: number;
    }
  | {
      readonly status: 'aborted';
      readonly stdout: string;
      readonly stderr: string;
      readonly durationMs: number;
    }
  | { readonly status: 'spawn-error'; readonly message: string; readonly durationMs: number };

export interface RunOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Extra environment on top of this process's environment (minus NOTIFY_SOCKET). */
  readonly env?: Readonly<Record<string, string>>;
  /** Written to the child's stdin, then stdin is closed. */
  readonly stdin?: string;
  /** Output beyond this many bytes per stream is dropped (the tail is kept). */
  readonly maxOutputBytes?: number;
  /** After SIGTERM on timeout, wait this long before SIGKILL. */
  readonly killGraceMs?: number;
}

/**
 * The environment every child gets: ours, without NOTIFY_SOCKET (a child must never be able to send
 * READY/WATCHDOG on the daemon's behalf), plus `extra`.
 */
export function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  return env;
}

/**
 * Runs `argv[0]` with arguments `argv[1..]` directly (no shell), with a timeout and an abort signal.
 * On timeout or abort the child gets SIGTERM, then SIGKILL after `killGraceMs`.
 */
export function runCommand(argv: readonly string[], options: RunOptions): Promise<CommandOutcome> {
  const started = process.hrtime.bigint();
  const elapsed = () => Number((process.hrtime.bigint() - started) / 1_000_000n);
  const maxBytes = options.maxOutputBytes ?? 1024 * 1024;
  const [file, ...args] = argv;
  if (file === undefined)
    return Promise.resolve({ status: 'spawn-error', message: 'empty command', durationMs: 0 });
  if (options.signal?.aborted)
    return Promise.resolve({ status: 'aborted', stdout: '', stderr: '', durationMs: 0 });

  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    let ending: 'timeout' | 'aborted' | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    const child = spawn(file, args, { env: childEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });

    const keepTail = (acc: string, chunk: Buffer) => {
      const next = acc + chunk.toString('utf8');
      return next.length > maxBytes ? next.slice(next.length - maxBytes) : next;
    };
    child.stdout.on('data', (c: Buffer) => (stdout = keepTail(stdout, c)));
    child.stderr.on('data', (c: Buffer) => (stderr = keepTail(stderr, c)));
    child.stdin.on('error', () => {}); // a child that exits without reading stdin is not our failure

    const terminate = (why: 'timeout' | 'aborted') => {
      if (settled || ending !== null) return;
      ending = why;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), options.killGraceMs ?? 2_000);
    };
    const timer = setTimeout(() => terminate('timeout'), options.timeoutMs);
    const onAbort = () => terminate('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (outcome: CommandOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };

    child.on('error', (e) => finish({ status: 'spawn-error', message: e.message, durationMs: elapsed() }));
    child.on('close', (code, signal) => {
      const durationMs = elapsed();
      if (ending !== null) finish({ status: ending, stdout, stderr, durationMs });
      else if (code === 0) finish({ status: 'ok', exitCode: 0, stdout, stderr, durationMs });
      else finish({ status: 'failed', exitCode: code, signal, stdout, stderr, durationMs });
    });

    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    else child.stdin.end();
  });
}
