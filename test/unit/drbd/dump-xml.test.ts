import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDrbdConfig, fencingSnippet } from '../../../src/drbd/config-check.js';
import { parseDumpXml, type DrbdConfigDump } from '../../../src/drbd/dump-xml.js';
import { parseXmlLite } from '../../../src/drbd/xml-lite.js';
import { readFixture, withoutHeader } from './fixtures.js';

function dump(file: string): DrbdConfigDump {
  const r = parseDumpXml(withoutHeader(readFixture('dump-xml', file)));
  if (!r.ok) throw new Error(`${r.error.line}: ${r.error.message}`);
  return r.value;
}

describe('parseDumpXml', () => {
  it('reads an 8.4 resource: hosts, addresses, volumes, protocol, fencing, handlers', () => {
    const d = dump('dump-xml-84-r0-sentinel.txt');
    expect(d.file).toBe('/etc/drbd.conf');
    expect(d.resources).toHaveLength(1);
    const r = d.resources[0];
    expect(r).toMatchObject({
      name: 'r0',
      confFileLine: '/etc/drbd.d/r0.res:1',
      protocol: 'C',
      fencing: 'resource-only',
      handlers: {
        'fence-peer': '/usr/sbin/drbd-sentinel fence-peer',
        'after-resync-target': '/usr/sbin/drbd-sentinel unfence-peer',
      },
    });
    expect(r?.hosts).toEqual([
      {
        names: ['alpha'],
        floating: false,
        address: { family: 'ipv4', port: '7788', address: '10.77.0.1' },
        volumes: [{ volume: 0, minor: 1, device: '/dev/drbd1', disk: '/dev/vdb', metaDisk: 'internal' }],
      },
      {
        names: ['bravo'],
        floating: false,
        address: { family: 'ipv4', port: '7788', address: '10.77.0.2' },
        volumes: [{ volume: 0, minor: 1, device: '/dev/drbd1', disk: '/dev/vdb', metaDisk: 'internal' }],
      },
    ]);
    expect(d.common.startup).toEqual({ 'wfc-timeout': '30' });
  });

  it('merges common under the resource, decodes entities, keeps flag options', () => {
    const d = dump('dump-xml-84-default-no-fencing.txt');
    const [r0, web] = d.resources;
    expect(r0).toMatchObject({ name: 'r0', protocol: 'C', fencing: 'dont-care' });
    expect(r0?.handlers['pri-on-incon-degr']).toContain('echo b > /proc/sysrq-trigger');
    expect(web).toMatchObject({ name: 'web', protocol: 'A' });
    expect(web?.sections.net?.['allow-two-primaries']).toBe(true);
    expect(web?.hosts[0]?.volumes[0]).toMatchObject({ minor: 2, metaDisk: '/dev/vg0/meta' });
  });

  it('reads DRBD 9 connections (fencing in net) and floating hosts with two volumes', () => {
    expect(dump('dump-xml-9-connection.txt').resources[0]).toMatchObject({
      fencing: 'resource-only',
      protocol: 'C',
    });
    const db = dump('dump-xml-84-floating-two-volumes.txt').resources[0];
    expect(db?.hosts.map((h) => h.floating)).toEqual([true, true]);
    expect(db?.hosts[0]?.volumes.map((v) => v.minor)).toEqual([10, 11]);
    expect(db?.fencing).toBe('resource-and-stonith');
  });

  it('locates malformed XML', () => {
    expect(parseDumpXml('<config>\n  <resource name="r0">\n</config>\n')).toMatchObject({
      ok: false,
      error: { line: 3 },
    });
    expect(parseDumpXml('no xml here').ok).toBe(false);
    expect(parseDumpXml('<other/>').ok).toBe(false);
  });

  it('is total on random input', () => {
    const bits = [
      '<config>',
      '</config>',
      '<resource name="r0">',
      '</resource>',
      '<host name="a"/>',
      '<!--',
      '-->',
      '&amp;',
      '&#99999999;',
      '"',
      '<',
      '>',
      'x',
    ];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...bits), { maxLength: 30 }),
        fc.string({ maxLength: 50 }),
        (parts, s) => {
          expect(typeof parseDumpXml(parts.join('') + s).ok).toBe('boolean');
          expect(typeof parseXmlLite(s + parts.join('')).ok).toBe('boolean');
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('checkDrbdConfig', () => {
  it('has nothing to say about a resource set up for drbd-sentinel', () => {
    const r = checkDrbdConfig(dump('dump-xml-84-r0-sentinel.txt'), {
      resources: [{ name: 'r0', minor: 1, device: '/dev/drbd1' }],
      nodeNames: ['alpha', 'bravo'],
    });
    expect(r).toEqual({ warnings: [], snippets: {} });
  });

  it('policy stonith with DRBD fencing resource-only: flagged, and the snippet says resource-and-stonith', () => {
    const r = checkDrbdConfig(dump('dump-xml-84-r0-sentinel.txt'), {
      resources: [{ name: 'r0', minor: 1, device: '/dev/drbd1' }],
      nodeNames: ['alpha', 'bravo'],
      fencingPolicy: 'stonith',
    });
    expect(r.warnings.map((w) => w.code)).toEqual(['stonith-needs-resource-and-stonith']);
    expect(r.snippets.r0).toContain('fencing resource-and-stonith;');
    const ok = checkDrbdConfig(dump('dump-xml-84-r0-sentinel.txt'), {
      resources: [{ name: 'r0', minor: 1, device: '/dev/drbd1' }],
      nodeNames: ['alpha', 'bravo'],
      fencingPolicy: 'resource-only',
    });
    expect(ok.warnings).toEqual([]);
  });

  it('warns about names, minors, protocol, fencing and handlers, and prints the 8.4 snippet', () => {
    const r = checkDrbdConfig(dump('dump-xml-84-default-no-fencing.txt'), {
      resources: [{ name: 'web', minor: 3, device: '/dev/drbd3' }, { name: 'r0' }, { name: 'gone' }],
      nodeNames: ['node1', 'nodeX'],
    });
    const codes = r.warnings.map((w) => `${w.resource}:${w.code}`);
    expect(codes).toEqual([
      'web:node-name-mismatch',
      'web:device-mismatch',
      'web:protocol-not-c',
      'web:fencing-not-resource-level',
      'web:fence-peer-handler-missing',
      'web:unfence-handler-missing',
      'r0:node-name-mismatch',
      'r0:fencing-not-resource-level',
      'r0:fence-peer-handler-missing',
      'r0:unfence-handler-missing',
      'gone:resource-not-in-drbd',
    ]);
    expect(r.snippets.r0).toBe(
      [
        'resource r0 {',
        '  disk {',
        '    fencing resource-only;',
        '  }',
        '  handlers {',
        '    fence-peer "/usr/sbin/drbd-sentinel fence-peer";',
        '    after-resync-target "/usr/sbin/drbd-sentinel unfence-peer";',
        '  }',
        '}',
      ].join('\n'),
    );
  });

  it('accepts DRBD 9 unfence-peer and flags a foreign fence-peer handler', () => {
    const nine = checkDrbdConfig(dump('dump-xml-9-connection.txt'), {
      resources: [{ name: 'r0' }],
      nodeNames: ['alpha', 'bravo'],
      drbdMajor: 9,
    });
    expect(nine.warnings).toEqual([]);
    const byRes = checkDrbdConfig(dump('dump-xml-84-r0-sentinel.txt'), {
      resources: [
        { name: 'r0', device: '/dev/drbd/by-res/r0/0' },
        { name: 'r0', minor: 7 },
      ],
      nodeNames: ['alpha'],
    });
    expect(byRes.warnings.map((w) => w.code)).toEqual(['minor-mismatch']);
    const crm = checkDrbdConfig(dump('dump-xml-84-floating-two-volumes.txt'), {
      resources: [{ name: 'db', minor: 11 }],
      nodeNames: [],
    });
    expect(crm.warnings.map((w) => w.code)).toEqual([
      'fence-peer-handler-missing',
      'unfence-handler-missing',
    ]);
    expect(fencingSnippet('db', '/opt/ds/bin/drbd-sentinel', 9)).toContain(
      '  net {\n    fencing resource-only;',
    );
    expect(fencingSnippet('db', '/opt/ds/bin/drbd-sentinel', 9)).toContain(
      'unfence-peer "/opt/ds/bin/drbd-sentinel unfence-peer";',
    );
  });
});
