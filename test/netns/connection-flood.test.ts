/**
 * Issue 12.3, the stream entry points of the running pair under load: 500 hostile connections at once
 * to the Primary's control socket and 500 to its metrics endpoint (silent, half a request, garbage,
 * oversized), held open, while the operator's status and a planned switchover go on. Peer requests have
 * no stream port: they travel as frames over the heartbeat links (heartbeat-flood.test.ts floods those).
 * The unit tier checks each limit of one server (test/unit/control/server-limits.test.ts,
 * test/unit/metrics/server.test.ts); this is the daemon with its loop and its peer.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/common/exec.js';
import { REQUEST_TIMEOUT_MS } from '../../src/control/server.js';
import { METRICS_REQUEST_TIMEOUT_MS } from '../../src/metrics/server.js';
import { createFenceTrace } from './support/fence-trace.js';
import { METRICS_LISTEN, scrape } from './support/flood-observe.js';
import { servesResource, steadyServer, withNetnsPair, type NodeIndex } from './support/netns-pair.js';

const client = resolve(import.meta.dirname, 'support', 'connection-flood-main.ts');
const HOLD_MS = 30_000;
/** Hostile connections per kind, 500 in all, per entry point. */
const COUNT = { silent: 200, partial: 150, garbage: 100, oversized: 50 } as const;
const KINDS = Object.keys(COUNT) as Array<keyof typeof COUNT>;

type Outcomes = Record<
  string,
  {
    connected: number;
    connectErrors: number;
    closedByServer: number;
    maxClosedAfterMs: number;
    stillOpen: number;
    firstLines: Record<string, number>;
  }
>;

function parseOutcomes(r: Awaited<ReturnType<typeof runCommand>>, what: string): Outcomes {
  if (r.status !== 'ok') throw new Error(`${what} client: ${r.status} ${'stderr' in r ? r.stderr : ''}`);
  return JSON.parse(r.stdout) as Outcomes;
}

