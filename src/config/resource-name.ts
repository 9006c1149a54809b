/**
 * The DRBD resource names the configuration accepts, in a module of its own so that the DRBD handler
 * entry points (fence-peer) can check DRBD_RESOURCE without loading the configuration schema (zod).
 *
 * DRBD refuses empty names, "/", spaces and control characters, and drbdadm reserves "all".
 * A conservative set keeps names safe in file names, journal lines and environment variables.
 */
export const RESOURCE_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,62}$/;
