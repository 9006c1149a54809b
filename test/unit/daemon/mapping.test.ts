import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkThisHostIsNode, parseConfigText, type SentinelConfig } from '../../../src/config/index.js';
import { fenceBudgetMs, heartbeatLinks, resourceExecConfig } from '../../../src/daemon/adapters.js';
import { enginePolicyFromConfig } from '../../../src/daemon/engine-policy.js';
import { buildNodeReport } from '../../../src/daemon/local-report.js';
import { buildObservation } from '../../../src/daemon/observe.js';
import { deviceOfResource, minorNames, minorOfDevice } from '../../../src/daemon/resource-devices.js';
import type { DrbdDeviceView, DrbdView } from '../../../src/drbd/index.js';
import { drbd } from '../../engine/builders.js';
import { initialMemory } from '../../../src/engine/index.js';
import type { PeerView } from '../../../src/membership/index.js';

const example = readFileSync(new URL('../../../config/drbd-sentinel.yaml', import.meta.url), 'utf8');

function exampleConfig(patch: (text: string) => string = (t) => t): SentinelConfig {
  const r = parseConfigText(patch(example), 'drbd-sentinel.yaml', { secretFileCheck: false });
  if (!r.ok) throw new Error(r.error.map((p) => p.message).join('\n'));
  return r.value.config;
}

// The DRBD view of a /proc/drbd source: no resource or volume names, no split-brain evidence.
const device = (over: Partial<DrbdDeviceView> = {}): DrbdDeviceView => ({
  ...drbd({ resource: null, volume: null }),
  splitBrain: null,
  ...over,
});

const view = (devices: DrbdDeviceView[]): DrbdView => ({
  version: '8.4.11',
  source: 'proc',
  availability: 'ok',
  devices,
});

const silentPeer: PeerView = {
  reachable: false,
  everHeard: false,
  links: [
    {
      index: 0,
      localAddress: '192.168.110.22',
      peerAddress: '192.168.110.23',
      state: 'down',
      rttMs: null,
      lossRate: null,
      lastHeardAtMs: null,
    },
  ],
  report: null,
  reportAtMs: null,
  incarnation: null,
  stallGraceUntilMs: null,
};

describe('config to module options', () => {
  it('maps the example configuration onto the engine policy', () => {
    const p = enginePolicyFromConfig(exampleConfig());
    expect(p).toMatchObject({
      fencing: 'stonith',
      acceptRisk: false,
      fenceDelayMs: 5000,
      deadtimeMs: 2000,
      initdeadMs: 120_000,
      preferredNode: null,
      fsck: false,
      onDemoteFailure: false,
    });
  });

  it('maps a resource onto the executor settings with its timeouts', () => {
    const c = exampleConfig((t) => t.replace('addresses: []', 'addresses: [192.168.110.20/24@eth0]'));
    const r = resourceExecConfig(c, c.resources[0]!);
    expect(r).toMatchObject({
      name: 'r0',
      device: '/dev/drbd1',
      mount: { point: '/DRBD', fstype: 'ext3', options: ['noatime'], fsck: false },
      addresses: [{ address: '192.168.110.20', prefix: 24, device: 'eth0' }],
      onBusyUmount: 'kill',
      onDemoteFailure: null,
    });
    expect(r.timeouts).toMatchObject({ promoteMs: 30_000, umountMs: 30_000, servicesMs: 90_000 });
  });

  it('pairs heartbeat links by position and sums the fence budget', () => {
    const c = exampleConfig();
    const nodes = checkThisHostIsNode(c, 'DRBD02');
    if (!nodes.ok) throw new Error('DRBD02 is a node');
    expect(heartbeatLinks(c, nodes.value)).toEqual([
      { localAddress: '192.168.110.23', localPort: 7790, peerAddress: '192.168.110.22', peerPort: 7790 },
    ]);
    expect(fenceBudgetMs(c)).toBe(65_000);
  });
});

describe('resource devices', () => {
  it('finds a device by minor, else by name', () => {
    expect(minorOfDevice('/dev/drbd1')).toBe(1);
    expect(minorOfDevice('/dev/drbd/by-res/r0/0')).toBeNull();
    const v = view([device({ minor: 1 }), device({ minor: 7, resource: 'r7' })]);
    expect(deviceOfResource(v, { name: 'r0', device: '/dev/drbd1' })?.minor).toBe(1);
    expect(deviceOfResource(v, { name: 'r7', device: '/dev/drbd/by-res/r7/0' })?.minor).toBe(7);
    // A minor that events2 names as another resource is not ours.
    expect(deviceOfResource(v, { name: 'r0', device: '/dev/drbd7' })).toBeNull();
    expect(
      minorNames([
        { name: 'r0', device: '/dev/drbd1' },
        { name: 'r9', device: '/dev/drbd/by-res/r9/0' },
      ]),
    ).toEqual(new Map([[1, { resource: 'r0', volume: 0 }]]));
  });
});

describe('observation and report', () => {
  it('carries DRBD, host facts, split-brain evidence and peer links into the observation', () => {
    const obs = buildObservation({
      nowMs: 5000,
      self: 'DRBD01',
      peerName: 'DRBD02',
      linkNames: ['link0'],
      resources: [{ name: 'r0', device: '/dev/drbd1' }],
      drbd: view([device({ cstate: 'StandAlone', splitBrain: { kind: 'helper', atIso: null } })]),
      local: new Map([['r0', { mounted: true, servicesUp: true, currentUuid: null }]]),
      peer: silentPeer,
      intents: { switchovers: [], standby: false, maintenance: false },
      peerRequests: [],
      results: [],
      inFlight: [],
      stalled: false,
      startup: { daemonStartMs: 0, degradedShutdown: false },
      drbdFencing: new Map(),
    });
    expect(obs.drbdAvailable).toBe(true);
    expect(obs.resources[0]).toMatchObject({
      name: 'r0',
      mounted: true,
      splitBrain: true,
      drbd: { cstate: 'StandAlone' },
    });
    expect(obs.peer).toMatchObject({
      name: 'DRBD02',
      reachable: false,
      everHeard: false,
      links: [{ name: 'link0', up: false }],
    });

    const report = buildNodeReport(obs, initialMemory(), 'ok');
    expect(report.resources[0]).toMatchObject({
      name: 'r0',
      role: 'Primary',
      disk: 'UpToDate',
      cstate: 'StandAlone',
      splitBrain: true,
    });
  });

  it('reports an unconfigured resource so the peer never takes it for a healthy Secondary', () => {
    const obs = buildObservation({
      nowMs: 0,
      self: 'a',
      peerName: 'b',
      linkNames: [],
      resources: [{ name: 'r0', device: '/dev/drbd1' }],
      drbd: { version: null, source: null, availability: 'module-not-loaded', devices: [] },
      local: new Map(),
      peer: silentPeer,
      intents: { switchovers: [], standby: false, maintenance: false },
      peerRequests: [],
      results: [],
      inFlight: [],
      stalled: false,
      startup: { daemonStartMs: 0, degradedShutdown: false },
      drbdFencing: new Map(),
    });
    expect(obs.drbdAvailable).toBe(false);
    expect(buildNodeReport(obs, initialMemory(), 'degraded').resources[0]).toMatchObject({
      role: 'Unknown',
      disk: 'DUnknown',
      cstate: 'Unconfigured',
    });
  });
});
