/**
 * The flood tap process of netns-flood-tap.ts, one per namespace: `node --import tsx THIS '{json}'`.
 *
 * Forwards the local daemon's outgoing heartbeat datagrams (NAT sends them here) to the peer unchanged,
 * keeping copies of the genuine frames it saw, and on command floods the peer's heartbeat port on every
 * link with hostile packets made from those copies. Commands are JSON lines on stdin; answers JSON lines
 * on stdout: `{"ready":true}`, then `{"flooded":{...}}` when a flood ends.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { encodeFrame, type Frame } from '../../../src/membership/wire-format.js';

interface Address {
  readonly address: string;
  readonly port: number;
}
interface Spec {
  readonly links: ReadonlyArray<{ listen: Address; spare: Address; to: Address }>;
}
interface FloodCommand {
  readonly ratePerLink: number;
  readonly durationMs: number;
  /** The pair's secret file: frames signed with the right key but another cluster or sender. */
  readonly secretFile: string;
  readonly cluster: string;
  /** The sender this tap's daemon is (for the unknown-sender frames: some other name). */
  readonly selfName: string;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
/** Per link: the first genuine frames (replayed later: behind the window) and a ring of recent ones. */
const early: Buffer[][] = spec.links.map(() => []);
const recent: Buffer[][] = spec.links.map(() => []);
const RING = 1024;
let forwarded = 0;

function bind(socket: Socket, at: Address): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: at.address, port: at.port, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

const floodSockets: Socket[] = [];
for (const [i, l] of spec.links.entries()) {
  const listen = createSocket('udp4');
  const spare = createSocket('udp4');
  const flood = createSocket('udp4');
  listen.on('message', (msg) => {
    spare.send(msg, l.to.port, l.to.address);
    forwarded++;
    if (early[i]!.length < RING) early[i]!.push(msg);
    const ring = recent[i]!;
    ring.push(msg);
    if (ring.length > RING) ring.shift();
  });
  await bind(listen, l.listen);
  await bind(spare, l.spare);
  await bind(flood, { address: l.listen.address, port: 0 });
  floodSockets.push(flood);
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/** One hostile packet of `kind` for link `i`. Genuine copies exist by the time a flood is asked for. */
function makePacket(kind: string, i: number, cmd: FloodCommand, key: Buffer): Buffer {
  const genuine = pick(recent[i]!);
  switch (kind) {
    case 'garbage':
      return randomBytes(20 + Math.floor(Math.random() * 400));
    case 'truncated':
      return genuine.subarray(0, 1 + Math.floor(Math.random() * (genuine.length - 1)));
    case 'oversize':
      return Buffer.concat([genuine, randomBytes(9_000 - genuine.length)]);
    case 'wrong-hmac': {
      const copy = Buffer.from(genuine);
      copy[copy.length - 1 - Math.floor(Math.random() * 32)]! ^= 0xff;
      return copy;
    }
    case 'replay-recent':
      return genuine;
    case 'replay-first':
      return pick(early[i]!);
    default: {
      // Well-formed frames: another cluster with its own key (bad-mac), or signed with the pair's key
      // but naming another cluster or sender (admission refuses them).
      const now = Date.now();
      const frame: Frame = {
        cluster: kind === 'wrong-cluster' ? `${cmd.cluster}-other` : cmd.cluster,
        sender: kind === 'unknown-sender' ? 'mallory' : cmd.selfName,
        link: i,
        incarnation: now,
        seq: 1 + Math.floor(Math.random() * 1e6),
        sendTimeMs: 1_000,
        linkSeq: 0,
        echoIncarnation: 0,
        echoSendTimeMs: null,
        echoHoldMs: 0,
        body: { type: 'heartbeat', report: null },
      };
      if (kind === 'foreign-cluster') {
        const r = encodeFrame({ ...frame, cluster: 'another-cluster' }, Buffer.from('another key'));
        if (r.ok) return r.value;
      } else {
        const r = encodeFrame(frame, key);
        if (r.ok) return r.value;
      }
      throw new Error(`cannot encode a ${kind} frame`);
    }
  }
}

const KINDS = [
  'garbage',
  'truncated',
  'oversize',
  'wrong-hmac',
  'foreign-cluster',
  'wrong-cluster',
  'unknown-sender',
  'replay-recent',
  'replay-first',
] as const;

/** Sends `ratePerLink` packets per second on every link for `durationMs`, paced every 5 ms. */
async function flood(cmd: FloodCommand): Promise<void> {
  const key = readFileSync(cmd.secretFile);
  // A pool of packets per link, made up front, so the sender's own CPU goes into sending.
  const pools = spec.links.map((_, i) =>
    Array.from({ length: 4_000 }, (_x, n) => {
      const kind = KINDS[n % KINDS.length]!;
      return { kind, data: makePacket(kind, i, cmd, key) };
    }),
  );
  const sent: Record<string, number> = {};
  const sentPerLink = spec.links.map(() => 0);
  let sendErrors = 0;
  let inFlight = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      const due = Math.floor((Math.min(elapsed, cmd.durationMs) * cmd.ratePerLink) / 1000);
      for (const [i, socket] of floodSockets.entries()) {
        const to = spec.links[i]!.to;
        // Bounded in flight: a sender that cannot keep up falls behind instead of queueing without end.
        while (sentPerLink[i]! < due && inFlight < 2_000) {
          const p = pools[i]![sentPerLink[i]! % pools[i]!.length]!;
          sentPerLink[i]!++;
          inFlight++;
          socket.send(p.data, to.port, to.address, (e) => {
            inFlight--;
            if (e) sendErrors++;
            else sent[p.kind] = (sent[p.kind] ?? 0) + 1;
          });
        }
      }
      if (elapsed >= cmd.durationMs && inFlight === 0) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(
    `${JSON.stringify({ flooded: { sent, sentPerLink, sendErrors, seconds, forwarded } })}\n`,
  );
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line) as { flood?: FloodCommand };
  if (m.flood) void flood(m.flood);
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
