import type { Clock } from '../common/clock.js';
import { runCommand } from '../common/exec.js';
import type { NotifyHook } from './hooks.js';
import { payloadEnv, type NotifyPayload } from './payload.js';

/** Why a delivery failed: stable reason codes for logs, metrics and `notify-test` output. */
export type DeliveryFailure =
  | 'hook-exit-nonzero'
  | 'hook-timeout'
  | 'hook-spawn-error'
  | 'webhook-http-status'
  | 'webhook-timeout'
  | 'webhook-network'
  | 'aborted';

/** The outcome of delivering one payload to one hook (after retries). */
export type DeliveryReport =
  | {
      readonly hook: string;
      readonly kind: NotifyHook['kind'];
      readonly status: 'ok';
      readonly attempts: number;
      readonly durationMs: number;
    }
  | {
      readonly hook: string;
      readonly kind: NotifyHook['kind'];
      readonly status: 'failed';
      readonly reason: DeliveryFailure;
      readonly detail: string;
      readonly attempts: number;
      readonly durationMs: number;
    };

export interface DeliveryContext {
  readonly clock: Clock;
  /** Aborts a delivery in progress (daemon shutdown). */
  readonly signal?: AbortSignal;
}

/** Delivers one payload to one hook. Never throws. */
export function deliver(
  hook: NotifyHook,
  payload: NotifyPayload,
  ctx: DeliveryContext,
): Promise<DeliveryReport> {
  return hook.kind === 'command' ? deliverCommand(hook, payload, ctx) : deliverWebhook(hook, payload, ctx);
}

async function deliverCommand(
  hook: Extract<NotifyHook, { kind: 'command' }>,
  payload: NotifyPayload,
  ctx: DeliveryContext,
): Promise<DeliveryReport> {
  const base = { hook: hook.name, kind: 'command' as const, attempts: 1 };
  const r = await runCommand(hook.argv, {
    timeoutMs: hook.timeoutMs,
    stdin: `${JSON.stringify(payload)}\n`,
    env: payloadEnv(payload),
    maxOutputBytes: 16 * 1024,
    killGraceMs: 1_000,
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
  });
  switch (r.status) {
    case 'ok':
      return { ...base, status: 'ok', durationMs: r.durationMs };
    case 'failed':
      return {
        ...base,
        status: 'failed',
        reason: 'hook-exit-nonzero',
        detail: `exit ${r.exitCode ?? r.signal ?? '?'}${r.stderr.trim() ? `: ${lastLine(r.stderr)}` : ''}`,
        durationMs: r.durationMs,
      };
    case 'timeout':
      return {
        ...base,
        status: 'failed',
        reason: 'hook-timeout',
        detail: `killed after ${hook.timeoutMs}ms`,
        durationMs: r.durationMs,
      };
    case 'aborted':
      return {
        ...base,
        status: 'failed',
        reason: 'aborted',
        detail: 'daemon stopping',
        durationMs: r.durationMs,
      };
    case 'spawn-error':
      return {
        ...base,
        status: 'failed',
        reason: 'hook-spawn-error',
        detail: r.message,
        durationMs: r.durationMs,
      };
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}

type Attempt = { ok: true } | { ok: false; retry: boolean; reason: DeliveryFailure; detail: string };

async function attemptWebhook(
  hook: Extract<NotifyHook, { kind: 'webhook' }>,
  body: string,
  signal: AbortSignal | undefined,
): Promise<Attempt> {
  const timeout = AbortSignal.timeout(hook.timeoutMs);
  const combined = signal === undefined ? timeout : AbortSignal.any([timeout, signal]);
  try {
    const res = await fetch(hook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'drbd-sentinel', ...hook.headers },
      body,
      signal: combined,
      redirect: 'error',
    });
    // Drain the body so the connection is released; its content does not matter.
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return { ok: true };
    // SAFETY: none (operator paging only). 4xx other than 429 means the request itself is wrong: retrying repeats it.
    const retry = res.status === 429 || res.status >= 500;
    return { ok: false, retry, reason: 'webhook-http-status', detail: `HTTP ${res.status}` };
  } catch (e) {
    if (signal?.aborted === true)
      return { ok: false, retry: false, reason: 'aborted', detail: 'daemon stopping' };
    if (timeout.aborted)
      return {
        ok: false,
        retry: true,
        reason: 'webhook-timeout',
        detail: `no answer within ${hook.timeoutMs}ms`,
      };
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
    return {
      ok: false,
      retry: true,
      reason: 'webhook-network',
      detail: `${e instanceof Error ? e.message : String(e)}${cause}`,
    };
  }
}

async function deliverWebhook(
  hook: Extract<NotifyHook, { kind: 'webhook' }>,
  payload: NotifyPayload,
  ctx: DeliveryContext,
): Promise<DeliveryReport> {
  const started = ctx.clock.nowMs();
  const body = JSON.stringify(payload);
  const base = { hook: hook.name, kind: 'webhook' as const };
  let attempts = 0;
  for (;;) {
    attempts++;
    const a = await attemptWebhook(hook, body, ctx.signal);
    if (a.ok) return { ...base, status: 'ok', attempts, durationMs: ctx.clock.nowMs() - started };
    if (!a.retry || attempts > hook.retries) {
      return {
        ...base,
        status: 'failed',
        reason: a.reason,
        detail: a.detail,
        attempts,
        durationMs: ctx.clock.nowMs() - started,
      };
    }
    const backoffMs = hook.retryBackoffMs * 2 ** (attempts - 1);
    const aborted = await sleep(ctx.clock, backoffMs, ctx.signal);
    if (aborted) {
      return {
        ...base,
        status: 'failed',
        reason: 'aborted',
        detail: 'daemon stopping',
        attempts,
        durationMs: ctx.clock.nowMs() - started,
      };
    }
  }
}

/** Waits on the clock; resolves true when aborted first. */
function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve(true);
    const onAbort = () => {
      cancel();
      resolve(true);
    };
    const cancel = clock.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve(false);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
