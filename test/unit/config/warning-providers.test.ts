import { afterAll, describe, expect, it } from 'vitest';
import {
  collectProviderWarnings,
  configWarningProviders,
  parseConfigText,
  registerConfigWarningProvider,
  thisHostProvider,
  type ConfigWarningProvider,
  type LoadedConfig,
} from '../../../src/config/index.js';
import { exampleWithSecret, makeSecretDir } from '../../fixtures/config/invalid-fixtures.js';

const tmp = makeSecretDir();
afterAll(() => tmp.cleanup());

function example(): LoadedConfig {
  const r = parseConfigText(exampleWithSecret(tmp.secret), 'example.yaml');
  if (!r.ok) throw new Error('the example configuration is invalid');
  return r.value;
}

describe('check-config warning providers', () => {
  const { config, source } = example();

  it('this-host: a warning on a machine that is not a node, located at nodes', async () => {
    const ws = await collectProviderWarnings({ config, source, hostname: 'workstation' }, [thisHostProvider]);
    expect(ws).toEqual([
      expect.objectContaining({
        file: 'example.yaml',
        path: 'nodes',
        message: expect.stringContaining('this host (workstation'),
      }),
    ]);
    expect(ws[0]?.line).toBeGreaterThan(1);
    expect(await collectProviderWarnings({ config, source, hostname: 'DRBD02' }, [thisHostProvider])).toEqual(
      [],
    );
  });

  it('a provider that fails becomes a warning naming it, never a crash', async () => {
    const broken: ConfigWarningProvider = {
      name: 'broken',
      provide: () => Promise.reject(new Error('drbdadm not found')),
    };
    const ws = await collectProviderWarnings({ config, source, hostname: 'DRBD01' }, [
      broken,
      thisHostProvider,
    ]);
    expect(ws).toEqual([
      expect.objectContaining({
        path: '(check)',
        message: 'the broken check could not run: drbdadm not found',
      }),
    ]);
  });

  it('providers can locate their findings through the source', async () => {
    const drbdLike: ConfigWarningProvider = {
      name: 'drbd-like',
      provide: async (ctx) => [
        {
          file: ctx.source.file,
          ...ctx.source.locate(['resources', 0, 'device']),
          path: 'resources[0].device',
          message: 'x',
        },
      ],
    };
    const [w] = await collectProviderWarnings({ config, source, hostname: 'DRBD01' }, [drbdLike]);
    const deviceLine =
      exampleWithSecret(tmp.secret)
        .split('\n')
        .findIndex((l) => l.trim().startsWith('device: /dev/drbd1')) + 1;
    expect(w).toMatchObject({ line: deviceLine, col: 5 });
  });

  it('registering adds a provider; the same name replaces it', () => {
    const before = configWarningProviders().length;
    const p: ConfigWarningProvider = { name: 'test-provider', provide: async () => [] };
    registerConfigWarningProvider(p);
    registerConfigWarningProvider({ ...p });
    expect(configWarningProviders().length).toBe(before + 1);
    expect(configWarningProviders()[0]?.name).toBe('this-host');
  });
});
