import type { FrameHeader } from './wire-format.js';

/**
 * Largest time (ms) a frame may carry: 2^42 ms, about 139 years. `sendTimeMs` is the sender's monotonic
 * clock (time since its boot), so a genuine value is far below; anything above is a bug or an attack.
 */
export const MAX_WIRE_TIME_MS = 2 ** 42;

/** The numeric header fields of a frame, in wire order. */
export type NumericField =
  | 'link'
  | 'incarnation'
  | 'seq'
  | 'sendTimeMs'
  | 'linkSeq'
  | 'echoIncarnation'
  | 'echoSendTimeMs'
  | 'echoHoldMs';

const isCount = (n: number, min: number): boolean => Number.isSafeInteger(n) && n >= min;
const isTime = (n: number): boolean => Number.isFinite(n) && n >= 0 && n <= MAX_WIRE_TIME_MS;

/**
 * The first numeric header field outside the range this build sends, or null when every one is in range.
 * Pure. The encoder and the decoder share it, so every frame a receiver accepts can be echoed back
 * (its `sendTimeMs` becomes our `echoSendTimeMs`): a receiver never holds a value it cannot encode.
 */
export function invalidNumericField(h: Pick<FrameHeader, NumericField>): NumericField | null {
  if (!Number.isInteger(h.link) || h.link < 0 || h.link > 255) return 'link';
  if (!isCount(h.incarnation, 1)) return 'incarnation';
  if (!isCount(h.seq, 1)) return 'seq';
  if (!isTime(h.sendTimeMs)) return 'sendTimeMs';
  // Every heartbeat takes one seq and one linkSeq of its link, so a genuine linkSeq never exceeds seq.
  if (!isCount(h.linkSeq, 0) || h.linkSeq > h.seq) return 'linkSeq';
  if (!isCount(h.echoIncarnation, 0)) return 'echoIncarnation';
  if (h.echoSendTimeMs !== null && !isTime(h.echoSendTimeMs)) return 'echoSendTimeMs';
  if (!isTime(h.echoHoldMs)) return 'echoHoldMs';
  return null;
}
