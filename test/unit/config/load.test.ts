import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkThisHostIsNode,
  loadConfigFile,
  parseConfigText,
  renderConfigYaml,
  type LoadedConfig,
  type SentinelConfig,
} from '../../../src/config/index.js';
import { NOTIFY_EVENTS } from '../../../src/engine/notify-events.js';
import { exampleWithSecret, makeSecretDir } from '../../fixtures/config/invalid-fixtures.js';

const tmp = makeSecretDir();
afterAll(() => tmp.cleanup());

const minimal = (secret: string, extra = '') => `cluster: { name: pair, secret-file: ${secret} }
nodes:
  - { name: alpha, addresses: [10.0.0.1] }
  - { name: bravo, addresses: [10.0.0.2] }
resources:
  - { name: r0, device: /dev/drbd0 }
fencing: { policy: resource-only }
${extra}`;

function load(text: string, secretFileCheck = true): LoadedConfig {
  const r = parseConfigText(text, 'test.yaml', { secretFileCheck });
  if (!r.ok)
    throw new Error(
      `expected a valid configuration, got:\n${r.error.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`).join('\n')}`,
    );
  return r.value;
}

describe('the example configuration', () => {
  it('is accepted given a secret file, and mirrors the classic guide', () => {
    const { config, warnings } = load(exampleWithSecret(tmp.secret));
    expect(config.nodes.map((n) => [n.name, n.addresses])).toEqual([
      ['DRBD01', ['192.168.110.22']],
      ['DRBD02', ['192.168.110.23']],
    ]);
    const r0 = config.resources[0];
    expect(r0?.name).toBe('r0');
    expect(r0?.device).toBe('/dev/drbd1');
    expect(r0?.mount).toEqual({ point: '/DRBD', fstype: 'ext3', options: ['noatime'] });
    expect(config.heartbeat.port).toBe(7790);
    // One heartbeat link in the guide: exactly that warning, nothing else.
    expect(warnings.map((w) => w.path)).toEqual(['nodes']);
    expect(warnings[0]?.message).toContain('single heartbeat link');
  });
});

describe('defaults', () => {
  it('fills in every default of a minimal file', () => {
    const { config } = load(minimal(tmp.secret));
    const expected: SentinelConfig = {
      cluster: { name: 'pair', secretFile: tmp.secret },
      nodes: [
        { name: 'alpha', addresses: ['10.0.0.1'] },
        { name: 'bravo', addresses: ['10.0.0.2'] },
      ],
      heartbeat: {
        port: 7790,
        profile: 'default',
        intervalMs: 200,
        deadtimeMs: 2000,
        warntimeMs: 1000,
        initdeadMs: 120_000,
        degradedInitdeadMs: 120_000,
        detector: 'fixed',
        phiThreshold: 8,
      },
      resources: [
        {
          name: 'r0',
          device: '/dev/drbd0',
          mount: null,
          services: [],
          addresses: [],
          preferredNode: null,
          timeouts: {
            promoteMs: 30_000,
            demoteMs: 30_000,
            mountMs: 60_000,
            umountMs: 30_000,
            servicesMs: 90_000,
            fsckMs: 600_000,
            addressesMs: 10_000,
          },
          onBusyUmount: 'kill',
          fsck: false,
          failbackDelayMs: 60_000,
        },
      ],
      fencing: {
        policy: 'resource-only',
        acceptRisk: false,
        delayMs: 5000,
        handlers: [],
        onDemoteFailure: null,
      },
      arbiter: null,
      notify: [],
      schedule: { verify: null, reminders: '0 */4 * * *' },
      control: { socket: '/run/drbd-sentinel/control.sock', metrics: { host: '127.0.0.1', port: 9943 } },
      drbd: {
        version: 'auto',
        drbdadm: 'drbdadm',
        drbdsetup: 'drbdsetup',
        proc: '/proc/drbd',
        pollIntervalMs: 1000,
        events2: 'auto',
      },
      commands: {
        mount: 'mount',
        umount: 'umount',
        fuser: 'fuser',
        systemctl: 'systemctl',
        ip: 'ip',
        fsck: 'fsck',
        arping: 'arping',
        mountsFile: '/proc/self/mounts',
      },
      journal: { maxSizeMb: 64, keep: 5 },
      log: { level: 'info' },
      stateDir: '/var/lib/drbd-sentinel',
    };
    expect(config).toEqual(expected);
  });

  it('maps kebab-case keys and durations to camelCase ...Ms numbers', () => {
    const { config } = load(
      minimal(
        tmp.secret,
        `heartbeat: { interval: 100ms, deadtime: 1.5s, warntime: 400ms, initdead: 5m, degraded-initdead: 1h, detector: phi, phi-threshold: 10 }