describe('netns: connection floods on the control socket and the metrics endpoint', () => {
  it('the daemon keeps serving its operator and its peer, and closes the hostile connections within its bounds', async () => {
    const trace = createFenceTrace();
    const scenario = `connflood-${process.pid}`;
    try {
      await withNetnsPair(scenario, { fenceHandler: trace.handler, metrics: METRICS_LISTEN }, async (p) => {
        const { pair, net, primary, secondary } = p;
        const logStart = p.daemonLog(primary).length;
        const [host, port] = METRICS_LISTEN.split(':') as [string, string];
        const argv = (target: object, kinds: object) => [
          process.execPath,
          '--import',
          'tsx',
          client,
          JSON.stringify({ target, kinds, holdMs: HOLD_MS }),
        ];
        const control = runCommand(
          argv(
            { path: pair.paths[primary].socket },
            {
              silent: { count: COUNT.silent, send: '' },
              partial: { count: COUNT.partial, send: '{"v":1,"id":1,"op":"sta' },
              garbage: { count: COUNT.garbage, send: 'GET / HTTP/1.0 \u0000\u00ff not json\n' },
              oversized: { count: COUNT.oversized, send: 'x'.repeat(70 * 1024) },
            },
          ),
          { timeoutMs: HOLD_MS + 30_000 },
        );
        const metrics = net.hosts[primary].exec(
          argv(
            { host, port: Number(port) },
            {
              silent: { count: COUNT.silent, send: '' },
              partial: { count: COUNT.partial, send: 'GET /metrics HTTP/1.1\r\nHost: x\r\n' },
              garbage: { count: COUNT.garbage, send: '\u0016\u0003\u0001 not http at all\r\n\r\n' },
              oversized: {
                count: COUNT.oversized,
                send: `GET /metrics HTTP/1.1\r\nX-Big: ${'a'.repeat(16_384)}\r\n\r\n`,
              },
            },
          ),
          { timeoutMs: HOLD_MS + 30_000 },
        );
        // Meanwhile the operator and the peer are served: status on both, then a planned switchover
        // (the CLI on the Primary's control socket, prepare-handover/takeover over the heartbeat links).
        expect(steadyServer(await pair.status(0), await pair.status(1))).toBe(primary);
        const sw = await pair.cli(primary, [
          '-c',
          pair.paths[primary].config,
          'switchover',
          'r0',
          '--to',
          pair.nodeName(secondary),
        ]);
        expect(
          sw.status,
          sw.status === 'ok' || sw.status === 'failed' ? sw.stdout + sw.stderr : sw.status,
        ).toBe('ok');
        expect(await p.waitSteady(90_000)).toBe(secondary);
        const [c, m] = [parseOutcomes(await control, 'control'), parseOutcomes(await metrics, 'metrics')];
        const lines = p.daemonLog(primary).slice(logStart);
        const refusals = (module: string) =>
          lines.filter((l) => l.module === module && l.level === 40).map((l) => String(l.reason));
        const tally = (xs: string[]) =>
          Object.fromEntries([...new Set(xs)].map((x) => [x, xs.filter((y) => y === x).length]));
        process.stdout.write(
          `connection flood on ${pair.nodeName(primary as NodeIndex)}: control ${JSON.stringify(c)}; metrics ${JSON.stringify(m)}; ` +
            `warn lines control ${JSON.stringify(tally(refusals('control')))}, metrics ${JSON.stringify(tally(refusals('metrics')))}\n`,
        );

        // Control socket: every connection accepted; the silent and the half-written ones are closed
        // by the request-line timeout, oversized ones at once, garbage lines are answered E_CONTROL
        // (the connection stays usable until its 60 s idle timeout, longer than this test holds it).
        for (const kind of KINDS) expect(c[kind]?.connected, `control ${kind}`).toBe(COUNT[kind]);
        for (const kind of ['silent', 'partial', 'oversized'] as const) {
          const o = c[kind]!;
          expect(o.closedByServer, `control ${kind} closed`).toBe(COUNT[kind]);
          expect(o.maxClosedAfterMs, `control ${kind}`).toBeLessThan(REQUEST_TIMEOUT_MS * 3);
        }
        expect(Object.keys(c.garbage?.firstLines ?? {}).every((l) => l.includes('"ok":false'))).toBe(true);
        expect(Object.values(c.garbage?.firstLines ?? {}).reduce((a, b) => a + b, 0)).toBe(COUNT.garbage);

        // Metrics endpoint: beyond its 64 connections the rest are closed at once, unanswered; every
        // hostile one is closed within its request timeout (plus node:http's check interval).
        for (const kind of KINDS) {
          const o = m[kind]!;
          expect(o.stillOpen, `metrics ${kind} still open`).toBe(0);
          expect(o.maxClosedAfterMs, `metrics ${kind}`).toBeLessThan(METRICS_REQUEST_TIMEOUT_MS * 2);
        }
        // The ones it took are answered with the status of their fault (the first connections of
        // every kind are among them: the client opens the kinds in turn).
        const status = { silent: '408', partial: '408', garbage: '400', oversized: '431' } as const;
        for (const kind of KINDS) {
          const answered = Object.keys(m[kind]!.firstLines);
          expect(answered, `metrics ${kind}`).toEqual([expect.stringMatching(`^HTTP/1.1 ${status[kind]} `)]);
        }
        // ...and answers a genuine scrape afterwards, with the pair steady.
        expect((await scrape(net.hosts[primary])).length).toBeGreaterThan(0);
        expect(servesResource(await pair.status(secondary))).toBe(true);
        expect(trace.runs()).toEqual([]);
        expect(pair.running(primary, 'daemon') && pair.running(secondary, 'daemon')).toBe(true);
        expect(await p.write(secondary, 10)).toBe(10);
        await p.checkWrites();
      });
    } finally {
      trace.dispose();
    }
  }, 300_000);
});
