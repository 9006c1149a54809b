/**
 * A child process that floods UDP targets with given packets as fast as the parent allows: the parent
 * sends `{ allow: n }` (total packets it may have sent so far) so the receiver's socket buffer never
 * overflows and every packet sent is also received (the test counts each one). Replies
 * `{ sent, byKind }` after each burst; exits on `{ stop: true }`.
 *
 * argv[2]: JSON { targets: {address, port}[], packets: {kind, b64}[] }
 */
import { createSocket } from 'node:dgram';

interface Config {
  readonly targets: readonly { readonly address: string; readonly port: number }[];
  readonly packets: readonly { readonly kind: string; readonly b64: string }[];
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as Config;
const packets = cfg.packets.map((p) => ({ kind: p.kind, data: Buffer.from(p.b64, 'base64') }));
const socket = createSocket('udp4');
let queued = 0;
let sent = 0;
const byKind: Record<string, number> = {};
let allow = 0;

function report(): void {
  process.send?.({ sent, byKind });
}

function pump(): void {
  while (queued < allow) {
    const i = queued++;
    const p = packets[i % packets.length]!;
    const t = cfg.targets[i % cfg.targets.length]!;
    socket.send(p.data, t.port, t.address, (e) => {
      if (e) return;
      sent++;
      byKind[p.kind] = (byKind[p.kind] ?? 0) + 1;
      if (sent === queued) report();
    });
  }
}

process.on('message', (m: { allow?: number; stop?: boolean }) => {
  if (m.stop === true) {
    report();
    socket.close(() => process.exit(0));
    return;
  }
  if (typeof m.allow === 'number') {
    allow = m.allow;
    pump();
  }
});
process.send?.({ ready: true });
