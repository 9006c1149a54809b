/**
 * What one port operation (a DRBD command, a mount, a service start, a peer request) produced, in the
 * shape every executor step reports: ok, failed or timed out, with a stable error kind and whether
 * running it again is safe. Pure types and helpers.
 */
import type { CommandOutcome } from '../common/exec.js';

export type StepOutcome =
  | { readonly status: 'ok'; readonly detail: string }
  | {
      readonly status: 'failed';
      /** Stable, machine-readable kind (e.g. `need-uptodate`, `held-open`, `busy`, `spawn-error`). */
      readonly errorKind: string;
      /** True when running the same operation again cannot make things worse (it changed nothing, or it is idempotent). */
      readonly retrySafe: boolean;
      readonly detail: string;
    }
  | { readonly status: 'timeout'; readonly retrySafe: boolean; readonly detail: string };

export const stepOk = (detail = ''): StepOutcome => ({ status: 'ok', detail });

export const stepFailed = (errorKind: string, detail: string, retrySafe: boolean): StepOutcome => ({
  status: 'failed',
  errorKind,
  retrySafe,
  detail,
});

export const stepTimeout = (detail: string, retrySafe: boolean): StepOutcome => ({
  status: 'timeout',
  retrySafe,
  detail,
});

/** Options every port operation takes: its own deadline and the executor's abort signal. */
export interface OpOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** The last non-empty line of a command's stderr (else stdout): the line worth showing in a log or page. */
export function outputSummary(outcome: CommandOutcome, maxChars = 400): string {
  if (outcome.status === 'spawn-error') return outcome.message;
  const text = (outcome.stderr.trim() || outcome.stdout.trim()).replace(/\s+\n/g, '\n');
  return text.length > maxChars ? text.slice(text.length - maxChars) : text;
}

/**
 * Maps a generic command outcome to a step outcome. `classifyFailure` names the error kind of a
 * non-zero exit (default `exit-N`); timeouts and aborts are reported as `timeout` with `retrySafe`
 * as given (a command killed mid-way may or may not have acted).
 */
export function fromCommand(
  outcome: CommandOutcome,
  what: string,
  options: {
    readonly retrySafeOnFailure: boolean;
    readonly retrySafeOnTimeout: boolean;
    readonly classifyFailure?: (o: CommandOutcome & { status: 'failed' }) => string;
  },
): StepOutcome {
  switch (outcome.status) {
    case 'ok':
      return stepOk(`${what}: ok`);
    case 'failed': {
      const kind = options.classifyFailure?.(outcome) ?? `exit-${outcome.exitCode ?? outcome.signal ?? '?'}`;
      return stepFailed(
        kind,
        `${what}: exit ${outcome.exitCode ?? outcome.signal}: ${outputSummary(outcome)}`,
        options.retrySafeOnFailure,
      );
    }
    case 'timeout':
      return stepTimeout(`${what}: timed out after ${outcome.durationMs} ms`, options.retrySafeOnTimeout);
    case 'aborted':
      return stepTimeout(`${what}: aborted`, options.retrySafeOnTimeout);
    case 'spawn-error':
      // Nothing ran, so nothing changed: retrying is safe (and useless until the path is fixed).
      return stepFailed('spawn-error', `${what}: ${outcome.message}`, true);
  }
}
