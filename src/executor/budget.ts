/**
 * A time budget for one action on the injected clock: a deadline, an abort signal that fires at the
 * deadline or when the executor is aborted, and clock-based sleeping. Tests drive it with a
 * VirtualClock.
 */
import type { Clock } from '../common/clock.js';
import type { OpOptions } from './outcome.js';

export interface Budget {
  /** Fires at the deadline or when the parent signal aborts. */
  readonly signal: AbortSignal;
  /** Milliseconds left (at least 1, so a last command still gets a chance to report). */
  remainingMs(): number;
  /** Options for one port operation: the remaining time and the signal. */
  op(): OpOptions;
  /** Waits `ms` on the clock (ends early, without error, when the signal aborts). */
  sleep(ms: number): Promise<void>;
}

export type BudgetEnd<T> =
  | { readonly kind: 'done'; readonly value: T }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'threw'; readonly error: unknown };

/** Sleeps `ms` on `clock`; resolves early when `signal` aborts. */
export function clockSleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const cancel = clock.setTimer(ms, done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `fn` with a budget of `timeoutMs` on `clock`. Resolves with `timeout` when the deadline
 * passes first (the budget's signal then aborts whatever `fn` is still running), `aborted` when
 * `parent` aborts first, `threw` when `fn` throws (a bug). Never rejects.
 */
export function withBudget<T>(
  clock: Clock,
  timeoutMs: number,
  parent: AbortSignal | undefined,
  fn: (budget: Budget) => Promise<T>,
): Promise<BudgetEnd<T>> {
  const controller = new AbortController();
  const deadline = clock.nowMs() + timeoutMs;
  const budget: Budget = {
    signal: controller.signal,
    remainingMs: () => Math.max(1, deadline - clock.nowMs()),
    op: () => ({ timeoutMs: Math.max(1, deadline - clock.nowMs()), signal: controller.signal }),
    sleep: (ms) => clockSleep(clock, ms, controller.signal),
  };
  return new Promise<BudgetEnd<T>>((resolve) => {
    let settled = false;
    const finish = (end: BudgetEnd<T>) => {
      if (settled) return;
      settled = true;
      cancelTimer();
      parent?.removeEventListener('abort', onParentAbort);
      if (end.kind !== 'done') controller.abort();
      resolve(end);
    };
    const onParentAbort = () => finish({ kind: 'aborted' });
    const cancelTimer = clock.setTimer(timeoutMs, () => finish({ kind: 'timeout' }));
    if (parent?.aborted) return finish({ kind: 'aborted' });
    parent?.addEventListener('abort', onParentAbort, { once: true });
    fn(budget).then(
      (value) => finish({ kind: 'done', value }),
      (error: unknown) => finish({ kind: 'threw', error }),
    );
  });
}
