import type { Events2Event } from './events2.js';
import type { ProcDrbdDevice, ProcDrbdSnapshot } from './proc-drbd.js';
import {
  asDiskState,
  asEvents2ConnectionState,
  asEvents2ReplicationState,
  asRole,
  normalizeEvents2Cstate,
  PROGRESS_STATES,
  type Events2ConnectionState,
  type Events2ReplicationState,
} from './state-names.js';
import { LINKED_CONNECTION_STATES, type ConnectionState, type DiskState, type Role } from './types.js';
import {
  availabilityOf,
  diffDrbdViews,
  EMPTY_DRBD_VIEW,
  type DrbdAvailability,
  type DrbdChange,
  type DrbdDeviceView,
  type DrbdView,
  type SplitBrainEvidence,
} from './view.js';

interface EvResource {
  readonly role: Role | null;
  /** events2 `suspended:` verbatim: `no`, `user`, `no-data`, `fencing`, `quorum` or a comma list. */
  readonly suspended: string | null;
}
interface EvConnection {
  readonly resource: string;
  readonly key: string;
  readonly connection: Events2ConnectionState | null;
  readonly role: Role | null;
}
interface EvDevice {
  readonly resource: string;
  readonly volume: number;
  readonly minor: number | null;
  readonly disk: DiskState | null;
}
interface EvPeerDevice {
  readonly resource: string;
  readonly connKey: string;
  readonly volume: number;
  readonly replication: Events2ReplicationState | null;
  readonly peerDisk: DiskState | null;
  readonly outOfSyncKiB: number | null;
  readonly done: number | null;
  readonly etaSeconds: number | null;
}

/** What events2 has told us so far, object by object, as drbdsetup names them. */
export interface Events2Model {
  readonly resources: ReadonlyMap<string, EvResource>;
  readonly connections: ReadonlyMap<string, EvConnection>;
  readonly devices: ReadonlyMap<string, EvDevice>;
  readonly peerDevices: ReadonlyMap<string, EvPeerDevice>;
}

const EMPTY_MODEL: Events2Model = {
  resources: new Map(),
  connections: new Map(),
  devices: new Map(),
  peerDevices: new Map(),
};

/** The reducer's whole state. Treat as opaque and immutable; read `view`. */
export interface DrbdReducerState {
  readonly view: DrbdView;
  readonly model: Events2Model;
  /** events2 finished its initial dump (`exists -`): from now on every line publishes. */
  readonly initialDone: boolean;
  /** Latest /proc/drbd read while events2 is the source: protocol, I/O flags and sync progress. */
  readonly procSupplement: ReadonlyMap<number, ProcDrbdDevice>;
  /** Split-brain evidence by minor; survives an events2 restart, cleared once linked again. */
  readonly splitBrain: ReadonlyMap<number, SplitBrainEvidence>;
  /** Last connection state of each minor that was not a teardown state (to spot StandAlone after a connect). */
  readonly lastLive: ReadonlyMap<number, ConnectionState>;
}

/** The state before any input: availability unknown, no devices. */
export const INITIAL_DRBD_STATE: DrbdReducerState = {
  view: EMPTY_DRBD_VIEW,
  model: EMPTY_MODEL,
  initialDone: false,
  procSupplement: new Map(),
  splitBrain: new Map(),
  lastLive: new Map(),
};

/** Resource/volume names for minors, for the /proc/drbd source (which names only minors). */
export type MinorNames = ReadonlyMap<number, { readonly resource: string; readonly volume: number }>;

/** Everything that can happen to the view. */
export type DrbdInput =
  /** One parsed events2 line. */
  | { readonly type: 'events2'; readonly event: Events2Event }
  /** The events2 child (re)started: its old picture is stale and is rebuilt from the new dump. */
  | { readonly type: 'events2-restart' }
  /** A /proc/drbd read while /proc/drbd is the source (the polling fallback). */
  | { readonly type: 'proc'; readonly snapshot: ProcDrbdSnapshot; readonly names?: MinorNames }
  /** A /proc/drbd read while events2 is the source: adds protocol, I/O flags, resync progress (8.4). */
  | { readonly type: 'proc-supplement'; readonly snapshot: ProcDrbdSnapshot }
  /** DRBD cannot be seen: every device is dropped. */
  | {
      readonly type: 'unavailable';
      readonly availability: Exclude<DrbdAvailability, 'ok' | 'unknown'>;
    }
  | { readonly type: 'version'; readonly version: string | null };

