/**
 * The events2 side of a simulated node: the records `drbdsetup events2` prints (exists dump, create/change/destroy
 * on every visible state change, helper calls), and the kernel-log and history listeners.
 * One layer of SimNode (node.ts); the state lives in node-base.ts.
 */
import { events2ConnectionOf, events2ReplicationOf } from '../drbd/state-names.js';
import type { Events2Record, Field } from './events2-format.js';
import { derivedFlags, sanitizeDiskStates } from './state-rules.js';
import { SimNodeBase, type Visible, type NodeHistoryEvent } from './node-base.js';

export abstract class SimNodeEvents2 extends SimNodeBase {
  /** Subscribes to events2 records as they happen (a running `drbdsetup events2`). */
  subscribe(listener: (rec: Events2Record) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  /** The `exists` records of `events2 --now` (closing `exists -` included). */
  existsRecords(): Events2Record[] {
    const at = this.deps.wallNowMs();
    const out: Events2Record[] = [];
    if (this.up) {
      out.push(this.record('exists', 'resource', this.resourceFields(), true, at));
      if (this.netConfigured)
        out.push(this.record('exists', 'connection', this.connectionFields(), true, at));
      out.push(this.record('exists', 'device', this.deviceFields(), true, at));
      if (this.netConfigured)
        out.push(this.record('exists', 'peer-device', this.peerDeviceFields(), true, at));
    }
    out.push({ atWallMs: at, verb: 'exists', object: '-', ids: [], state: [], stats: [], statsTail: [] });
    return out;
  }

  // ---------------------------------------------------------------- events2 plumbing

  protected ids(object: Events2Record['object']): Field[] {
    const r = this.config.resource;
    switch (object) {
      case 'resource':
        return [['name', r]];
      case 'connection':
        return [
          ['name', r],
          ['peer-node-id', '0'],
          ['conn-name', 'peer'],
        ];
      case 'device':
        return [
          ['name', r],
          ['volume', '0'],
          ['minor', String(this.config.minor)],
        ];
      case 'peer-device':
        return [
          ['name', r],
          ['peer-node-id', '0'],
          ['conn-name', 'peer'],
          ['volume', '0'],
        ];
      case 'helper':
      case '-':
        return [];
    }
  }

  protected resourceFields(): Field[] {
    return [
      ['role', this.role],
      ['suspended', this.suspFen ? 'fencing' : this.suspUser ? 'user' : 'no'],
    ];
  }
  protected connectionFields(): Field[] {
    return [
      ['connection', events2ConnectionOf(this.cstate)],
      ['role', this.linked ? this.peerRole : 'Unknown'],
    ];
  }
  protected deviceFields(): Field[] {
    return [['disk', this.disk]];
  }
  protected peerDeviceFields(): Field[] {
    return [
      ['replication', events2ReplicationOf(this.cstate)],
      ['peer-disk', this.peerDisk],
    ];
  }

  protected statsOf(object: Events2Record['object']): { stats: Field[]; tail: Field[] } {
    const c = this.counters;
    switch (object) {
      case 'resource':
        return { stats: [], tail: [['write-ordering', 'flush']] };
      case 'connection':
        return { stats: [], tail: [['congested', 'no']] };
      case 'device':
        return {
          stats: [
            [
              'size',
              String(this.disk === 'Diskless' && this.md.writes.length === 0 ? 0 : this.config.sizeKiB),
            ],
            ['read', String(c.dr)],
            ['written', String(c.dw)],
            ['al-writes', String(c.al)],
            ['bm-writes', String(c.bm)],
            ['upper-pending', '0'],
            ['lower-pending', '0'],
          ],
          tail: [
            ['al-suspended', 'no'],
            ['blocked', 'no'],
          ],
        };
      case 'peer-device':
        return {
          stats: [
            ['received', String(c.nr)],
            ['sent', String(c.ns)],
            ['out-of-sync', String(this.oosKiB())],
            ['pending', String(this.pending.size)],
            ['unacked', '0'],
          ],
          tail: [],
        };
      case 'helper':
      case '-':
        return { stats: [], tail: [] };
    }
  }

  protected record(
    verb: Events2Record['verb'],
    object: Events2Record['object'],
    state: Field[],
    full: boolean,
    at = this.deps.wallNowMs(),
  ): Events2Record {
    const { stats, tail } = this.statsOf(object);
    // resync-suspended is a state field DRBD prints only in full (exists/create) lines.
    const st = full && object === 'peer-device' ? [...state, ['resync-suspended', 'no'] as Field] : state;
    return {
      atWallMs: at,
      verb,
      object,
      ids: this.ids(object),
      state: st,
      stats: verb === 'destroy' ? [] : stats,
      statsTail: full ? tail : [],
    };
  }

  protected publish(rec: Events2Record): void {
    this.eventLog.push(rec);
    if (this.eventLog.length > 20000) this.eventLog.splice(0, 5000);
    for (const s of [...this.subscribers]) s(rec);
  }

  protected log(text: string): void {
    this.kernelLog.push(text);
    if (this.kernelLog.length > 2000) this.kernelLog.splice(0, 500);
    this.emitHistory({ kind: 'log', text, atMs: this.deps.clock.nowMs() });
  }

  protected emitHistory(e: NodeHistoryEvent): void {
    for (const l of [...this.historyListeners]) l(e);
  }

  /**
   * DRBD's implicit rules on every state change (state-rules.ts): the connection state implies disk
   * states, and the metadata flags follow the new state.
   */
  protected sanitize(): void {
    if (!this.up) return;
    const next = sanitizeDiskStates({ cstate: this.cstate, disk: this.disk, peerDisk: this.peerDisk });
    if (next.cstate !== this.cstate) {
      // A resync or verify ends when a disk fails or detaches.
      this.cstate = next.cstate;
      if (this.session) this.session.sync = null;
    }
    this.disk = next.disk;
    if (next.peerDisk !== this.peerDisk) this.setPeerDisk(next.peerDisk);
    const flags = derivedFlags(this.disk, this.peerDisk);
    if (flags) {
      this.md.consistent = flags.consistent;
      this.md.outdated = flags.outdated;
      this.md.peerOutdated = flags.peerOutdated;
    }
  }

  /** Emits events2 records for every visible change since the last commit. */
  protected commit(): void {
    if (!this.powered) return;
    this.sanitize();
    const next: Visible = {
      resource: this.up ? (Object.fromEntries(this.resourceFields()) as Visible['resource']) : null,
      connection:
        this.up && this.netConfigured
          ? (Object.fromEntries(this.connectionFields()) as Visible['connection'])
          : null,
      device: this.up ? (Object.fromEntries(this.deviceFields()) as Visible['device']) : null,
      peerDevice:
        this.up && this.netConfigured
          ? (Object.fromEntries(this.peerDeviceFields()) as Visible['peerDevice'])
          : null,
    };
    const prev = this.visible;
    const at = this.deps.wallNowMs();
    const diff = (a: Record<string, string>, b: Record<string, string>): Field[] =>
      Object.keys(b)
        .filter((k) => a[k] !== b[k])
        .map((k) => [k, b[k] ?? ''] as Field);
    const step = (
      object: 'resource' | 'connection' | 'device' | 'peer-device',
      a: Record<string, string> | null,
      b: Record<string, string> | null,
    ): Events2Record | null => {
      if (a === null && b !== null) return this.record('create', object, Object.entries(b), true, at);
      if (a !== null && b !== null) {
        const d = diff(a, b);
        return d.length > 0 ? this.record('change', object, d, false, at) : null;
      }
      return null;
    };
    const recs: (Events2Record | null)[] = [
      step('resource', prev.resource, next.resource),
      step('device', prev.device, next.device),
      step('connection', prev.connection, next.connection),
      step('peer-device', prev.peerDevice, next.peerDevice),
    ];
    // DRBD orders a combined change resource, connection, device, peer-device; creation order of
    // `up` is resource, device, connection, peer-device. Keep creation order for creates.
    const creates = recs.filter((r): r is Events2Record => r !== null && r.verb === 'create');
    const changes = recs.filter((r): r is Events2Record => r !== null && r.verb === 'change');
    const order = ['resource', 'connection', 'device', 'peer-device'];
    changes.sort((x, y) => order.indexOf(x.object) - order.indexOf(y.object));
    // Destroys: peer-device, connection (when the net config goes), device, resource (down).
    const destroys: Events2Record[] = [];
    if (prev.peerDevice && !next.peerDevice)
      destroys.push(this.record('destroy', 'peer-device', [], false, at));
    if (prev.connection && !next.connection)
      destroys.push(this.record('destroy', 'connection', [], false, at));
    if (prev.device && !next.device) destroys.push(this.record('destroy', 'device', [], false, at));
    if (prev.resource && !next.resource) destroys.push(this.record('destroy', 'resource', [], false, at));
    this.visible = next;
    for (const r of [...changes, ...destroys, ...creates]) this.publish(r);
  }

  /** An empty change line, as DRBD prints for intermediate states (e.g. after NetworkFailure). */
  protected emitEmpty(object: 'connection' | 'peer-device'): void {
    if (this.netConfigured) this.publish(this.record('change', object, [], false));
  }

  protected helperFields(withDevice: boolean): Field[] {
    const f: Field[] = [
      ['name', this.config.resource],
      ['peer-node-id', '0'],
      ['conn-name', 'peer'],
    ];
    if (withDevice) f.push(['volume', '0'], ['minor', String(this.config.minor)]);
    return f;
  }

  /** `call helper` + `response helper` for a handler DRBD runs and that we model as instant exit 0. */
  protected helper(name: string, withDevice = true): void {
    const at = this.deps.wallNowMs();
    const ids = this.helperFields(withDevice);
    this.publish({
      atWallMs: at,
      verb: 'call',
      object: 'helper',
      ids,
      state: [['helper', name]],
      stats: [],
      statsTail: [],
    });
    this.publish({
      atWallMs: at,
      verb: 'response',
      object: 'helper',
      ids,
      state: [
        ['helper', name],
        ['status', '0'],
      ],
      stats: [],
      statsTail: [],
    });
  }
}
