/** The relay process of netns-fault-relay.ts (one per namespace): `node --import tsx THIS '{json}'`. */
import { startUdpFaultRelay, type FaultSettings, type UdpAddress } from '../../support/udp-fault-relay.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as {
  links: Array<{ listen: UdpAddress; spare: UdpAddress; to: UdpAddress }>;
  faults: FaultSettings;
  seed: number;
};
// One direction per link: the daemon sends to `listen` (relayForA), the relay forwards from `spare`
// (relayForB) to the peer (`b`). Nothing is ever sent to `spare`, so `a` is never used.
await startUdpFaultRelay({
  links: spec.links.map((l) => ({ a: l.listen, b: l.to, relayForA: l.listen, relayForB: l.spare })),
  faults: spec.faults,
  seed: spec.seed,
  stopAfterMs: 900_000,
});
process.stdout.write('ready\n');
