import type { z } from 'zod';
import { SECTION_SCHEMAS } from './schema.js';
import type { KeyPath } from './problem.js';

/** A problem found by a rule, before it is located in the file. */
export interface RuleFinding {
  readonly path: KeyPath;
  readonly message: string;
}

type Nodes = z.output<typeof SECTION_SCHEMAS.nodes>;
type Resources = z.output<typeof SECTION_SCHEMAS.resources>;

/**
 * Rules that relate two sections (resources and nodes). Each section is validated on its own
 * first, so these are reported even when an unrelated part of the file is broken. Pure.
 */
export function crossSectionFindings(raw: unknown): RuleFinding[] {
  if (raw === null || typeof raw !== 'object') return [];
  const doc = raw as Record<string, unknown>;
  const nodes = SECTION_SCHEMAS.nodes.safeParse(doc['nodes']);
  const resources = SECTION_SCHEMAS.resources.safeParse(doc['resources']);
  if (!nodes.success || !resources.success) return [];
  return [
    ...preferredNodeFindings(nodes.data, resources.data),
    ...floatingAddressFindings(nodes.data, resources.data),
  ];
}

function preferredNodeFindings(nodes: Nodes, resources: Resources): RuleFinding[] {
  const names = nodes.map((n) => n.name);
  return resources.flatMap((r, i) =>
    r.preferredNode !== null && !names.includes(r.preferredNode)
      ? [
          {
            path: ['resources', i, 'preferred-node'],
            message: `preferred-node ${r.preferredNode} is not one of the nodes (${names.join(', ')})`,
          },
        ]
      : [],
  );
}

function floatingAddressFindings(nodes: Nodes, resources: Resources): RuleFinding[] {
  const owner = new Map<string, string>();
  for (const n of nodes) for (const a of n.addresses) owner.set(a.toLowerCase(), n.name);
  return resources.flatMap((r, i) =>
    r.addresses.flatMap((a, j) => {
      const node = owner.get(a.address.toLowerCase());
      return node === undefined
        ? []
        : [
            {
              path: ['resources', i, 'addresses', j],
              message: `floating address ${a.address} is ${node}'s heartbeat address: a floating address must be a separate address that moves with the resource`,
            },
          ];
    }),
  );
}
