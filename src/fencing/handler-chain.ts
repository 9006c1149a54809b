/**
 * The fence handler chain: run the configured handlers in order until one succeeds (exit 0, or an
 * exit code the handler's config names as success); each with its own timeout and an environment
 * naming the peer. All failing or timing out means the fence failed, and per SAFETY.md ("Fence
 * failure stops the takeover") nothing is promoted on it.
 */
import type { CommandOutcome, RunOptions } from '../common/exec.js';
import { runCommand } from '../common/exec.js';
import type { FenceHandlerReport, FenceOutcome, FencePort } from '../executor/ports.js';
import type { FenceTarget } from './handler-env.js';
import { fenceHandlerEnv } from './handler-env.js';

/** One configured fence handler (config `fencing.handlers[]`). */
export interface FenceHandlerConfig {
  readonly name: string;
  /** argv, run without a shell. */
  readonly command: readonly string[];
  readonly timeoutMs: number;
  /**
   * Exit codes meaning "the peer is fenced". Default [0]. DRBD-style scripts such as
   * stonith_admin-fence-peer.sh exit 7 on success: list 7 here to reuse them.
   */
  readonly successExitCodes?: readonly number[];
}

export interface FenceChainOptions {
  readonly handlers: readonly FenceHandlerConfig[];
  /** Injected for tests; defaults to runCommand. */
  readonly run?: (argv: readonly string[], options: RunOptions) => Promise<CommandOutcome>;
  /** Output kept per handler for logs and pages (characters, tail). Default 2000. */
  readonly maxOutputChars?: number;
}

function report(
  name: string,
  o: CommandOutcome,
  success: readonly number[],
  maxChars: number,
): FenceHandlerReport {
  const output =
    o.status === 'spawn-error'
      ? o.message
      : `${o.stdout}${o.stderr ? `${o.stdout ? '\n' : ''}${o.stderr}` : ''}`.trim();
  const tail = output.length > maxChars ? output.slice(output.length - maxChars) : output;
  switch (o.status) {
    case 'ok':
      return {
        name,
        status: success.includes(0) ? 'ok' : 'failed',
        exitCode: 0,
        durationMs: o.durationMs,
        output: tail,
      };
    case 'failed':
      return {
        name,
        status: o.exitCode !== null && success.includes(o.exitCode) ? 'ok' : 'failed',
        exitCode: o.exitCode,
        durationMs: o.durationMs,
        output: tail,
      };
    case 'timeout':
    case 'aborted':
      return { name, status: o.status, exitCode: null, durationMs: o.durationMs, output: tail };
    case 'spawn-error':
      return { name, status: 'spawn-error', exitCode: null, durationMs: o.durationMs, output: tail };
  }
}

/** One line per handler: `ipmi: timeout after 60000 ms; pdu: exit 0`. Pure. */
export function summarizeHandlers(reports: readonly FenceHandlerReport[]): string {
  return reports
    .map((r) => {
      switch (r.status) {
        case 'ok':
        case 'failed':
          return `${r.name}: exit ${r.exitCode ?? '?'}${r.status === 'ok' ? ' (fenced)' : ''}`;
        case 'timeout':
          return `${r.name}: timeout after ${r.durationMs} ms`;
        case 'spawn-error':
          return `${r.name}: could not start (${r.output})`;
        case 'aborted':
          return `${r.name}: aborted`;
        case 'not-run':
          return `${r.name}: not run`;
      }
    })
    .join('; ');
}

/**
 * Runs the chain against `target`. Never throws. `signal` aborts the running handler (and the
 * rest are reported `not-run`); the outcome is then `timeout`.
 */
export async function runFenceChain(
  target: FenceTarget,
  options: FenceChainOptions,
  signal?: AbortSignal,
): Promise<FenceOutcome> {
  const run = options.run ?? runCommand;
  const maxChars = options.maxOutputChars ?? 2000;
  const reports: FenceHandlerReport[] = [];
  if (options.handlers.length === 0)
    return { status: 'failed', handlers: [], detail: `no fence handler configured to fence ${target.peer}` };
  for (const h of options.handlers) {
    if (signal?.aborted) {
      reports.push({ name: h.name, status: 'not-run', exitCode: null, durationMs: 0, output: '' });
      continue;
    }
    const o = await run(h.command, {
      timeoutMs: h.timeoutMs,
      env: fenceHandlerEnv(target, h.name),
      ...(signal ? { signal } : {}),
    });
    const r = report(h.name, o, h.successExitCodes ?? [0], maxChars);
    reports.push(r);
    if (r.status === 'ok') {
      for (const rest of options.handlers.slice(reports.length))
        reports.push({ name: rest.name, status: 'not-run', exitCode: null, durationMs: 0, output: '' });
      return {
        status: 'fenced',
        handlers: reports,
        detail: `${target.peer} fenced by ${h.name}: ${summarizeHandlers(reports)}`,
      };
    }
  }
  if (signal?.aborted)
    return {
      status: 'timeout',
      handlers: reports,
      detail: `fencing ${target.peer} cut off: ${summarizeHandlers(reports)}`,
    };
  return {
    status: 'failed',
    handlers: reports,
    detail: `no handler fenced ${target.peer}: ${summarizeHandlers(reports)}`,
  };
}

/**
 * The FencePort the executor uses: the chain against the configured peer. `target` gives the
 * static part (cluster, nodes, resources); the action's reason is filled in per call.
 */
export function createFencePort(target: Omit<FenceTarget, 'reason'>, options: FenceChainOptions): FencePort {
  return { fencePeer: (reason, signal) => runFenceChain({ ...target, reason }, options, signal) };
}
