/**
 * The daemon's side of the control protocol (protocol.ts): the request schema and the request parser,
 * kept apart so that the clients (the CLI, DRBD's fence-peer handler) do not load zod.
 */
import { z } from 'zod';
import { err, ok, type Result } from '../common/result.js';
import { NOTIFY_EVENTS } from '../common/notify-events.js';
import {
  CONTROL_PROTOCOL_VERSION,
  type ControlErrorBody,
  type ControlRequest,
  type RequestId,
} from './protocol.js';

const resourceName = z.string().min(1).max(256);
const nodeName = z.string().min(1).max(256);
const id = z.union([z.string().max(128), z.number(), z.null()]).optional();

export const requestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('status') }),
  z.object({
    op: z.literal('switchover'),
    resource: resourceName.nullable().optional(),
    to: nodeName.nullable().optional(),
  }),
  z.object({ op: z.literal('standby'), on: z.boolean() }),
  z.object({ op: z.literal('maintenance'), on: z.boolean() }),
  z.object({ op: z.literal('fence-peer'), resource: resourceName }),
  z.object({ op: z.literal('unfence-peer'), resource: resourceName }),
  z.object({ op: z.literal('notify-test'), event: z.enum(NOTIFY_EVENTS) }),
]);

/** A parsed request line: the request with its id, or an error to send back (with the id when readable). */
export type ParsedRequest = Result<
  { readonly id: RequestId; readonly request: ControlRequest },
  { readonly id: RequestId; readonly error: ControlErrorBody }
>;

/** Parses one request line (pure, total: never throws). */
export function parseRequestLine(line: string): ParsedRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return err({ id: null, error: { code: 'E_CONTROL', message: 'request is not valid JSON' } });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return err({ id: null, error: { code: 'E_CONTROL', message: 'request must be a JSON object' } });
  const envelope = raw as Record<string, unknown>;
  const parsedId = id.safeParse(envelope.id);
  const reqId: RequestId = parsedId.success ? (parsedId.data ?? null) : null;
  if (!parsedId.success)
    return err({ id: null, error: { code: 'E_CONTROL', message: 'id must be a string, number or null' } });
  const v = envelope.v ?? CONTROL_PROTOCOL_VERSION;
  if (v !== CONTROL_PROTOCOL_VERSION)
    return err({
      id: reqId,
      error: {
        code: 'E_CONTROL',
        message: `unsupported protocol version ${JSON.stringify(v)}: this daemon speaks ${CONTROL_PROTOCOL_VERSION}`,
      },
    });
  const { v: _v, id: _id, ...rest } = envelope;
  const parsed = requestSchema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return err({
      id: reqId,
      error: { code: 'E_CONTROL', message: `invalid request: ${where}${issue?.message ?? 'unknown'}` },
    });
  }
  return ok({ id: reqId, request: parsed.data });
}
