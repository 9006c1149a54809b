/**
 * The entry-point side of `drbd-sentinel fence-peer` / `unfence-peer`: one control request to the
 * local daemon, its answer turned into the exit code DRBD expects. The control socket client is
 * injected (src/control's `controlRequest` in production, a fake in tests).
 */
import type { Result } from '../common/result.js';
import { FENCE_PEER_EXIT, type FencePeerExitCode } from '../drbd/fence-peer-codes.js';

/** What the control client returns for fence-peer / unfence-peer. */
export type FenceControlCall = (
  request: { readonly op: 'fence-peer' | 'unfence-peer'; readonly resource: string },
  timeoutMs: number,
) => Promise<Result<{ readonly exitCode: number; readonly message: string }, { readonly message: string }>>;

const DRBD_CODES: ReadonlySet<number> = new Set([3, 4, 5, 6, 7]);

/**
 * Asks the daemon and returns DRBD's exit code. Anything but a valid 3..7 answer is 1: with
 * `fencing resource-and-stonith` DRBD then keeps I/O frozen (SAFETY.md: "Unknown is never dead").
 */
export async function fencePeerViaDaemon(
  resource: string,
  call: FenceControlCall,
  timeoutMs: number,
): Promise<{ readonly exitCode: FencePeerExitCode; readonly message: string }> {
  const r = await call({ op: 'fence-peer', resource }, timeoutMs);
  if (!r.ok)
    return { exitCode: FENCE_PEER_EXIT.FAILURE, message: `daemon not reachable: ${r.error.message}` };
  if (!DRBD_CODES.has(r.value.exitCode))
    return {
      exitCode: FENCE_PEER_EXIT.FAILURE,
      message: `daemon answered exit code ${r.value.exitCode}: ${r.value.message}`,
    };
  return { exitCode: r.value.exitCode as FencePeerExitCode, message: r.value.message };
}

/**
 * after-resync-target: tells the daemon the peer's resync finished (drop any fencing constraint).
 * Always exit 0: DRBD only logs this handler's exit code, and a failure here must not look like one.
 */
export async function unfencePeerViaDaemon(
  resource: string,
  call: FenceControlCall,
  timeoutMs: number,
): Promise<{ readonly exitCode: 0; readonly message: string }> {
  const r = await call({ op: 'unfence-peer', resource }, timeoutMs);
  if (!r.ok) return { exitCode: 0, message: `daemon not told: ${r.error.message}` };
  return { exitCode: 0, message: r.value.message };
}
