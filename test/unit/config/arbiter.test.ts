import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigText, renderConfigYaml, type SentinelConfig } from '../../../src/config/index.js';
import { makeSecretDir } from '../../fixtures/config/invalid-fixtures.js';

const tmp = makeSecretDir();
afterAll(() => tmp.cleanup());

const file = (arbiter: string) => `cluster: { name: pair, secret-file: ${tmp.secret} }
nodes:
  - { name: alpha, addresses: [10.0.0.1] }
  - { name: bravo, addresses: [10.0.0.2] }
resources:
  - { name: r0, device: /dev/drbd0 }
fencing: { policy: resource-only }
${arbiter}
`;

function valid(text: string): SentinelConfig {
  const r = parseConfigText(text, 'test.yaml', { secretFileCheck: true });
  if (!r.ok) throw new Error(r.error.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`).join('\n'));
  return r.value.config;
}

function problems(text: string): string[] {
  const r = parseConfigText(text, 'test.yaml', { secretFileCheck: true });
  if (r.ok) throw new Error('expected problems');
  return r.error.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
}

describe('arbiter section', () => {
  it('is null when absent: no arbiter', () => {
    expect(valid(file('')).arbiter).toBeNull();
  });

  it('fills in the defaults around the endpoints', () => {
    const c = valid(file('arbiter: { etcd: { endpoints: [http://10.0.0.9:2379] } }'));
    expect(c.arbiter).toEqual({
      etcd: {
        endpoints: ['http://10.0.0.9:2379'],
        prefix: '/drbd-sentinel',
        tls: null,
        user: null,
        passwordFile: null,
        leaseTtlMs: 10_000,
        timeoutMs: 1_000,
      },
      onIsolation: 'demote',
      takeoverMarginMs: 2_000,
    });
  });

  it('reads every key and renders back to a file that loads the same', () => {
    const c = valid(
      file(`arbiter:
  etcd:
    endpoints: [https://10.0.0.9:2379, https://10.0.0.10:2379]
    prefix: /site-a/ha
    tls: { ca: /etc/ca.pem, cert: /etc/c.pem, key: /etc/c.key }
    user: sentinel
    password-file: /etc/pw
    lease-ttl: 6s
    timeout: 500ms
  on-isolation: reboot
  takeover-margin: 1s`),
    );
    expect(c.arbiter?.etcd.tls).toEqual({ ca: '/etc/ca.pem', cert: '/etc/c.pem', key: '/etc/c.key' });
    expect(c.arbiter?.onIsolation).toBe('reboot');
    expect(c.arbiter?.etcd.leaseTtlMs).toBe(6_000);
    expect(valid(renderConfigYaml(c))).toEqual(c);
  });

  it('locates each bad key with a message that says what to write', () => {
    const p = problems(
      file(`arbiter:
  etcd:
    endpoints: [http://10.0.0.9:2379, https://10.0.0.10:2379, 10.0.0.11:2379]
    prefix: drbd/
    lease-ttl: 1500ms
    timeout: 1s
  on-isolation: halt`),
    );
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^10:63 arbiter\.etcd\.endpoints\[2\]: must be http:\/\/HOST:PORT/),
        expect.stringMatching(/^11:5 arbiter\.etcd\.prefix: must be \/NAME/),
        expect.stringMatching(/^12:5 arbiter\.etcd\.lease-ttl: must be at least 2000ms/),
        expect.stringMatching(/^14:3 arbiter\.on-isolation: expected one of demote, reboot/),
      ]),
    );
  });

  it('refuses mixed schemes, tls over http, half a client certificate or half an auth', () => {
    expect(problems(file('arbiter: { etcd: { endpoints: [http://a:1, https://b:2] } }'))).toEqual([
      expect.stringMatching(/arbiter\.etcd\.endpoints: endpoints mix http:\/\/ and https:\/\//),
    ]);
    expect(problems(file('arbiter: { etcd: { endpoints: [http://a:1], tls: { ca: /ca } } }'))).toEqual([
      expect.stringMatching(/arbiter\.etcd\.tls: tls is set but the endpoints are http:\/\//),
    ]);
    expect(
      problems(file('arbiter: { etcd: { endpoints: [https://a:1], tls: { ca: /ca, cert: /c } } }')),
    ).toEqual([
      expect.stringMatching(/arbiter\.etcd\.tls\.key: a client certificate needs both cert and key/),
    ]);
    expect(problems(file('arbiter: { etcd: { endpoints: [http://a:1], user: u } }'))).toEqual([
      expect.stringMatching(/arbiter\.etcd\.password-file: etcd auth needs both user and password-file/),
    ]);
  });

  it('refuses a TTL in fractions of a second and a timeout longer than a renewal interval', () => {
    expect(
      problems(file('arbiter: { etcd: { endpoints: [http://a:1], lease-ttl: 2500ms, timeout: 500ms } }')),
    ).toEqual([expect.stringMatching(/lease-ttl: lease-ttl 2500ms must be whole seconds/)]);
    expect(
      problems(file('arbiter: { etcd: { endpoints: [http://a:1], lease-ttl: 3s, timeout: 1500ms } }')),
    ).toEqual([
      expect.stringMatching(/arbiter\.etcd\.timeout: timeout 1500ms must be at most a third of lease-ttl/),
    ]);
  });
});