/** The result of folding one input. */
export interface DrbdReduction {
  readonly state: DrbdReducerState;
  /** What changed in the view (old -> new), plus helper calls seen. Empty when nothing did. */
  readonly changes: readonly DrbdChange[];
  /** events2 reported lost messages (`- skipped N`): restart the child to get a fresh picture. */
  readonly resyncNeeded: boolean;
}

const TEARDOWN: ReadonlySet<ConnectionState> = new Set<ConnectionState>([
  'StandAlone',
  'Disconnecting',
  'TearDown',
]);

function intField(v: string | undefined): number | null {
  if (v === undefined || !/^\d+$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

function floatField(v: string | undefined): number | null {
  if (v === undefined || !/^\d+(\.\d+)?$/.test(v)) return null;
  return Number(v);
}

const SEP = '\u0000';

function connKeyOf(fields: Readonly<Record<string, string>>): string {
  return fields['peer-node-id'] ?? fields['conn-name'] ?? '?';
}

/** Pure. Applies one events2 object event to the model. */
function applyToModel(model: Events2Model, ev: Extract<Events2Event, { type: 'object' }>): Events2Model {
  const f = ev.fields;
  const name = f.name ?? '';
  const fresh = ev.action === 'exists' || ev.action === 'create';
  switch (ev.object) {
    case 'resource': {
      const resources = new Map(model.resources);
      if (ev.action === 'destroy') {
        resources.delete(name);
        const keep = <V extends { resource: string }>(m: ReadonlyMap<string, V>) =>
          new Map([...m].filter(([, v]) => v.resource !== name));
        return {
          resources,
          connections: keep(model.connections),
          devices: keep(model.devices),
          peerDevices: keep(model.peerDevices),
        };
      }
      if (ev.action === 'rename') {
        const to = f.new_name;
        if (to === undefined) return model;
        const old = resources.get(name);
        resources.delete(name);
        if (old) resources.set(to, old);
        const move = <V extends { resource: string }>(m: ReadonlyMap<string, V>, rekey: (v: V) => string) =>
          new Map(
            [...m].map(([k, v]): [string, V] => {
              if (v.resource !== name) return [k, v];
              const nv = { ...v, resource: to };
              return [rekey(nv), nv];
            }),
          );
        return {
          resources,
          connections: move(model.connections, (v) => v.resource + SEP + v.key),
          devices: move(model.devices, (v) => v.resource + SEP + v.volume),
          peerDevices: move(model.peerDevices, (v) => v.resource + SEP + v.connKey + SEP + v.volume),
        };
      }
      const prev = fresh ? undefined : resources.get(name);
      resources.set(name, {
        role: f.role !== undefined ? (asRole(f.role) ?? 'Unknown') : (prev?.role ?? null),
        suspended: f.suspended ?? prev?.suspended ?? null,
      });
      return { ...model, resources };
    }
    case 'connection': {
      const connections = new Map(model.connections);
      const key = connKeyOf(f);
      const mk = name + SEP + key;
      if (ev.action === 'destroy') {
        connections.delete(mk);
        return { ...model, connections };
      }
      const prev = fresh ? undefined : connections.get(mk);
      connections.set(mk, {
        resource: name,
        key,
        connection:
          f.connection !== undefined ? asEvents2ConnectionState(f.connection) : (prev?.connection ?? null),
        role: f.role !== undefined ? (asRole(f.role) ?? 'Unknown') : (prev?.role ?? null),
      });
      return { ...model, connections };
    }
    case 'device': {
      const volume = intField(f.volume);
      if (volume === null) return model;
      const devices = new Map(model.devices);
      const mk = name + SEP + volume;
      if (ev.action === 'destroy') {
        devices.delete(mk);
        return { ...model, devices };
      }
      const prev = fresh ? undefined : devices.get(mk);
      devices.set(mk, {
        resource: name,
        volume,
        minor: intField(f.minor) ?? prev?.minor ?? null,
        disk: f.disk !== undefined ? (asDiskState(f.disk) ?? 'DUnknown') : (prev?.disk ?? null),
      });
      return { ...model, devices };
    }
    case 'peer-device': {
      const volume = intField(f.volume);
      if (volume === null) return model;
      const connKey = connKeyOf(f);
      const peerDevices = new Map(model.peerDevices);
      const mk = name + SEP + connKey + SEP + volume;
      if (ev.action === 'destroy') {
        peerDevices.delete(mk);
        return { ...model, peerDevices };
      }
      const prev = fresh ? undefined : peerDevices.get(mk);
      const replication =
        f.replication !== undefined ? asEvents2ReplicationState(f.replication) : (prev?.replication ?? null);
      const syncing =
        replication !== null && PROGRESS_STATES.has(normalizeEvents2Cstate('Connected', replication));
      peerDevices.set(mk, {
        resource: name,
        connKey,
        volume,
        replication,
        peerDisk:
          f['peer-disk'] !== undefined
            ? (asDiskState(f['peer-disk']) ?? 'DUnknown')
            : (prev?.peerDisk ?? null),
        outOfSyncKiB:
          f['out-of-sync'] !== undefined ? intField(f['out-of-sync']) : (prev?.outOfSyncKiB ?? null),
        // DRBD 9 prints done:/eta: only while a resync or verify runs; they mean nothing after it.
        done: !syncing ? null : f.done !== undefined ? floatField(f.done) : (prev?.done ?? null),
        etaSeconds: !syncing ? null : f.eta !== undefined ? floatField(f.eta) : (prev?.etaSeconds ?? null),
      });
      return { ...model, peerDevices };
    }
    case 'path':
    case 'helper':
      return model;
  }
}

function hasDuplicateMinors(model: Events2Model): boolean {
  const seen = new Set<number>();
  for (const d of model.devices.values()) {
    if (d.minor === null) continue;
    if (seen.has(d.minor)) return true;
    seen.add(d.minor);
  }
  return false;
}

/** Pure. The devices the events2 model describes, before split-brain evidence is attached. */
function devicesFromModel(
  model: Events2Model,
  supplement: ReadonlyMap<number, ProcDrbdDevice>,
): DrbdDeviceView[] {
  const out: DrbdDeviceView[] = [];
  // A minor belongs to one device; two claiming it means a missed destroy: the later one wins here
  // and reduceDrbd asks for a fresh dump (hasDuplicateMinors).
  const byMinor = new Map<number, EvDevice>();
  for (const dev of model.devices.values()) if (dev.minor !== null) byMinor.set(dev.minor, dev);
  for (const dev of byMinor.values()) {
    if (dev.minor === null) continue;
    const res = model.resources.get(dev.resource);
    // Two-node clusters have one connection per resource; with more, the first (lowest key) counts.
    const conns = [...model.connections.values()]
      .filter((c) => c.resource === dev.resource)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const conn = conns[0] ?? null;
    const pd =
      conn === null ? undefined : model.peerDevices.get(dev.resource + SEP + conn.key + SEP + dev.volume);
    const cstate = normalizeEvents2Cstate(
      conn?.connection ?? null,
      conn === null ? null : (pd?.replication ?? null),
    );
    const proc = supplement.get(dev.minor);
    const running = PROGRESS_STATES.has(cstate);
    const procProgress = running && proc?.progress ? proc.progress : null;
    out.push({
      minor: dev.minor,
      resource: dev.resource,
      volume: dev.volume,
      cstate,
      role: res?.role ?? 'Unknown',
      peerRole: cstate === 'StandAlone' || conn === null ? 'Unknown' : (conn.role ?? 'Unknown'),
      disk: dev.disk ?? 'DUnknown',
      peerDisk: pd?.peerDisk ?? 'DUnknown',
      protocol: proc?.protocol ?? null,
      ioFlags: proc?.ioFlags ?? null,
      outOfSyncKiB: pd?.outOfSyncKiB ?? null,
      syncPercent: running ? (pd?.done ?? procProgress?.percent ?? null) : null,
      syncEtaSeconds: running ? (pd?.etaSeconds ?? procProgress?.etaSeconds ?? null) : null,
      suspended: res?.suspended !== undefined && res.suspended !== null && res.suspended !== 'no',
      splitBrain: null,
    });
  }
  return out.sort((a, b) => a.minor - b.minor);
}

function devicesFromProc(snapshot: ProcDrbdSnapshot, names: MinorNames | undefined): DrbdDeviceView[] {
  return snapshot.devices.map((d) => {
    const n = names?.get(d.minor);
    return {
      minor: d.minor,
      resource: n?.resource ?? null,
      volume: n?.volume ?? null,
      cstate: d.cstate,
      role: d.role,
      peerRole: d.peerRole,
      disk: d.disk,
      peerDisk: d.peerDisk,
      protocol: d.protocol,
      ioFlags: d.ioFlags,
      outOfSyncKiB: d.outOfSyncKiB,
      syncPercent: d.progress?.percent ?? null,
      syncEtaSeconds: d.progress?.etaSeconds ?? null,
      suspended: d.suspended,
      splitBrain: null,
    };
  });
}

/**
 * Pure. Attaches split-brain evidence: keeps what is known, adds `standalone-after-connect` when a
 * device falls to StandAlone from a connection attempt, clears evidence once the link is up again.
 */
function withEvidence(
  state: DrbdReducerState,
  devices: readonly DrbdDeviceView[],
  attemptStates: ReadonlySet<ConnectionState>,
  atIso: string | null,
): {
  devices: DrbdDeviceView[];
  splitBrain: Map<number, SplitBrainEvidence>;
  lastLive: Map<number, ConnectionState>;
} {
  const splitBrain = new Map<number, SplitBrainEvidence>();
  const lastLive = new Map<number, ConnectionState>();
  const before = new Map(state.view.devices.map((d) => [d.minor, d]));
  const out = devices.map((d) => {
    let evidence = state.splitBrain.get(d.minor) ?? null;
    const prevLive = state.lastLive.get(d.minor);
    const prevCstate = before.get(d.minor)?.cstate;
    if (LINKED_CONNECTION_STATES.has(d.cstate)) evidence = null;
    else if (
      evidence === null &&
      d.cstate === 'StandAlone' &&
      prevCstate !== 'StandAlone' &&
      prevLive !== undefined &&
      attemptStates.has(prevLive)
    )
      evidence = { kind: 'standalone-after-connect', from: prevLive, atIso };
    if (evidence !== null) splitBrain.set(d.minor, evidence);
    const live = TEARDOWN.has(d.cstate) ? prevLive : d.cstate;
    if (live !== undefined) lastLive.set(d.minor, live);
    return evidence === d.splitBrain ? d : { ...d, splitBrain: evidence };
  });
  return { devices: out, splitBrain, lastLive };
}

const EVENTS2_ATTEMPT: ReadonlySet<ConnectionState> = new Set<ConnectionState>(['WFReportParams']);
// Between two polls the short WFReportParams is rarely seen: WFConnection -> StandAlone counts too.
const PROC_ATTEMPT: ReadonlySet<ConnectionState> = new Set<ConnectionState>([
  'WFReportParams',
  'WFConnection',
]);

function publish(
  state: DrbdReducerState,
  next: Omit<DrbdReducerState, 'view' | 'splitBrain' | 'lastLive'>,
  view: Omit<DrbdView, 'devices'>,
  devices: readonly DrbdDeviceView[],
  attempt: ReadonlySet<ConnectionState>,
  atIso: string | null,
  extra: readonly DrbdChange[] = [],
): DrbdReduction {
  const ev = withEvidence(state, devices, attempt, atIso);
  const newView: DrbdView = { ...view, devices: ev.devices };
  const newState: DrbdReducerState = {
    ...next,
    view: newView,
    splitBrain: ev.splitBrain,
    lastLive: ev.lastLive,
  };
  return { state: newState, changes: [...diffDrbdViews(state.view, newView), ...extra], resyncNeeded: false };
}

function helperChange(ev: Extract<Events2Event, { type: 'object' }>): DrbdChange {
  const f = ev.fields;
  return {
    kind: 'helper',
    phase: ev.action === 'response' ? 'response' : 'call',
    resource: f.name ?? '',
    volume: intField(f.volume),
    minor: intField(f.minor),
    helper: f.helper ?? '',
    status: ev.action === 'response' ? intField(f.status) : null,
    atIso: ev.timestamp,
  };
}

/**
 * Pure. Folds one input into the state; returns the new state, what changed (old -> new) and whether
 * the events2 child must be restarted. Never throws.
 */
export function reduceDrbd(state: DrbdReducerState, input: DrbdInput): DrbdReduction {
  switch (input.type) {
    case 'version': {
      if (state.view.version === input.version) return { state, changes: [], resyncNeeded: false };
      const view = { ...state.view, version: input.version };
      return { state: { ...state, view }, changes: diffDrbdViews(state.view, view), resyncNeeded: false };
    }
    case 'unavailable': {
      const view: DrbdView = { ...state.view, availability: input.availability, devices: [] };
      return {
        state: { ...INITIAL_DRBD_STATE, view: { ...view, source: state.view.source } },
        changes: diffDrbdViews(state.view, view),
        resyncNeeded: false,
      };
    }
    case 'events2-restart': {
      // SAFETY: "Unknown is never dead" - the old child's picture may have missed events: drop it
      // (availability unknown, no devices) until the new child's initial dump ends with `exists -`.
      // Split-brain evidence is kept by minor and re-attached when the device reappears.
      const view: DrbdView = { ...state.view, availability: 'unknown', source: 'events2', devices: [] };
      return {
        state: { ...state, view, model: EMPTY_MODEL, initialDone: false },
        changes: diffDrbdViews(state.view, view),
        resyncNeeded: false,
      };
    }
    case 'proc': {
      const devices = devicesFromProc(input.snapshot, input.names);
      return publish(
        state,
        { model: EMPTY_MODEL, initialDone: false, procSupplement: new Map() },
        {
          version: input.snapshot.version?.release ?? state.view.version,
          source: 'proc',
          availability: availabilityOf(devices),
        },
        devices,
        PROC_ATTEMPT,
        null,
      );
    }
    case 'proc-supplement': {
      const procSupplement = new Map(input.snapshot.devices.map((d) => [d.minor, d]));
      const next = { model: state.model, initialDone: state.initialDone, procSupplement };
      const version = input.snapshot.version?.release ?? state.view.version;
      if (!state.initialDone) {
        const view = { ...state.view, version };
        return {
          state: { ...state, procSupplement, view },
          changes: diffDrbdViews(state.view, view),
          resyncNeeded: false,
        };
      }
      const devices = devicesFromModel(state.model, procSupplement);
      return publish(state, next, { ...state.view, version }, devices, EVENTS2_ATTEMPT, null);
    }
    case 'events2': {
      const ev = input.event;
      if (ev.type === 'skipped') return { state, changes: [], resyncNeeded: true };
      if (ev.type === 'initial-done') {
        const devices = devicesFromModel(state.model, state.procSupplement);
        return publish(
          state,
          { model: state.model, initialDone: true, procSupplement: state.procSupplement },
          { version: state.view.version, source: 'events2', availability: availabilityOf(devices) },
          devices,
          EVENTS2_ATTEMPT,
          ev.timestamp,
        );
      }
      if (ev.object === 'helper') {
        const change = helperChange(ev);
        let splitBrain = state.splitBrain;
        if (ev.action === 'call' && ev.fields.helper === 'split-brain') {
          const hit = state.view.devices.filter(
            (d) =>
              d.resource === ev.fields.name &&
              (change.kind !== 'helper' ||
                ((change.minor === null || change.minor === d.minor) &&
                  (change.volume === null || change.volume === d.volume))),
          );
          const m = new Map(splitBrain);
          for (const d of hit) m.set(d.minor, { kind: 'helper', atIso: ev.timestamp });
          splitBrain = m;
        }
        const withSb = { ...state, splitBrain };
        if (!state.initialDone) return { state: withSb, changes: [change], resyncNeeded: false };
        const devices = devicesFromModel(state.model, state.procSupplement);
        return publish(withSb, withSb, state.view, devices, EVENTS2_ATTEMPT, ev.timestamp, [change]);
      }
      const model = applyToModel(state.model, ev);
      if (!state.initialDone) return { state: { ...state, model }, changes: [], resyncNeeded: false };
      const resyncNeeded = hasDuplicateMinors(model);
      const devices = devicesFromModel(model, state.procSupplement);
      const r = publish(
        state,
        { model, initialDone: true, procSupplement: state.procSupplement },
        { version: state.view.version, source: 'events2', availability: availabilityOf(devices) },
        devices,
        EVENTS2_ATTEMPT,
        ev.timestamp,
      );
      return resyncNeeded ? { ...r, resyncNeeded } : r;
    }
  }
}

/** Pure. Folds many inputs; returns the final state and every change in order. */
export function reduceDrbdAll(
  state: DrbdReducerState,
  inputs: Iterable<DrbdInput>,
): { state: DrbdReducerState; changes: DrbdChange[]; resyncNeeded: boolean } {
  let s = state;
  const changes: DrbdChange[] = [];
  let resyncNeeded = false;
  for (const i of inputs) {
    const r = reduceDrbd(s, i);
    s = r.state;
    changes.push(...r.changes);
    resyncNeeded ||= r.resyncNeeded;
  }
  return { state: s, changes, resyncNeeded };
}
