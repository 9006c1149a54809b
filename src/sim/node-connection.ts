/**
 * Connection management of a simulated node: connect/disconnect, sessions with the peer over the transport,
 * pings and timeouts, and the messages the peers exchange.
 * One layer of SimNode (node.ts); the state lives in node-base.ts.
 */
import type { ConnectionState, DiskState } from '../drbd/types.js';
import { configFailure, ERR, SETUP_OK, SS, type SetupOutcome } from './state-errors.js';
import type { PeerMessage } from './types.js';
import { diskRank } from './uuid-rules.js';
import { SimNodeResync } from './node-resync.js';

export abstract class SimNodeConnection extends SimNodeResync {
  // ---------------------------------------------------------------- connection management

  /** `drbdsetup connect` (optionally `--discard-my-data`). */
  connect(discardMyData: boolean): SetupOutcome {
    if (!this.up) return configFailure(String(this.config.minor), ERR.MINOR_INVALID);
    if (this.netConfigured) return configFailure(this.config.resource, ERR.NET_CONFIGURED);
    this.discardMyData = discardMyData;
    this.netConfigured = true;
    this.cstate = 'StandAlone';
    this.peerDisk = this.md.peerOutdated ? 'Outdated' : 'DUnknown';
    this.peerRole = 'Unknown';
    this.commit();
    this.cstate = 'Unconnected';
    this.commit();
    this.cstate = 'WFConnection';
    this.commit();
    this.deps.transport.setListening(true);
    return SETUP_OK;
  }

  /**
   * `drbdsetup disconnect`. While connected it is a cluster-wide state change: it waits for the
   * peer's answer, or for the connection to be declared lost (so it blocks on a dead link).
   */
  async disconnect(): Promise<SetupOutcome> {
    if (!this.up || !this.netConfigured) return SETUP_OK;
    const s = this.session;
    if (s && (this.linked || this.cstate === 'WFReportParams')) {
      const fencing = this.config.fencing !== 'dont-care';
      const iOutdate =
        fencing && this.role === 'Secondary' && this.peerRole === 'Primary' && this.disk !== 'Diskless';
      const outdateYou = fencing && this.role === 'Primary' && this.peerRole === 'Secondary';
      await new Promise<void>((resolve) => {
        s.pendingDisconnect = { iOutdate, outdateYou, resolve };
        this.deps.transport.send(s.id, { t: 'disconnect-req', outdateYou, iOutdated: iOutdate });
      });
    }
    if (!this.netConfigured) return SETUP_OK;
    if (this.session) this.dropSession('Disconnecting');
    this.cstate = 'Disconnecting';
    this.commit();
    this.toStandAlone();
    return SETUP_OK;
  }

  protected override toStandAlone(): void {
    this.cstate = 'StandAlone';
    this.commit();
    this.netConfigured = false;
    this.deps.transport.setListening(false);
    this.commit();
  }

  /** Called by the transport when a session to the peer is established. */
  onSessionUp(sid: number): void {
    if (this.whenRunning(() => this.onSessionUp(sid))) return;
    if (!this.powered || !this.up || this.cstate !== 'WFConnection' || this.session) {
      this.deps.transport.close(sid);
      return;
    }
    this.sessionCounter++;
    this.session = {
      id: sid,
      peerParams: null,
      decided: false,
      awaitingParams: false,
      lastPongMs: this.deps.clock.nowMs(),
      sync: null,
      pendingPromote: null,
      pendingDisconnect: null,
    };
    this.deps.transport.setListening(false);
    this.alSuspended = false;
    this.cstate = 'WFReportParams';
    this.commit();
    this.sendParams();
    this.schedulePing(sid);
  }

  /** Called by the transport when the peer closed the session (FIN/RST). */
  onSessionClosed(sid: number): void {
    if (this.whenRunning(() => this.onSessionClosed(sid))) return;
    if (this.session?.id !== sid) return;
    this.connectionLost('NetworkFailure');
  }

  protected schedulePing(sid: number): void {
    this.timer(this.config.pingIntMs, () => {
      const s = this.session;
      if (!s || s.id !== sid) return;
      const sentAt = this.deps.clock.nowMs();
      this.deps.transport.send(sid, { t: 'ping' });
      this.timer(this.config.pingTimeoutMs, () => {
        if (this.session !== s) return;
        if (s.lastPongMs < sentAt) {
          this.log('PingAck did not arrive in time.');
          this.connectionLost('NetworkFailure');
        } else this.schedulePing(sid);
      });
    });
  }

  /**
   * Ends the session: `kind` is the transient connection state shown (NetworkFailure, TearDown...).
   * The peer's disk stays Inconsistent or Outdated if it was (DRBD only forgets better states),
   * unless `peerDiskAfter` says what the peer agreed to.
   */
  protected override dropSession(kind: ConnectionState, peerDiskAfterArg?: DiskState): void {
    const s = this.session;
    if (!s) return;
    const peerDiskAfter =
      peerDiskAfterArg ??
      (this.peerDisk === 'Inconsistent' || this.peerDisk === 'Outdated' ? this.peerDisk : 'DUnknown');
    this.session = null;
    this.deps.transport.close(s.id);
    if (s.sync && s.sync.role === 'target' && !s.sync.verify) this.log('resync aborted');
    s.pendingPromote?.resolve('lost');
    s.pendingDisconnect?.resolve();
    const fencing = this.config.fencing;
    this.cstate = kind;
    this.peerRole = 'Unknown';
    if (
      fencing === 'resource-and-stonith' &&
      this.role === 'Primary' &&
      diskRank(peerDiskAfter) > diskRank('Outdated')
    )
      this.suspFen = true; // SAFETY-relevant DRBD rule: I/O freezes while the fence-peer handler runs.
    this.setPeerDisk(peerDiskAfter);
    this.commit();
    // Replicated writes without the peer's ack complete locally unless I/O is frozen.
    if (!this.suspended) this.completePendingLocally();
    this.emitEmpty('connection');
    this.emitEmpty('peer-device');
  }

