/** The arbiter's failure reason codes (logs, metrics, `check-config`). */
export type ArbiterFailure =
  | 'ARBITER_UNREACHABLE'
  | 'ARBITER_TIMEOUT'
  | 'ARBITER_PERMISSION_DENIED'
  | 'ARBITER_AUTH_FAILED'
  | 'ARBITER_TLS'
  | 'ARBITER_LEASE_LOST'
  | 'ARBITER_WATCH_LOST'
  | 'ARBITER_CLIENT_UNAVAILABLE'
  | 'ARBITER_ERROR';

/** Classifies an error of the etcd3 client (or of our own timeout) into a reason code. Pure. */
export function classifyEtcdError(e: unknown): ArbiterFailure {
  const name = e instanceof Error ? e.constructor.name : '';
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof ArbiterTimeout) return 'ARBITER_TIMEOUT';
  if (name === 'EtcdPermissionDeniedError' || /permission denied/i.test(msg))
    return 'ARBITER_PERMISSION_DENIED';
  if (
    name === 'EtcdAuthenticationFailedError' ||
    name === 'GRPCUnauthenticatedError' ||
    /authentication failed|user name is empty|invalid auth token/i.test(msg)
  )
    return 'ARBITER_AUTH_FAILED';
  if (name === 'EtcdLeaseInvalidError' || /requested lease not found/i.test(msg)) return 'ARBITER_LEASE_LOST';
  if (/ssl|tls|certificate|handshake/i.test(msg)) return 'ARBITER_TLS';
  if (
    name === 'GRPCUnavailableError' ||
    name === 'GRPCDeadlineExceededError' ||
    name === 'GRPCConnectFailedError' ||
    /unavailable|no connection|connect|ECONNREFUSED|deadline/i.test(msg)
  )
    return 'ARBITER_UNREACHABLE';
  return 'ARBITER_ERROR';
}

/** A request that etcd did not answer within the arbiter's timeout. */
export class ArbiterTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer from etcd within ${ms}ms`);
  }
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
