import { createHmac, timingSafeEqual } from 'node:crypto';
import { err, ok, type Result } from '../common/result.js';
import type { RejectReason } from './counters.js';
import { invalidNumericField } from './frame-fields.js';
import type { NodeReport } from './node-report.js';
import type { PeerOperation, PeerReply } from './peer-protocol.js';
import { heartbeatBodySchema, requestBodySchema, responseBodySchema } from './wire-schemas.js';

/**
 * The membership wire format, version 1 (docs/membership.md, "Frame layout"). Pure: no I/O, no clock.
 *
 * ```
 * off len  field
 *   0   4  magic "DSNT"
 *   4   1  version (1)
 *   5   1  type: 1 heartbeat, 2 request, 3 response
 *   6   1  link index the sender sent this frame on
 *   7   1  flags (0; non-zero is malformed in v1)
 *   8   8  incarnation (u64 BE, <= 2^53-1)
 *  16   8  seq (u64 BE, per sender incarnation, every frame on every link)
 *  24   8  sendTimeMs (f64 BE, sender's monotonic clock)
 *  32   8  linkSeq (u64 BE, per link heartbeat counter)
 *  40   8  echoIncarnation (u64 BE, the receiver's incarnation as the sender last heard it; 0 = none)
 *  48   8  echoSendTimeMs (f64 BE, sendTimeMs of the last heartbeat heard on this link; -1 = none)
 *  56   8  echoHoldMs (f64 BE, how long the sender held that echo before sending)
 *  64   1  cluster name length C, then C bytes UTF-8
 *       1  sender name length S, then S bytes UTF-8
 *       2  body length B (u16 BE), then B bytes of JSON (UTF-8)
 * end-32 32 HMAC-SHA256(key, every byte before it)
 * ```
 */
export const FRAME_MAGIC = Buffer.from('DSNT', 'ascii');
export const WIRE_VERSION = 1;
export const MAC_BYTES = 32;
export const FIXED_HEADER_BYTES = 64;
/** Smallest possible frame: fixed header, three length fields, an empty-ish body, the MAC. */
export const MIN_FRAME_BYTES = FIXED_HEADER_BYTES + 1 + 1 + 2 + MAC_BYTES;
/** Default bound on a frame; below the 9000-byte jumbo MTU, well below the UDP maximum. */
export const DEFAULT_MAX_FRAME_BYTES = 8192;
export const MAX_NAME_BYTES = 255;

const TYPE_CODES = { heartbeat: 1, request: 2, response: 3 } as const;

export type FrameBody =
  | { readonly type: 'heartbeat'; readonly report: NodeReport | null }
  | { readonly type: 'request'; readonly id: string; readonly op: PeerOperation }
  | { readonly type: 'response'; readonly id: string; readonly reply: PeerReply };

export type FrameType = FrameBody['type'];

/** Everything a frame carries besides its body. Times in milliseconds. */
export interface FrameHeader {
  readonly cluster: string;
  readonly sender: string;
  readonly link: number;
  readonly incarnation: number;
  readonly seq: number;
  /** Sender's monotonic clock when sent; only meaningful to the sender (echoed back for RTT). */
  readonly sendTimeMs: number;
  readonly linkSeq: number;
  /** The receiver's incarnation as last heard by the sender; 0 when it has heard none. */
  readonly echoIncarnation: number;
  /** The receiver's own `sendTimeMs` of the last heartbeat the sender heard on this link, or null. */
  readonly echoSendTimeMs: number | null;
  /** Time the sender held that echo between receiving it and sending this frame. */
  readonly echoHoldMs: number;
}

export interface Frame extends FrameHeader {
  readonly body: FrameBody;
}

export type EncodeError = 'too-large' | 'invalid-field';

function writeU64(buf: Buffer, off: number, n: number): void {
  buf.writeBigUInt64BE(BigInt(n), off);
}

