/** The relay process of netns-fault-relay.ts (one per namespace): `node --import tsx THIS '{json}'`. */
import { startUdpFaultRelay, type FaultSettings, type UdpAddress } from '../../support/udp-fault-relay.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as {
  links: Array<{ listen: UdpAddress; spare: UdpAddress; to: UdpAddress }>;
  faults: FaultSettings;
  seed: number;
};
// One direction per link: the daemon sends to `listen` (relayForA), the relay forwards from `spare`
// (relayForB) to the peer (`b`). Nothing is ever sent to `spare`, so `a` is never used.
const relay = await startUdpFaultRelay({
  links: spec.links.map((l) => ({ a: l.listen, b: l.to, relayForA: l.listen, relayForB: l.spare })),
  faults: spec.faults,
  seed: spec.seed,
  stopAfterMs: 900_000,
});
// Each line on stdin is new FaultSettings JSON for every link (NetnsFaultRelay.setFaults).
let pending = '';
process.stdin.on('data', (d: Buffer) => {
  pending += d.toString();
  for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
    relay.setFaults('all', JSON.parse(pending.slice(0, nl)) as FaultSettings);
    pending = pending.slice(nl + 1);
  }
});
process.stdout.write('ready\n');
