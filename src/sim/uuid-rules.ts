/**
 * DRBD 8.4's generation-identifier rules, as a pure function: which side resyncs from which, or
 * whether the two data sets diverged (split-brain), decided on every connect. Modelled on the rule
 * table of `drbd_uuid_compare()` / `drbd_sync_handshake()` (drbd-8.4 drbd_receiver.c, rule numbers
 * kept for log messages) and the after-sb policies of the DRBD user guide. Written from the
 * documented behaviour, not copied.
 */
import type { DiskState, Role } from '../drbd/types.js';

/** The generation identifiers kept in DRBD's metadata: 16 hex digits each. */
export interface GenerationIds {
  readonly current: string;
  readonly bitmap: string;
  readonly history: readonly [string, string];
}

export const UUID_ZERO = '0000000000000000';
/** DRBD's magic current UUID of freshly created metadata (`UUID_JUST_CREATED`). */
export const UUID_JUST_CREATED = '0000000000000004';

export type AfterSb0Pri =
  'disconnect' | 'discard-zero-changes' | 'discard-least-changes' | 'discard-local' | 'discard-remote';
export type AfterSb1Pri = 'disconnect' | 'consensus' | 'discard-secondary' | 'violently-as0p';
export type AfterSb2Pri = 'disconnect' | 'violently-as0p';

export interface AfterSbPolicies {
  readonly afterSb0Pri: AfterSb0Pri;
  readonly afterSb1Pri: AfterSb1Pri;
  readonly afterSb2Pri: AfterSb2Pri;
}

/** DRBD's defaults: every after-sb policy is `disconnect`. */
export const DEFAULT_AFTER_SB: AfterSbPolicies = {
  afterSb0Pri: 'disconnect',
  afterSb1Pri: 'disconnect',
  afterSb2Pri: 'disconnect',
};

/** What one side tells the other in the handshake (DRBD's P_UUIDS + P_STATE, reduced). */
export interface HandshakeSide {
  readonly uuids: GenerationIds;
  readonly disk: DiskState;
  readonly role: Role;
  /** Metadata flag MDF_CRASHED_PRIMARY: this node was Primary when it lost power. */
  readonly crashedPrimary: boolean;
  /** `connect --discard-my-data` was given on this side. */
  readonly discardMyData: boolean;
  /** Bits set in the bitmap (changes made while disconnected), in 4 KiB blocks. */
  readonly changedBlocks: number;
}

/** Order of disk states as DRBD's enum orders them (comparisons like `disk > D_INCONSISTENT`). */
export function diskRank(disk: DiskState): number {
  switch (disk) {
    case 'Diskless':
      return 0;
    case 'Attaching':
      return 1;
    case 'Detaching':
      return 1;
    case 'Failed':
      return 2;
    case 'Negotiating':
      return 3;
    case 'Inconsistent':
      return 4;
    case 'Outdated':
      return 5;
    case 'DUnknown':
      return 6;
    case 'Consistent':
      return 7;
    case 'UpToDate':
      return 8;
  }
}

const strip = (uuid: string): string => {
  // The lowest bit carries the "was primary" flag in DRBD; comparisons ignore it.
  const last = parseInt(uuid.slice(-1), 16) & ~1;
  return uuid.slice(0, -1) + last.toString(16).toUpperCase();
};

/**
 * DRBD's uuid comparison from `self`'s point of view. `hg` (handshake goal): 0 no resync, 1 / -1
 * bitmap-based resync as source / target, 2 / -2 full resync as source / target, 100 split-brain
 * that after-sb policies may resolve, -100 split-brain they may not, -1000 unrelated data.
 * Pure.
 */
export function compareUuids(
  self: HandshakeSide,
  peer: HandshakeSide,
  resolveConflicts: boolean,
): { readonly hg: number; readonly rule: number } {
  const sCur = strip(self.uuids.current);
  const pCur = strip(peer.uuids.current);
  if (sCur === UUID_JUST_CREATED && pCur === UUID_JUST_CREATED) return { hg: 0, rule: 10 };
  if ((sCur === UUID_JUST_CREATED || sCur === UUID_ZERO) && pCur !== UUID_JUST_CREATED)
    return { hg: -2, rule: 20 };
  if (sCur !== UUID_JUST_CREATED && (pCur === UUID_JUST_CREATED || pCur === UUID_ZERO))
    return { hg: 2, rule: 30 };
  if (sCur === pCur) {
    // A finished resync whose bitmap-UUID cleanup did not reach one side.
    if (peer.uuids.bitmap === UUID_ZERO && self.uuids.bitmap !== UUID_ZERO) return { hg: 1, rule: 34 };
    if (self.uuids.bitmap === UUID_ZERO && peer.uuids.bitmap !== UUID_ZERO) return { hg: -1, rule: 36 };
    // Common power failure: the side that was Primary at the crash has the newer activity log.
    const rct = (self.crashedPrimary ? 1 : 0) + (peer.crashedPrimary ? 2 : 0);
    if (rct === 0) return { hg: 0, rule: 40 };
    if (rct === 1) return { hg: 1, rule: 40 };
    if (rct === 2) return { hg: -1, rule: 40 };
    return { hg: resolveConflicts ? -1 : 1, rule: 40 };
  }
  if (sCur === strip(peer.uuids.bitmap)) return { hg: -1, rule: 50 };
  if (sCur === strip(peer.uuids.history[0])) return { hg: -1, rule: 51 };
  for (const h of peer.uuids.history) if (sCur === strip(h)) return { hg: -2, rule: 60 };
  if (strip(self.uuids.bitmap) === pCur) return { hg: 1, rule: 70 };
  if (strip(self.uuids.history[0]) === pCur) return { hg: 1, rule: 71 };
  for (const h of self.uuids.history) if (strip(h) === pCur) return { hg: 2, rule: 80 };
  if (self.uuids.bitmap !== UUID_ZERO && strip(self.uuids.bitmap) === strip(peer.uuids.bitmap))
    return { hg: 100, rule: 90 };
  for (const a of self.uuids.history)
    for (const b of peer.uuids.history)
      if (a !== UUID_ZERO && strip(a) === strip(b)) return { hg: -100, rule: 100 };
  return { hg: -1000, rule: 100 };
}

