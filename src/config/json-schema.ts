import { z } from 'zod';
import { SentinelConfigSchema } from './schema.js';
import type { KeyPath } from './problem.js';

type JsonSchema = Record<string, unknown>;

let cached: JsonSchema | undefined;

/**
 * The JSON Schema (draft 2020-12) of the configuration file as written: kebab-case keys, duration
 * strings, defaults. For editors (yaml-language-server) and `drbd-sentinel config-schema`.
 * Rules that span keys (deadtime >= 3 x interval, ...) are not expressible there; check-config
 * reports them. Pure (memoized).
 */
export function configJsonSchema(): JsonSchema {
  cached ??= {
    ...z.toJSONSchema(SentinelConfigSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }),
    title: 'drbd-sentinel configuration',
    description: 'Configuration of drbd-sentinel (/etc/drbd-sentinel/config.yaml); see docs/configuration.md',
  };
  return cached;
}

const asSchema = (v: unknown): JsonSchema | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonSchema) : undefined;

/** Follows anyOf/oneOf to the first alternative that is an object or an array schema. */
function concrete(s: JsonSchema | undefined): JsonSchema | undefined {
  if (!s) return undefined;
  if (s['properties'] || s['items']) return s;
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const alts = s[key];
    if (Array.isArray(alts)) {
      for (const alt of alts) {
        const c = concrete(asSchema(alt));
        if (c) return c;
      }
    }
  }
  return s;
}

/** The sub-schema at a key path of the file, or undefined. Pure. */
export function schemaAt(path: KeyPath): JsonSchema | undefined {
  let s: JsonSchema | undefined = concrete(configJsonSchema());
  for (const part of path) {
    if (!s) return undefined;
    s =
      typeof part === 'number'
        ? concrete(asSchema(s['items']))
        : concrete(asSchema(asSchema(s['properties'])?.[part]));
  }
  return s;
}

/** The keys allowed in the mapping at `path` (empty when it is not a mapping). Pure. */
export function knownKeysAt(path: KeyPath): string[] {
  return Object.keys(asSchema(schemaAt(path)?.['properties']) ?? {});
}

/** Every key path of the file (`heartbeat.deadtime`, `resources[].mount.point`), for docs tests. Pure. */
export function allKeyPaths(): string[] {
  const out: string[] = [];
  const walk = (s: JsonSchema | undefined, prefix: string) => {
    const c = concrete(s);
    if (!c) return;
    const props = asSchema(c['properties']);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        const p = prefix === '' ? k : `${prefix}.${k}`;
        out.push(p);
        walk(asSchema(v), p);
      }
    }
    const items = asSchema(c['items']);
    if (items) walk(items, `${prefix}[]`);
  };
  walk(configJsonSchema(), '');
  return out;
}
