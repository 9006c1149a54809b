import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock, VirtualClock } from '../../../src/common/clock.js';
import {
  NotifyRunner,
  type DeliveryReport,
  type NotifyHook,
  type NotifyPayload,
} from '../../../src/notify/index.js';

let dir: string;
let server: Server | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sentinel-notify-'));
});
afterEach(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (server !== undefined) await new Promise((r) => server!.close(r));
  server = undefined;
});

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const command = (argv: string[], events: NotifyHook['events'] = ['all'], timeoutMs = 5_000): NotifyHook => ({
  kind: 'command',
  name: argv[0]!,
  argv,
  events,
  timeoutMs,
});

function runner(hooks: NotifyHook[], extra: Partial<ConstructorParameters<typeof NotifyRunner>[0]> = {}) {
  const reports: DeliveryReport[] = [];
  const r = new NotifyRunner({
    hooks,
    node: 'alpha',
    cluster: 'prod',
    clock: systemClock,
    wallClock: () => '2026-11-24T18:00:00.000Z',
    onDelivery: (rep) => reports.push(rep),
    ...extra,
  });
  return { r, reports };
}

async function listen(
  handler: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

describe('NotifyRunner: command hooks', () => {
  it('runs the command without a shell with the JSON payload on stdin and SENTINEL_* variables', async () => {
    const out = join(dir, 'out');
    const hook = script(
      'hook',
      `cat > '${out}.json'\nenv | grep '^SENTINEL_' | sort > '${out}.env'\necho "$NOTIFY_SOCKET" > '${out}.sock'\necho "$1" > '${out}.arg'`,
    );
    const { r, reports } = runner([command([hook, 'a b;$(x)'])]);
    process.env.NOTIFY_SOCKET = '/run/systemd/notify';
    try {
      r.notify({
        event: 'failover',
        resource: 'r0',
        message: 'bravo took over r0',
        reason: 'takeover-fenced',
        facts: { fencedBy: 'ipmi' },
      });
      await r.idle();
    } finally {
      delete process.env.NOTIFY_SOCKET;
    }
    expect(reports).toMatchObject([{ status: 'ok', kind: 'command', attempts: 1 }]);
    const payload = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as NotifyPayload;
    expect(payload).toEqual({
      version: 1,
      event: 'failover',
      node: 'alpha',
      cluster: 'prod',
      resource: 'r0',
      severity: 'warning',
      message: 'bravo took over r0',
      reason: 'takeover-fenced',
      facts: { fencedBy: 'ipmi' },
      time: '2026-11-24T18:00:00.000Z',
      suppressed: 0,
      test: false,
    });
    const env = readFileSync(`${out}.env`, 'utf8');
    expect(env).toContain('SENTINEL_EVENT=failover\n');
    expect(env).toContain('SENTINEL_NODE=alpha\n');
    expect(env).toContain('SENTINEL_RESOURCE=r0\n');
    expect(env).toContain('SENTINEL_MESSAGE=bravo took over r0\n');
    expect(env).toContain('SENTINEL_SEVERITY=warning\n');
    expect(env).toContain('SENTINEL_TIME=2026-11-24T18:00:00.000Z\n');
    expect(readFileSync(`${out}.sock`, 'utf8')).toBe('\n');
    expect(readFileSync(`${out}.arg`, 'utf8')).toBe('a b;$(x)\n');
  });

  it('filters by event, de-duplicates repeats, and reports the suppressed count when the event resumes', async () => {
    const out = join(dir, 'log');
    const hook = script('hook', `echo "$SENTINEL_EVENT $SENTINEL_SUPPRESSED" >> '${out}'`);
    const clock = new VirtualClock();
    const { r } = runner([command([hook], ['peer-lost'])], { clock, dedupWindowMs: 60_000 });
    r.notify({ event: 'peer-back', resource: null, message: 'back' }); // not wanted by this hook
    r.notify({ event: 'peer-lost', resource: null, message: 'lost', reason: 'silence' });
    r.notify({ event: 'peer-lost', resource: null, message: 'lost', reason: 'silence' });
    r.notify({ event: 'peer-lost', resource: null, message: 'lost', reason: 'silence' });
    await r.idle();
    clock.advance(60_000);
    r.notify({ event: 'peer-lost', resource: null, message: 'lost', reason: 'silence' });
    await r.idle();
    expect(readFileSync(out, 'utf8')).toBe('peer-lost 0\npeer-lost 2\n');
    expect(r.stats()).toMatchObject({ delivered: 2, suppressed: 2, failed: 0 });
    // A reminder of an open alert goes out inside the window.
    r.notify(
      { event: 'peer-lost', resource: null, message: 'still lost', reason: 'silence' },
      { dedup: false },
    );
    await r.idle();
    expect(readFileSync(out, 'utf8')).toBe('peer-lost 0\npeer-lost 2\npeer-lost 0\n');
  });

  it('reports a failing, hanging or missing command with a reason code and never throws', async () => {
    const failing = script('fail', 'echo "smtp down" >&2; exit 3');
    const hanging = script('hang', 'exec sleep 30');
    const { r, reports } = runner(
      [command([failing]), command([hanging], ['all'], 200), command([join(dir, 'missing')])],
      { concurrency: 3 },
    );
    const results = await r.deliverNow(
      { event: 'fence-failed', resource: 'r0', message: 'fence failed' },
      { test: true },
    );
    expect(results.map((x) => (x.status === 'failed' ? [x.reason, x.detail] : x.status))).toEqual([
      ['hook-exit-nonzero', 'exit 3: smtp down'],
      ['hook-timeout', 'killed after 200ms'],
      ['hook-spawn-error', expect.stringContaining('ENOENT')],
    ]);
    expect(reports).toHaveLength(3);
    expect(r.stats()).toMatchObject({ failed: 3, delivered: 0 });
  });

  it('returns from notify at once and bounds its queue', async () => {
    const gate = join(dir, 'gate');
    const slow = script('slow', `while [ ! -e '${gate}' ]; do sleep 0.02; done`);
    const { r } = runner([command([slow])], { concurrency: 1, maxQueue: 2, dedupWindowMs: 0 });
    for (let i = 0; i < 5; i++) r.notify({ event: 'degraded', resource: `r${i}`, message: 'x' });
    // notify() returned while the first delivery still runs: the loop is never blocked by a hook.
    expect(r.stats()).toMatchObject({ running: 1, queued: 2, dropped: 2 });
    writeFileSync(gate, '');
    await r.idle();
    expect(r.stats()).toMatchObject({ running: 0, queued: 0, delivered: 3, dropped: 2 });
  });

  it('close() aborts running hooks after the grace period and drops queued ones', async () => {
    const hanging = script('hang', 'exec sleep 30');
    const { r, reports } = runner([command([hanging], ['all'], 60_000)], {
      concurrency: 1,
      dedupWindowMs: 0,
    });
    r.notify({ event: 'degraded', resource: 'r0', message: 'x' });
    r.notify({ event: 'degraded', resource: 'r1', message: 'x' });
    await r.close(50);
    expect(reports.map((x) => (x.status === 'failed' ? x.reason : x.status))).toEqual(['aborted', 'aborted']);
    r.notify({ event: 'degraded', resource: 'r2', message: 'x' });
    expect(r.stats().queued).toBe(0);
  });
});

describe('NotifyRunner: webhooks', () => {
  const webhook = (
    url: string,
    extra: Partial<Extract<NotifyHook, { kind: 'webhook' }>> = {},
  ): NotifyHook => ({
    kind: 'webhook',
    name: 'pager',
    url,
    events: ['all'],
    timeoutMs: 2_000,
    retries: 2,
    retryBackoffMs: 10,
    ...extra,
  });

  it('POSTs the JSON payload', async () => {
    const seen: Array<{ method: string; type: string; auth: string; body: unknown }> = [];
    const url = await listen((req, body, res) => {
      seen.push({
        method: req.method!,
        type: req.headers['content-type']!,
        auth: String(req.headers.authorization),
        body: JSON.parse(body),
      });
      res.end('ok');
    });
    const { r } = runner([webhook(url, { headers: { authorization: 'Bearer t' } })]);
    const [rep] = await r.deliverNow({ event: 'split-brain', resource: 'r0', message: 'split' });
    expect(rep).toMatchObject({ status: 'ok', attempts: 1, kind: 'webhook' });
    expect(seen).toEqual([
      {
        method: 'POST',
        type: 'application/json',
        auth: 'Bearer t',
        body: expect.objectContaining({
          event: 'split-brain',
          resource: 'r0',
          node: 'alpha',
          severity: 'critical',
        }),
      },
    ]);
  });

  it('retries on 5xx with backoff and succeeds', async () => {
    let calls = 0;
    const url = await listen((_req, _body, res) => {
      calls++;
      res.statusCode = calls < 3 ? 503 : 204;
      res.end();
    });
    const { r } = runner([webhook(url)]);
    const [rep] = await r.deliverNow({ event: 'failover', resource: 'r0', message: 'x' });
    expect(rep).toMatchObject({ status: 'ok', attempts: 3 });
  });

  it('does not retry a 4xx', async () => {
    let calls = 0;
    const url = await listen((_req, _body, res) => {
      calls++;
      res.statusCode = 400;
      res.end();
    });
    const { r } = runner([webhook(url)]);
    const [rep] = await r.deliverNow({ event: 'failover', resource: 'r0', message: 'x' });
    expect(rep).toMatchObject({
      status: 'failed',
      reason: 'webhook-http-status',
      detail: 'HTTP 400',
      attempts: 1,
    });
    expect(calls).toBe(1);
  });

  it('times out a silent server on every attempt', async () => {
    let calls = 0;
    const url = await listen(() => void calls++); // never answers
    const { r } = runner([webhook(url, { timeoutMs: 150, retries: 1 })]);
    const [rep] = await r.deliverNow({ event: 'failover', resource: 'r0', message: 'x' });
    expect(rep).toMatchObject({ status: 'failed', reason: 'webhook-timeout', attempts: 2 });
    expect(calls).toBe(2);
    server!.closeAllConnections();
  });

  it('reports a refused connection as a network failure', async () => {
    const url = await listen((_q, _b, res) => res.end());
    await new Promise((r) => server!.close(r));
    server = undefined;
    const { r } = runner([webhook(url, { retries: 1 })]);
    const [rep] = await r.deliverNow({ event: 'failover', resource: 'r0', message: 'x' });
    expect(rep).toMatchObject({ status: 'failed', reason: 'webhook-network', attempts: 2 });
    expect(rep!.status === 'failed' && rep!.detail).toContain('ECONNREFUSED');
  });
});