/** The outcome of the connect handshake from one side's point of view. */
export type HandshakeOutcome =
  | { readonly kind: 'no-sync'; readonly rule: number; readonly initialSplitBrain: boolean }
  | {
      readonly kind: 'sync';
      readonly role: 'source' | 'target';
      readonly full: boolean;
      readonly rule: number;
      readonly initialSplitBrain: boolean;
      /** Split-brain resolved by an after-sb policy or --discard-my-data (log text, for the record). */
      readonly resolvedSplitBrain: string | null;
    }
  | { readonly kind: 'split-brain'; readonly rule: number }
  | { readonly kind: 'unrelated'; readonly rule: number }
  | { readonly kind: 'abort'; readonly reason: string; readonly rule: number };

function recover0p(policy: AfterSb0Pri, self: HandshakeSide, peer: HandshakeSide, dc: boolean): number {
  const chSelf = self.changedBlocks;
  const chPeer = peer.changedBlocks;
  switch (policy) {
    case 'disconnect':
      return -100;
    case 'discard-local':
      return -1;
    case 'discard-remote':
      return 1;
    case 'discard-zero-changes':
      if (chSelf === 0 && chPeer === 0) return dc ? -1 : 1;
      if (chPeer === 0) return 1;
      if (chSelf === 0) return -1;
      return -100;
    case 'discard-least-changes':
      if (chSelf < chPeer) return -1;
      if (chSelf > chPeer) return 1;
      return dc ? -1 : 1;
  }
}

/**
 * The full connect handshake (DRBD's `drbd_sync_handshake`) from `self`'s point of view. Both sides
 * run it with mirrored arguments and reach mirrored outcomes; `resolveConflicts` is true on exactly
 * one side. Pure.
 */
export function decideHandshake(
  self: HandshakeSide,
  peer: HandshakeSide,
  resolveConflicts: boolean,
  policies: AfterSbPolicies,
): HandshakeOutcome {
  const { hg: hg0, rule } = compareUuids(self, peer, resolveConflicts);
  let hg = hg0;
  if (hg === -1000) return { kind: 'unrelated', rule };
  const my = diskRank(self.disk);
  const their = diskRank(peer.disk);
  const inc = diskRank('Inconsistent');
  if ((my === inc && their > inc) || (their === inc && my > inc)) {
    const full = hg === -100 || Math.abs(hg) === 2;
    hg = my > inc ? 1 : -1;
    if (full) hg *= 2;
  }
  const initialSplitBrain = Math.abs(hg) === 100;
  let resolved: string | null = null;
  if (hg === 100) {
    const pcount = (self.role === 'Primary' ? 1 : 0) + (peer.role === 'Primary' ? 1 : 0);
    let r: number;
    if (pcount === 0) r = recover0p(policies.afterSb0Pri, self, peer, resolveConflicts);
    else if (pcount === 1) {
      const p = policies.afterSb1Pri;
      if (p === 'disconnect') r = -100;
      else if (p === 'discard-secondary') r = self.role === 'Secondary' ? -1 : 1;
      else if (p === 'violently-as0p') r = recover0p(policies.afterSb0Pri, self, peer, resolveConflicts);
      else {
        // consensus: follow the 0pri verdict only when it discards the Secondary.
        const v = recover0p(policies.afterSb0Pri, self, peer, resolveConflicts);
        r = (v === -1 && self.role === 'Secondary') || (v === 1 && self.role === 'Primary') ? v : -100;
      }
    } else
      r =
        policies.afterSb2Pri === 'disconnect'
          ? -100
          : recover0p(policies.afterSb0Pri, self, peer, resolveConflicts);
    hg = r;
    if (Math.abs(hg) < 100)
      resolved = `Split-Brain detected, ${pcount} primaries, automatically solved. Sync from ${hg < 0 ? 'peer' : 'this'} node`;
  }
  if (hg === -100) {
    if (self.discardMyData && !peer.discardMyData) hg = -1;
    if (!self.discardMyData && peer.discardMyData) hg = 1;
    if (Math.abs(hg) < 100)
      resolved = `Split-Brain detected, manually solved. Sync from ${hg < 0 ? 'peer' : 'this'} node`;
  }
  if (hg === -100 || hg === 100) return { kind: 'split-brain', rule };
  if (hg > 0 && my <= inc)
    return { kind: 'abort', reason: 'I shall become SyncSource, but I am inconsistent!', rule };
  if (hg < 0 && self.role === 'Primary' && my >= diskRank('Consistent'))
    return { kind: 'abort', reason: 'I shall become SyncTarget, but I am primary!', rule };
  if (hg === 0) return { kind: 'no-sync', rule, initialSplitBrain };
  return {
    kind: 'sync',
    role: hg > 0 ? 'source' : 'target',
    full: Math.abs(hg) >= 2,
    rule,
    initialSplitBrain,
    resolvedSplitBrain: resolved,
  };
}