  /** The connection to the peer broke (ping timeout, peer closed, peer tore down). */
  protected override connectionLost(kind: ConnectionState, peerDiskAfter?: DiskState): void {
    if (!this.session) return;
    const disconnecting = this.session.pendingDisconnect !== null;
    this.dropSession(kind, peerDiskAfter);
    if (disconnecting) {
      // An administrative disconnect was waiting for the peer: it completes now.
      this.cstate = 'Disconnecting';
      this.commit();
      this.toStandAlone();
      return;
    }
    this.cstate = 'Unconnected';
    this.commit();
    this.cstate = 'WFConnection';
    this.commit();
    this.deps.transport.setListening(true);
    if (
      this.role === 'Primary' &&
      this.config.fencing !== 'dont-care' &&
      diskRank(this.peerDisk) >= diskRank('DUnknown')
    )
      void this.tryOutdatePeer();
  }

  protected sendParams(): void {
    const s = this.session;
    if (!s) return;
    this.deps.transport.send(s.id, {
      t: 'params',
      name: this.config.name,
      uuids: this.md.uuids,
      disk: this.disk,
      role: this.role,
      crashedPrimary: this.md.crashedPrimary && this.role !== 'Primary',
      discardMyData: this.discardMyData,
      changedBlocks: this.bitmap.size,
      bitmap: [...this.bitmap],
    });
  }

  protected sendState(): void {
    const s = this.session;
    if (s && (this.linked || this.cstate === 'WFReportParams'))
      this.deps.transport.send(s.id, { t: 'state', role: this.role, disk: this.disk });
  }

  /** Called by the transport for every message of session `sid`. */
  onMessage(sid: number, msg: PeerMessage): void {
    if (!this.powered) return;
    if (this.whenRunning(() => this.onMessage(sid, msg))) return;
    const s = this.session;
    if (!s || s.id !== sid) {
      // A message for a session we do not know: answer like a TCP RST.
      this.deps.transport.close(sid);
      return;
    }
    switch (msg.t) {
      case 'ping':
        this.deps.transport.send(sid, { t: 'pong' });
        return;
      case 'pong':
        s.lastPongMs = this.deps.clock.nowMs();
        return;
      case 'params': {
        s.peerParams = msg;
        if (s.decided) {
          // The peer renegotiates (its disk attached): answer with ours, then decide again.
          s.decided = false;
          this.sendParams();
        }
        s.awaitingParams = false;
        this.decide(s);
        return;
      }
      case 'state': {
        this.peerRole = msg.role;
        this.setPeerDisk(msg.disk);
        this.commit();
        return;
      }
      case 'write':
        this.receiveWrite(s, msg.write);
        return;
      case 'write-ack':
        this.onWriteAck(msg.id);
        return;
      case 'sync-begin':
        this.onSyncBegin(s, msg.full, msg.totalBlocks, msg.verify);
        return;
      case 'sync-done':
        this.onSyncDone(s, msg.writes, msg.uuids, msg.verify);
        return;
      case 'promote-req': {
        let reason = 0;
        if (this.role === 'Primary' && !this.config.allowTwoPrimaries) reason = SS.TWO_PRIMARIES.code;
        else if (s.pendingPromote && this.config.name < this.config.peerName)
          reason = SS.CONCURRENT_ST_CHG.code;
        else if (!this.linked) reason = SS.IN_TRANSIENT_STATE.code;
        if (reason === 0) {
          this.peerRole = 'Primary';
          this.commit();
        }
        this.deps.transport.send(sid, { t: 'promote-reply', id: msg.id, ok: reason === 0, reason });
        return;
      }
      case 'promote-reply': {
        const p = s.pendingPromote;
        if (!p || p.id !== msg.id) return;
        s.pendingPromote = null;
        if (msg.ok) p.resolve('ok');
        else p.resolve(Object.values(SS).find((e) => e.code === msg.reason) ?? SS.CONCURRENT_ST_CHG);
        return;
      }
      case 'disconnect-req': {
        if (msg.outdateYou && this.disk !== 'Diskless') this.setDisk('Outdated');
        this.deps.transport.send(sid, { t: 'disconnect-ack' });
        this.connectionLost('TearDown', msg.iOutdated ? 'Outdated' : undefined);
        return;
      }
      case 'disconnect-ack': {
        // The peer agreed: finish the graceful disconnect now, before its FIN can arrive.
        const d = s.pendingDisconnect;
        if (!d) return;
        s.pendingDisconnect = null;
        if (d.iOutdate) this.setDisk('Outdated');
        this.dropSession('Disconnecting', d.outdateYou ? 'Outdated' : undefined);
        this.toStandAlone();
        d.resolve();
        return;
      }
    }
  }
}
