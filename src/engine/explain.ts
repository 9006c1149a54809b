/** Human one-liners for `status` and logs. Pure. */
import type { Decision, ResourceDecision } from './decision.js';
import { REASONS } from './reasons.js';

function planText(d: { readonly plan: ResourceDecision['plan'] }): string {
  const kinds = d.plan.filter((a) => a.kind !== 'notify').map((a) => a.kind);
  return kinds.length === 0 ? 'no action' : kinds.join(' > ');
}

/** One line for one resource: `r0: TAKEOVER_FENCED (page) - The peer is fenced (proof): take over. [promote > mount ...]`. */
export function explainResource(d: ResourceDecision): string {
  const info = REASONS[d.reason];
  return `${d.resource}: ${d.reason} (${info.severity}) - ${info.node} [${planText(d)}]`;
}

/** One line for a whole decision: the headline reason, then each resource's. */
export function explain(decision: Decision): string {
  if (decision.resources.length === 0) return `${decision.reason}: ${REASONS[decision.reason].node}`;
  return decision.resources.map(explainResource).join('; ');
}
