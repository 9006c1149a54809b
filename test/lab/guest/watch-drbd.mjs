// Runs inside a lab VM (node from the initramfs, the project shared read-only at /shared):
// the project's own DRBD event source against the real DRBD module. Prints one JSON line per view
// change: {"t": ms since epoch, "view": DrbdView, "changes": DrbdChange[]}. Stops cleanly on SIGTERM.
import { DrbdEventSource } from '/shared/dist/drbd/index.js';

const source = new DrbdEventSource({
  drbdsetup: 'drbdsetup',
  procPath: '/proc/drbd',
  pollIntervalMs: 1000,
  progressIntervalMs: 1000,
});
source.subscribe((view, changes) => {
  process.stdout.write(`${JSON.stringify({ t: Date.now(), view, changes })}\n`);
});
source.start();
process.on('SIGTERM', () => {
  void source.stop().then(() => process.exit(0));
});
