/**
 * Two real membership endpoints (alpha, bravo) on loopback UDP for hostile-traffic tests: bravo's sent
 * datagrams are recorded (for replays), alpha's log lines are captured, and an attacker socket can send
 * anything to alpha's link ports.
 */
import { createSocket, type Socket } from 'node:dgram';
import { Writable } from 'node:stream';
import { systemClock } from '../../src/common/clock.js';
import { createLogger } from '../../src/common/log.js';
import { ok } from '../../src/common/result.js';
import {
  MembershipEndpoint,
  udpTransport,
  type MembershipOptions,
  type NodeReport,
  type Transport,
} from '../../src/membership/index.js';
import type { LinkSpec } from '../../src/membership/transport.js';
import { freePort } from './membership-harness.js';

export const PAIR_KEY = Buffer.from('a-shared-secret-for-the-udp-tests');

export const BRAVO_REPORT: NodeReport = { resources: [], standby: false, maintenance: true, health: 'ok' };

/** Wraps the real UDP transport and records every datagram sent, with its link. */
export function recordingTransport(sent: { link: number; datagram: Buffer }[]): Transport {
  return {
    async open(index, spec, handlers) {
      const r = await udpTransport.open(index, spec, handlers);
      if (!r.ok) return r;
      const socket = r.value;
      return ok({
        send: (datagram) => {
          sent.push({ link: index, datagram });
          socket.send(datagram);
        },
        close: () => socket.close(),
      });
    },
  };
}

export interface UdpPair {
  readonly alpha: MembershipEndpoint;
  bravo: MembershipEndpoint;
  readonly linksA: LinkSpec[];
  readonly linksB: LinkSpec[];
  /** Datagrams bravo sent (every incarnation), in order. */
  readonly fromBravo: { link: number; datagram: Buffer }[];
  /** Alpha's log lines, parsed. */
  readonly alphaLog: Record<string, unknown>[];
  /** Sends `datagram` to alpha's port of `link` from a third socket. */
  attack(link: number, datagram: Buffer): Promise<void>;
  /** Stops bravo and starts a new bravo process-equivalent with `incarnation` on the same ports. */
  restartBravo(incarnation: number): Promise<void>;
  stop(): Promise<void>;
}

export const common = {
  clusterName: 'pair',
  key: PAIR_KEY,
  intervalMs: 100,
  // Generous against scheduling gaps on a shared machine: the tests assert that links stay up.
  warntimeMs: 1500,
  deadtimeMs: 3000,
  clock: systemClock,
} as const;

/** Starts the pair on 127.<net>.<link>.2 / .3 with two links. */
export async function startUdpPair(
  net: number,
  alphaOverrides: Partial<MembershipOptions> = {},
): Promise<UdpPair> {
  const linksA: LinkSpec[] = [];
  const linksB: LinkSpec[] = [];
  for (const l of [1, 2]) {
    const a = `127.${net}.${l}.2`;
    const b = `127.${net}.${l}.3`;
    const pa = await freePort(a);
    const pb = await freePort(b);
    linksA.push({ localAddress: a, localPort: pa, peerAddress: b, peerPort: pb });
    linksB.push({ localAddress: b, localPort: pb, peerAddress: a, peerPort: pa });
  }
  const alphaLog: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n'))
        if (line !== '') alphaLog.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const fromBravo: { link: number; datagram: Buffer }[] = [];
  const alpha = new MembershipEndpoint({
    ...common,
    nodeName: 'alpha',
    peerName: 'bravo',
    incarnation: 1000,
    links: linksA,
    logger: createLogger({ level: 'info', destination: sink }),
    getReport: () => null,
    ...alphaOverrides,
  });
  const makeBravo = (incarnation: number): MembershipEndpoint =>
    new MembershipEndpoint({
      ...common,
      nodeName: 'bravo',
      peerName: 'alpha',
      incarnation,
      links: linksB,
      transport: recordingTransport(fromBravo),
      getReport: () => BRAVO_REPORT,
    });
  const attacker: Socket = createSocket('udp4');
  const pair: UdpPair = {
    alpha,
    bravo: makeBravo(2000),
    linksA,
    linksB,
    fromBravo,
    alphaLog,
    attack: (link, datagram) => {
      const spec = linksA[link]!;
      return new Promise((resolve, reject) =>
        attacker.send(datagram, spec.localPort, spec.localAddress, (e) => (e ? reject(e) : resolve())),
      );
    },
    async restartBravo(incarnation) {
      await pair.bravo.stop();
      pair.bravo = makeBravo(incarnation);
      const r = await pair.bravo.start();
      if (!r.ok) throw new Error(r.error.message);
    },
    async stop() {
      await pair.bravo.stop();
      await alpha.stop();
      await new Promise<void>((r) => attacker.close(() => r()));
    },
  };
  for (const ep of [alpha, pair.bravo]) {
    const r = await ep.start();
    if (!r.ok) throw new Error(r.error.message);
  }
  return pair;
}

/** Polls `pred` every 10 ms until it holds; throws after `timeoutMs` naming `what`. */
export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
