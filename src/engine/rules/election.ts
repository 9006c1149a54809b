/** The one tie-break both nodes apply when both are Secondary. Pure. */

/** The agreed tie-break: preferred node, else the last Primary, else the lower node name. Pure. */
export function elect(
  self: string,
  selfCandidate: boolean,
  peer: string,
  peerCandidate: boolean,
  preferred: string | null,
  lastPrimary: string | null,
): { readonly winner: string | null; readonly by: 'preferred' | 'last-primary' | 'name' | 'only' | 'none' } {
  const candidates = [...(selfCandidate ? [self] : []), ...(peerCandidate ? [peer] : [])];
  if (candidates.length === 0) return { winner: null, by: 'none' };
  if (candidates.length === 1) return { winner: candidates[0] ?? null, by: 'only' };
  if (preferred !== null && candidates.includes(preferred)) return { winner: preferred, by: 'preferred' };
  if (lastPrimary !== null && candidates.includes(lastPrimary))
    return { winner: lastPrimary, by: 'last-primary' };
  return { winner: self < peer ? self : peer, by: 'name' };
}