drbd: { version: 8.4, poll-interval: 250ms, events2: off }
control: { metrics: null }
notify:
  - { events: [all], url: "https://example.com/hook" }
  - { events: [split-brain, split-brain, failover], command: [/bin/true], timeout: 3s }
`,
      ),
    );
    expect(config.heartbeat).toMatchObject({
      intervalMs: 100,
      deadtimeMs: 1500,
      warntimeMs: 400,
      initdeadMs: 300_000,
      degradedInitdeadMs: 3_600_000,
      detector: 'phi',
      phiThreshold: 10,
    });
    expect(config.drbd).toMatchObject({ version: '8.4', pollIntervalMs: 250, events2: 'off' });
    expect(config.control.metrics).toBeNull();
    expect(config.notify[0]).toEqual({
      kind: 'url',
      url: 'https://example.com/hook',
      retries: 3,
      events: NOTIFY_EVENTS,
      timeoutMs: 10_000,
    });
    expect(config.notify[1]).toEqual({
      kind: 'command',
      command: ['/bin/true'],
      events: ['split-brain', 'failover'],
      timeoutMs: 3000,
    });
  });

  it('parses floating addresses and normalizes paths', () => {
    const { config } = load(
      minimal(tmp.secret).replace(
        '{ name: r0, device: /dev/drbd0 }',
        '{ name: r0, device: /dev/drbd0, mount: { point: /srv/data/, fstype: ext4 }, addresses: [192.168.110.20/24@eth0, "fd00::20/64@eth1"] }',
      ),
    );
    expect(config.resources[0]?.mount?.point).toBe('/srv/data');
    expect(config.resources[0]?.addresses).toEqual([
      {
        text: '192.168.110.20/24@eth0',
        address: '192.168.110.20',
        family: 4,
        prefixLength: 24,
        interface: 'eth0',
      },
      { text: 'fd00::20/64@eth1', address: 'fd00::20', family: 6, prefixLength: 64, interface: 'eth1' },
    ]);
  });

  it('is deeply frozen', () => {
    const { config } = load(minimal(tmp.secret));
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.nodes[0].addresses)).toBe(true);
    expect(Object.isFrozen(config.resources[0]?.timeouts)).toBe(true);
  });

  it('renders the effective configuration as a file that loads to the same config', () => {
    for (const text of [
      exampleWithSecret(tmp.secret),
      minimal(tmp.secret, 'control: { metrics: "[::1]:9100" }\n'),
    ]) {
      const first = load(text).config;
      const again = load(renderConfigYaml(first)).config;
      expect(again).toEqual(first);
    }
  });
});

describe('warnings', () => {
  const warn = (extra: string, base = minimal(tmp.secret)) =>
    load(base + extra).warnings.map((w) => `${w.path}: ${w.message}`);

  it('single heartbeat link', () => {
    expect(warn('').some((w) => w.startsWith('nodes: a single heartbeat link'))).toBe(true);
  });
  it('policy none (with accept-risk), loudly', () => {
    const ws = warn('').length;
    expect(ws).toBeGreaterThan(0);
    const base = minimal(tmp.secret).replace(
      'fencing: { policy: resource-only }',
      'fencing: { policy: none, accept-risk: true }',
    );
    expect(warn('', base).some((w) => w.startsWith('fencing.policy: policy none'))).toBe(true);
  });
  it('policy resource-only means no automatic takeover', () => {
    expect(warn('').some((w) => w.startsWith('fencing.policy: policy resource-only'))).toBe(true);
  });
  it('accept-risk without policy none has no effect', () => {
    const base = minimal(tmp.secret).replace(
      '{ policy: resource-only }',
      '{ policy: resource-only, accept-risk: true }',
    );
    expect(warn('', base).some((w) => w.startsWith('fencing.accept-risk: accept-risk has no effect'))).toBe(
      true,
    );
  });
  it('no notify hooks', () => {
    expect(warn('').some((w) => w.startsWith('notify: no notify hooks'))).toBe(true);
    expect(
      warn('notify: [ { events: [all], command: [/bin/true] } ]\n').some((w) => w.startsWith('notify:')),
    ).toBe(false);
  });
  it('metrics on a non-loopback address', () => {
    expect(
      warn('control: { metrics: "0.0.0.0:9943" }\n').some((w) =>
        w.startsWith('control.metrics: the metrics endpoint listens on 0.0.0.0'),
      ),
    ).toBe(true);
  });
  it('warntime shorter than interval', () => {
    expect(
      warn('heartbeat: { interval: 500ms, warntime: 300ms }\n').some((w) =>
        w.startsWith('heartbeat.warntime:'),
      ),
    ).toBe(true);
  });
  it('warnings are located at the key in the file', () => {
    const { warnings } = load(minimal(tmp.secret));
    const policy = warnings.find((w) => w.path === 'fencing.policy');
    expect(policy).toMatchObject({ file: 'test.yaml', line: 7, col: 12 });
  });
  it('two links, stonith and a notify hook: no warning', () => {
    const text = `cluster: { name: pair, secret-file: ${tmp.secret} }
