import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/common/errors.js';
import { allKeyPaths } from '../../../src/config/index.js';
import { EXAMPLE_CONFIG } from '../../fixtures/config/invalid-fixtures.js';
import { runCaptured } from './run-captured.js';

type Schema = {
  $schema?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  additionalProperties?: boolean;
  default?: unknown;
  enum?: unknown[];
  anyOf?: Schema[];
};

const SECTIONS = [
  'cluster',
  'nodes',
  'heartbeat',
  'resources',
  'fencing',
  'arbiter',
  'notify',
  'schedule',
  'control',
  'drbd',
  'commands',
  'journal',
  'log',
  'state-dir',
];

describe('config-schema', () => {
  it('prints a JSON Schema (draft 2020-12) of the file with every section, key and default', async () => {
    const run = await runCaptured(['config-schema']);
    expect(run.code).toBe(EXIT.OK);
    const schema = JSON.parse(run.stdout) as Schema;
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties ?? {})).toEqual(SECTIONS);
    expect(schema.required?.sort()).toEqual(['cluster', 'nodes', 'resources']);
    const hb = schema.properties?.['heartbeat'];
    expect(hb?.properties?.['profile']).toMatchObject({ enum: ['default', 'fast'], default: 'default' });
    // The profile gives the timings' values; a file's own value overrides it.
    expect(hb?.properties?.['deadtime']).toMatchObject({ type: 'string' });
    expect(hb?.properties?.['degraded-initdead']).toMatchObject({ default: '120s' });
    const resource = schema.properties?.['resources']?.items;
    expect(resource?.properties?.['on-busy-umount']).toMatchObject({
      enum: ['refuse', 'kill'],
      default: 'kill',
    });
    expect(schema.properties?.['fencing']?.properties?.['policy']).toMatchObject({
      enum: ['stonith', 'resource-only', 'none'],
    });
    // Every node of the schema is a JSON Schema keyword structure: walk it and check the basics.
    const walk = (s: Schema, at: string): void => {
      expect(typeof s, at).toBe('object');
      for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, `${at}.${k}`);
      if (s.items) walk(s.items, `${at}[]`);
      for (const alt of s.anyOf ?? []) walk(alt, `${at}|`);
      if (s.required) for (const r of s.required) expect(Object.keys(s.properties ?? {}), at).toContain(r);
    };
    walk(schema, '$');
  });

  it('every key of the schema is explained in the example and in docs/configuration.md', () => {
    const example = readFileSync(EXAMPLE_CONFIG, 'utf8');
    const docs = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    for (const path of allKeyPaths()) {
      const key =
        path
          .split(/[.[\]]+/)
          .filter(Boolean)
          .pop() ?? path;
      expect(example, `example lacks ${path}`).toMatch(new RegExp(`(^|[\\s{,#-])${key}:`, 'm'));
      expect(docs, `docs/configuration.md lacks ${path}`).toContain(`\`${path}\``);
    }
  });

  it('--help explains its use', async () => {
    const run = await runCaptured(['config-schema', '--help']);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toContain('yaml-language-server');
  });
});
