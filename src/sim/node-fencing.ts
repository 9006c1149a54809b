/**
 * Resource-level fencing of a simulated node: DRBD's `fence-peer` handler call (the environment it is given,
 * its outcome), outdate and resume-io.
 * One layer of SimNode (node.ts); the state lives in node-base.ts.
 */
import { diskRank } from './uuid-rules.js';
import { SimNodeWrites } from './node-writes.js';
import { splitAddress } from './drbd-text.js';

export abstract class SimNodeFencing extends SimNodeWrites {
  // ---------------------------------------------------------------- fencing

  /** DRBD's environment for the fence-peer handler (drbdadm sets it before running the handler). */
  fenceEnv(): Record<string, string> {
    const [addr, port] = splitAddress(this.config.peerAddress);
    void port;
    return {
      DRBD_RESOURCE: this.config.resource,
      DRBD_MINOR: String(this.config.minor),
      DRBD_CONF: '/etc/drbd.conf',
      DRBD_PEER_ADDRESS: addr,
      DRBD_PEER_AF: addr.includes(':') ? 'ipv6' : 'ipv4',
      DRBD_PEER: this.config.peerName,
      DRBD_PEERS: this.config.peerName,
    };
  }

  /**
   * DRBD's `conn_try_outdate_peer`: runs the fence-peer handler and acts on its exit code
   * (3 peer Inconsistent, 4 peer outdated, 5 peer unreachable, 6 peer Primary -> outdate myself,
   * 7 peer stonithed; anything else: the handler is broken and a fencing freeze stays). Resolves
   * to whether the peer's disk is now known to be Outdated or worse.
   */
  async tryOutdatePeer(): Promise<boolean> {
    if (this.config.fencing === 'dont-care') return true;
    if (diskRank(this.peerDisk) <= diskRank('Outdated') && this.peerDisk !== 'DUnknown') return true;
    if (diskRank(this.disk) < diskRank('Consistent')) {
      this.log("Not fencing peer, I'm not even Consistent myself.");
      if (this.suspFen) this.resumeIo('not-consistent');
      return false;
    }
    if (this.fenceRunning) {
      // One handler at a time: wait for the running one.
      await new Promise<void>((resolve) => {
        const poll = () => (this.fenceRunning ? this.timer(50, poll) : resolve());
        poll();
      });
      return diskRank(this.peerDisk) <= diskRank('Outdated') && this.peerDisk !== 'DUnknown';
    }
    const epoch = this.epoch;
    const connects = this.sessionCounter;
    this.fenceRunning = true;
    const ids = this.helperFields(false);
    this.publish({
      atWallMs: this.deps.wallNowMs(),
      verb: 'call',
      object: 'helper',
      ids,
      state: [['helper', 'fence-peer']],
      stats: [],
      statsTail: [],
    });
    let code = 0;
    try {
      code = this.config.fencePeer ? await this.config.fencePeer(this.fenceEnv()) : 0;
    } catch {
      code = 1;
    }
    if (this.epoch !== epoch || !this.powered) return false;
    this.fenceRunning = false;
    this.publish({
      atWallMs: this.deps.wallNowMs(),
      verb: 'response',
      object: 'helper',
      ids,
      state: [
        ['helper', 'fence-peer'],
        ['status', String((code & 0xff) << 8)],
      ],
      stats: [],
      statsTail: [],
    });
    if (this.sessionCounter !== connects || this.linked || this.cstate === 'WFReportParams') {
      this.log('Ignoring fence-peer exit code: the connection was re-established meanwhile');
      return false;
    }
    let text: string;
    switch (code) {
      case 3:
        text = 'peer is inconsistent or worse';
        this.setPeerDisk('Inconsistent');
        break;
      case 4:
        text = 'peer was fenced';
        this.setPeerDisk('Outdated');
        break;
      case 5:
        if (this.disk === 'UpToDate') {
          text = 'peer is unreachable, assumed to be dead';
          this.setPeerDisk('Outdated');
        } else text = 'peer unreachable, doing nothing since disk != UpToDate';
        break;
      case 6:
        text = 'peer is active';
        this.log('Peer is primary, outdating myself.');
        if (this.role === 'Secondary') this.setDisk('Outdated');
        break;
      case 7:
        if (this.config.fencing !== 'resource-and-stonith')
          this.log('fence-peer() = 7 && fencing != Stonith !!!');
        text = 'peer was stonithed';
        this.setPeerDisk('Outdated');
        break;
      default:
        this.log(`fence-peer helper broken, returned ${code}`);
        this.commit();
        return false;
    }
    this.log(`fence-peer helper returned ${code} (${text})`);
    const fenced = diskRank(this.peerDisk) <= diskRank('Outdated');
    this.commit();
    if (fenced && this.suspFen) this.resumeIo('fenced');
    return fenced;
  }

  protected resumeIo(_why: string): void {
    this.suspFen = false;
    this.suspUser = false;
    if (this.newCurUuidPending) {
      this.newCurUuidPending = false;
      if (!this.linked) this.newCurrentUuid();
    }
    this.commit();
    if (!this.linked) this.completePendingLocally();
    const q = this.queued;
    this.queued = [];
    for (const w of q) this.submit(w);
  }
}
