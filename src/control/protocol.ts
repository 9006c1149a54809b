import type { z } from 'zod';
import { err, ok, type Result } from '../common/result.js';
import type { DeliveryReport } from '../notify/delivery.js';
import type { requestSchema } from './request-schema.js';
import type { StatusSnapshot } from './status-snapshot.js';

/**
 * The local control protocol: newline-delimited JSON over a unix stream socket, one request line answered by
 * one response line, several per connection allowed. Requests carry `v` (protocol version, default 1) and an
 * optional `id` echoed in the response; both may be omitted, so a DRBD handler can send just
 * `{"op":"fence-peer","resource":"r0"}`. The request schema (zod) is in request-schema.ts: only the
 * daemon's side parses requests, and the CLI's side should not load zod.
 */
export const CONTROL_PROTOCOL_VERSION = 1;

/** Where the daemon listens unless `control.socket` says otherwise. */
export const DEFAULT_CONTROL_SOCKET = '/run/drbd-sentinel/control.sock';

/** Longest request line the server accepts (bytes, newline excluded). */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Longest response line the client accepts (a status of many resources stays far below). */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** One control request (without the envelope). */
export type ControlRequest = z.infer<typeof requestSchema>;
export type ControlOp = ControlRequest['op'];
export type RequestOf<K extends ControlOp> = Extract<ControlRequest, { op: K }>;
export type RequestId = string | number | null;

/** One step of an operation as the daemon reports it (switchover pre-checks, release, takeover...). */
export interface StepReport {
  readonly step: string;
  readonly status: 'ok' | 'failed' | 'skipped';
  readonly detail?: string;
  readonly durationMs?: number;
}

/** Result of switchover / standby / maintenance: a one-line summary and the steps taken. */
export interface OperationReport {
  readonly summary: string;
  readonly steps: readonly StepReport[];
}

/**
 * Result of fence-peer / unfence-peer: the exit code the DRBD handler entry point must return to DRBD
 * (fence-peer: 3 peer Inconsistent, 4 peer Outdated, 5 peer unreachable, 6 peer Primary: refused,
 * 7 peer fenced (STONITH); unfence-peer: 0) and why.
 */
export interface FencePeerResult {
  readonly exitCode: number;
  readonly message: string;
}

export interface NotifyTestResult {
  readonly deliveries: readonly DeliveryReport[];
}

/** What each operation answers on success. */
export interface ControlResults {
  status: StatusSnapshot;
  switchover: OperationReport;
  standby: OperationReport;
  maintenance: OperationReport;
  'fence-peer': FencePeerResult;
  'unfence-peer': FencePeerResult;
  'notify-test': NotifyTestResult;
}

/** An error answer: a stable code (E_CONTROL for a bad request, the daemon's reason code for a refusal). */
export interface ControlErrorBody {
  readonly code: string;
  readonly message: string;
}

export type ControlResponse =
  | { readonly v: number; readonly id: RequestId; readonly ok: true; readonly result: unknown }
  | { readonly v: number; readonly id: RequestId; readonly ok: false; readonly error: ControlErrorBody };

/** Serializes a request with its envelope (pure). */
export function formatRequestLine(request: ControlRequest, requestId: RequestId): string {
  return `${JSON.stringify({ v: CONTROL_PROTOCOL_VERSION, id: requestId, ...request })}\n`;
}

/** Serializes a response (pure). */
export function formatResponseLine(response: ControlResponse): string {
  return `${JSON.stringify(response)}\n`;
}

/** Parses one response line (pure, total). */
export function parseResponseLine(line: string): Result<ControlResponse, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return err('response is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null) return err('response is not an object');
  const r = raw as Record<string, unknown>;
  const rid = r.id;
  if (!(rid === null || typeof rid === 'string' || typeof rid === 'number')) return err('response has no id');
  if (typeof r.v !== 'number') return err('response has no version');
  if (r.ok === true) return ok({ v: r.v, id: rid, ok: true, result: r.result });
  if (r.ok === false && typeof r.error === 'object' && r.error !== null) {
    const e = r.error as Record<string, unknown>;
    return ok({
      v: r.v,
      id: rid,
      ok: false,
      error: { code: String(e.code ?? 'E_CONTROL'), message: String(e.message ?? '') },
    });
  }
  return err('response is neither ok nor an error');
}