nodes:
  - { name: alpha, addresses: [10.0.0.1, 10.1.0.1] }
  - { name: bravo, addresses: [10.0.0.2, 10.1.0.2] }
resources: [ { name: r0, device: /dev/drbd0 } ]
fencing: { handlers: [ { name: ipmi, command: [/usr/sbin/fence_ipmilan] } ] }
notify: [ { events: [all], command: [/bin/true] } ]
`;
    expect(load(text).warnings).toEqual([]);
  });
});

describe('the secret file', () => {
  const problemsFor = (path: string) => {
    const r = parseConfigText(minimal(path), 'test.yaml');
    return r.ok ? [] : r.error.map((p) => `${p.path} ${p.line}:${p.col}: ${p.message}`);
  };
  it('must exist', () => {
    expect(problemsFor(join(tmp.dir, 'nope'))).toEqual([
      expect.stringMatching(/^cluster\.secret-file 1:24: secret file .* does not exist: create it/),
    ]);
  });
  it('must not be empty', () => {
    const p = join(tmp.dir, 'empty');
    writeFileSync(p, '\n', { mode: 0o600 });
    expect(problemsFor(p)).toEqual([expect.stringContaining('is empty')]);
  });
  it('must not be readable by group or others', () => {
    const p = join(tmp.dir, 'open');
    writeFileSync(p, 'a-long-enough-secret-value-here', { mode: 0o600 });
    chmodSync(p, 0o644);
    expect(problemsFor(p)).toEqual([
      expect.stringContaining(
        'has mode 0644: it must not be readable or writable by group or others (chmod 600',
      ),
    ]);
  });
  it('must be a regular file', () => {
    const p = join(tmp.dir, 'adir');
    mkdirSync(p, { recursive: true });
    expect(problemsFor(p)).toEqual([expect.stringContaining('is not a regular file')]);
  });
  it('warns when short', () => {
    const p = join(tmp.dir, 'short');
    writeFileSync(p, 'abc\n', { mode: 0o600 });
    chmodSync(p, 0o600);
    expect(
      load(minimal(p)).warnings.some(
        (w) => w.path === 'cluster.secret-file' && w.message.includes('only 3 characters'),
      ),
    ).toBe(true);
  });
  it('is not checked with secretFileCheck: false', () => {
    expect(load(minimal('/nonexistent/secret'), false).config.cluster.secretFile).toBe('/nonexistent/secret');
  });
});

describe('loadConfigFile', () => {
  it('reports a missing file as a located problem', () => {
    const file = join(tmp.dir, 'missing.yaml');
    const r = loadConfigFile(file);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error).toEqual([
        { file, line: 1, col: 1, path: '(file)', message: expect.stringContaining('does not exist') },
      ]);
  });
  it('reports a directory', () => {
    const r = loadConfigFile(tmp.dir);
    expect(!r.ok && r.error[0]?.message).toContain('is a directory');
  });
  it('loads a file', () => {
    const file = join(tmp.dir, 'ok.yaml');
    writeFileSync(file, minimal(tmp.secret));
    const r = loadConfigFile(file);
    expect(r.ok && r.value.source.file).toBe(file);
  });
});

describe('checkThisHostIsNode', () => {
  const loaded = load(minimal(tmp.secret));
  it('finds this node and its peer', () => {
    expect(checkThisHostIsNode(loaded.config, 'bravo')).toEqual({
      ok: true,
      value: { local: loaded.config.nodes[1], peer: loaded.config.nodes[0], localIndex: 1 },
    });
  });
  it('reports another host, located at nodes, with a hint for a near miss', () => {
    const r = checkThisHostIsNode(loaded.config, 'Alpha.example.com', loaded.source);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatchObject({ file: 'test.yaml', line: 2, col: 1, path: 'nodes' });
      expect(r.error.message).toContain(
        'this host (Alpha.example.com, from `uname -n`) is not one of the nodes alpha and bravo',
      );
      expect(r.error.message).toContain('differs only in case or domain');
    }
  });
});

describe('parseConfigText is total', () => {
  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const r = parseConfigText(text, 'fuzz.yaml', { secretFileCheck: false });
        return typeof r.ok === 'boolean';
      }),
      { numRuns: 300 },
    );
  }, 60_000);
  it('never throws on YAML-shaped mutations of the example', () => {
    const base = exampleWithSecret(tmp.secret).split('\n');
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.string({ maxLength: 20 }), (i, s) => {
        const lines = [...base];
        lines[i] = (lines[i] ?? '').slice(0, Math.floor((lines[i] ?? '').length / 2)) + s;
        const r = parseConfigText(lines.join('\n'), 'fuzz.yaml');
        if (!r.ok)
          for (const p of r.error) if (!(p.line >= 1 && p.col >= 1 && p.message.length > 0)) return false;
        return true;
      }),
      { numRuns: 100 },
    );
  }, 60_000);
});

describe('duration limits', () => {
  it('rejects durations longer than a timer can wait', () => {
    const r = parseConfigText(minimal(tmp.secret, 'heartbeat: { initdead: 1000h }\n'), 'test.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error).toEqual([
        expect.objectContaining({
          path: 'heartbeat.initdead',
          message: expect.stringContaining('at most 596h'),
        }),
      ]);
  });
  it('rejects a zero interval but allows a zero fencing delay', () => {
    const bad = parseConfigText(minimal(tmp.secret, 'heartbeat: { interval: 0ms }\n'), 'test.yaml');
    expect(!bad.ok && bad.error.map((p) => p.path)).toEqual(['heartbeat.interval']);
    expect(
      load(minimal(tmp.secret).replace('{ policy: resource-only }', '{ policy: resource-only, delay: 0s }'))
        .config.fencing.delayMs,
    ).toBe(0);
  });
});

describe('every problem at once', () => {
  it('reports a bad secret file together with unrelated mistakes', () => {
    const text = minimal(join(tmp.dir, 'no-such-secret')).replace('device: /dev/drbd0', 'device: drbd0');
    const r = parseConfigText(text, 'test.yaml');
    expect(!r.ok && r.error.map((p) => p.path)).toEqual(['cluster.secret-file', 'resources[0].device']);
  });
});