function computeMac(key: Buffer, data: Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function bodyJson(body: FrameBody): string {
  switch (body.type) {
    case 'heartbeat':
      return JSON.stringify({ report: body.report });
    case 'request':
      return JSON.stringify({ id: body.id, op: body.op });
    case 'response':
      return JSON.stringify({ id: body.id, reply: body.reply });
  }
}

/**
 * Encodes and signs a frame. Pure. Fails (never throws) when a field is out of range or the frame would
 * exceed `maxFrameBytes`.
 */
export function encodeFrame(
  frame: Frame,
  key: Buffer,
  maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
): Result<Buffer, EncodeError> {
  const cluster = Buffer.from(frame.cluster, 'utf8');
  const sender = Buffer.from(frame.sender, 'utf8');
  const body = Buffer.from(bodyJson(frame.body), 'utf8');
  if (
    cluster.length === 0 ||
    cluster.length > MAX_NAME_BYTES ||
    sender.length === 0 ||
    sender.length > MAX_NAME_BYTES ||
    invalidNumericField(frame) !== null
  ) {
    return err('invalid-field');
  }
  if (body.length > 0xffff) return err('too-large');
  const total = FIXED_HEADER_BYTES + 1 + cluster.length + 1 + sender.length + 2 + body.length + MAC_BYTES;
  if (total > maxFrameBytes) return err('too-large');
  const buf = Buffer.alloc(total);
  FRAME_MAGIC.copy(buf, 0);
  buf.writeUInt8(WIRE_VERSION, 4);
  buf.writeUInt8(TYPE_CODES[frame.body.type], 5);
  buf.writeUInt8(frame.link, 6);
  buf.writeUInt8(0, 7);
  writeU64(buf, 8, frame.incarnation);
  writeU64(buf, 16, frame.seq);
  buf.writeDoubleBE(frame.sendTimeMs, 24);
  writeU64(buf, 32, frame.linkSeq);
  writeU64(buf, 40, frame.echoIncarnation);
  buf.writeDoubleBE(frame.echoSendTimeMs ?? -1, 48);
  buf.writeDoubleBE(frame.echoHoldMs, 56);
  let off = FIXED_HEADER_BYTES;
  buf.writeUInt8(cluster.length, off);
  cluster.copy(buf, off + 1);
  off += 1 + cluster.length;
  buf.writeUInt8(sender.length, off);
  sender.copy(buf, off + 1);
  off += 1 + sender.length;
  buf.writeUInt16BE(body.length, off);
  body.copy(buf, off + 2);
  off += 2 + body.length;
  computeMac(key, buf.subarray(0, off)).copy(buf, off);
  return ok(buf);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 decoding; null on invalid bytes (total). */
function decodeUtf8(bytes: Buffer): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

function readU64Safe(buf: Buffer, off: number): number {
  const v = buf.readBigUInt64BE(off);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : Number.NaN;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Verifies and decodes one datagram. Total: never throws on any input; every failure is a reject
 * reason. Order matters: bounds, magic and version first (cheap), then the MAC over the raw bytes
 * (constant-time compare), and only then is anything inside parsed, so no unauthenticated byte is
 * interpreted beyond the frame's length. Stateful checks (cluster, sender, incarnation, replay) are
 * the receiver's (see `Admission`).
 */
export function decodeFrame(
  packet: Uint8Array,
  key: Buffer,
  maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
): Result<Frame, RejectReason> {
  if (packet.length > maxFrameBytes) return err('oversized');
  if (packet.length < MIN_FRAME_BYTES) return err('too-short');
  const buf = Buffer.from(packet.buffer, packet.byteOffset, packet.length);
  if (!buf.subarray(0, 4).equals(FRAME_MAGIC)) return err('bad-magic');
  if (buf.readUInt8(4) !== WIRE_VERSION) return err('bad-version');
  const macOffset = buf.length - MAC_BYTES;
  const expected = computeMac(key, buf.subarray(0, macOffset));
  if (!timingSafeEqual(expected, buf.subarray(macOffset))) return err('bad-mac');

  // SAFETY (Authenticated peers): from here on the bytes are authenticated; still parse defensively.
  const typeCode = buf.readUInt8(5);
  const link = buf.readUInt8(6);
  if (buf.readUInt8(7) !== 0) return err('malformed');
  // Integers above 2^53 read as NaN, so the range check below rejects them with the other fields.
  const incarnation = readU64Safe(buf, 8);
  const seq = readU64Safe(buf, 16);
  const sendTimeMs = buf.readDoubleBE(24);
  const linkSeq = readU64Safe(buf, 32);
  const echoIncarnation = readU64Safe(buf, 40);
  const echoSendRaw = buf.readDoubleBE(48);
  const echoHoldMs = buf.readDoubleBE(56);
  const echoSendTimeMs = echoSendRaw === -1 ? null : echoSendRaw;
  const numbers = {
    link,
    incarnation,
    seq,
    sendTimeMs,
    linkSeq,
    echoIncarnation,
    echoSendTimeMs,
    echoHoldMs,
  };
  // SAFETY (Authenticated peers): a signed frame may still carry values we never send (a bug, or a key
  // holder). Nothing out of range is used or echoed, so whatever we accept we can encode again.
  if (invalidNumericField(numbers) !== null) return err('invalid-field');

  let off = FIXED_HEADER_BYTES;
  const clusterLen = buf.readUInt8(off);
  off += 1;
  if (off + clusterLen + 1 > macOffset) return err('malformed');
  const cluster = decodeUtf8(buf.subarray(off, off + clusterLen));
  off += clusterLen;
  const senderLen = buf.readUInt8(off);
  off += 1;
  if (off + senderLen + 2 > macOffset) return err('malformed');
  const sender = decodeUtf8(buf.subarray(off, off + senderLen));
  off += senderLen;
  const bodyLen = buf.readUInt16BE(off);
  off += 2;
  if (off + bodyLen !== macOffset) return err('malformed');
  if (cluster === null || cluster.length === 0 || sender === null || sender.length === 0)
    return err('malformed');
  const bodyText = decodeUtf8(buf.subarray(off, off + bodyLen));
  if (bodyText === null) return err('malformed');
  const json = parseJson(bodyText);
  if (json === undefined) return err('malformed');

  let body: FrameBody;
  switch (typeCode) {
    case TYPE_CODES.heartbeat: {
      const parsed = heartbeatBodySchema.safeParse(json);
      if (!parsed.success) return err('malformed');
      body = { type: 'heartbeat', report: parsed.data.report };
      break;
    }
    case TYPE_CODES.request: {
      const parsed = requestBodySchema.safeParse(json);
      if (!parsed.success) return err('malformed');
      body = { type: 'request', id: parsed.data.id, op: parsed.data.op };
      break;
    }
    case TYPE_CODES.response: {
      const parsed = responseBodySchema.safeParse(json);
      if (!parsed.success) return err('malformed');
      body = { type: 'response', id: parsed.data.id, reply: parsed.data.reply };
      break;
    }
    default:
      return err('malformed');
  }
  return ok({ cluster, sender, ...numbers, body });
}
