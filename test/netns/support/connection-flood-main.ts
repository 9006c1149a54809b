/**
 * A hostile stream client: `node --import tsx THIS '{json}'` opens many connections at once to a unix
 * socket path or a TCP host:port, and on each sends nothing, half a request, a garbage line or an
 * oversized line, then holds it open until `holdMs`. Prints one JSON summary per kind: how many
 * connected, how many the server closed and after how long, the first line it answered.
 */
import { connect, type Socket } from 'node:net';

interface Spec {
  readonly target: { readonly path: string } | { readonly host: string; readonly port: number };
  /** Connections per kind; what each kind sends. */
  readonly kinds: Record<string, { readonly count: number; readonly send: string }>;
  readonly holdMs: number;
}

interface Outcome {
  connected: number;
  connectErrors: number;
  closedByServer: number;
  maxClosedAfterMs: number;
  stillOpen: number;
  firstLines: Record<string, number>;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
const results: Record<string, Outcome> = {};
const started = performance.now();
const open = new Set<Socket>();
const pending: Promise<void>[] = [];

for (const kind of Object.keys(spec.kinds))
  results[kind] = {
    connected: 0,
    connectErrors: 0,
    closedByServer: 0,
    maxClosedAfterMs: 0,
    stillOpen: 0,
    firstLines: {},
  };
// Round robin over the kinds, so each kind reaches a server that accepts only so many at once.
const order: string[] = [];
const most = Math.max(...Object.values(spec.kinds).map((k) => k.count));
for (let n = 0; n < most; n++)
  for (const [kind, k] of Object.entries(spec.kinds)) if (n < k.count) order.push(kind);

for (const kind of order) {
  const o = results[kind]!;
  const payload = Buffer.from(spec.kinds[kind]!.send);
  pending.push(
    new Promise<void>((done) => {
      const s =
        'path' in spec.target ? connect(spec.target.path) : connect(spec.target.port, spec.target.host);
      let connectedAt = 0;
      let answer = '';
      let holding = true;
      s.on('connect', () => {
        connectedAt = performance.now();
        o.connected++;
        open.add(s);
        if (payload.length > 0) s.write(payload);
      });
      s.on('data', (d: Buffer) => {
        if (!answer.includes('\n')) answer += d.toString('latin1');
      });
      s.on('error', () => {
        if (connectedAt === 0) o.connectErrors++;
      });
      // The server ends or resets it; anything still open at the deadline is closed by us and counted.
      s.on('close', () => {
        open.delete(s);
        if (connectedAt > 0 && holding) {
          o.closedByServer++;
          o.maxClosedAfterMs = Math.max(o.maxClosedAfterMs, Math.round(performance.now() - connectedAt));
        }
        if (answer !== '') {
          const first = answer.split('\n')[0]!.slice(0, 60);
          o.firstLines[first] = (o.firstLines[first] ?? 0) + 1;
        }
        done();
      });
      setTimeout(
        () => {
          if (!open.has(s)) return;
          holding = false;
          o.stillOpen++;
          s.destroy();
        },
        spec.holdMs - (performance.now() - started),
      ).unref();
    }),
  );
}
await Promise.all(pending);
process.stdout.write(`${JSON.stringify(results)}\n`);
