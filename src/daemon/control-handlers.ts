/**
 * The control socket's requests (the CLI), mapped onto the cycle: status, switchover, standby,
 * maintenance, DRBD's fence-peer/unfence-peer handlers, notify-test.
 */
import { err, ok, type Result } from '../common/result.js';
import type { LocalNodes } from '../config/index.js';
import type { ControlHandlers, OperationReport, StatusSnapshot } from '../control/index.js';
import type { NotifyRunner } from '../notify/index.js';
import type { Cycle, CycleSettings } from './cycle/index.js';
import { deviceOfResource } from './resource-devices.js';

export interface ControlContext {
  readonly cycle: Cycle;
  readonly nodes: LocalNodes;
  readonly settings: () => CycleSettings;
  readonly notifier: NotifyRunner;
  readonly status: () => StatusSnapshot;
  readonly log: { info(o: object, msg: string): void };
}

export function controlHandlers(c: ControlContext): ControlHandlers {
  const { cycle, nodes } = c;
  const soleResource = (name: string | undefined) => {
    const resources = [...c.settings().resources.values()];
    if (name !== undefined) return resources.find((r) => r.name === name) ?? null;
    return resources.length === 1 ? (resources[0] ?? null) : null;
  };
  return {
    status: (): Result<StatusSnapshot, never> => ok(c.status()),
    switchover: async (req: { resource?: string | null; to?: string | null }) => {
      const r = soleResource(req.resource ?? undefined);
      if (r === null)
        return err({
          code: 'E_USAGE',
          message:
            req.resource === undefined
              ? 'name the resource to switch over'
              : `unknown resource ${req.resource}`,
        });
      const d = deviceOfResource(cycle.drbdView, r);
      const to = req.to ?? (d?.role === 'Primary' ? nodes.peer.name : nodes.local.name);
      if (to !== nodes.local.name && to !== nodes.peer.name)
        return err({ code: 'E_USAGE', message: `unknown node ${to}` });
      if (cycle.intents.maintenance)
        return err({ code: 'MAINTENANCE', message: 'maintenance is on: no switchover' });
      return cycle.requestSwitchover(r.name, to);
    },
    standby: (req: { on: boolean }): Result<OperationReport, { code: string; message: string }> => {
      const r = cycle.setIntents({ ...cycle.intents, standby: req.on });
      return r.ok ? ok({ summary: `standby ${req.on ? 'on' : 'off'} on ${nodes.local.name}`, steps: [] }) : r;
    },
    maintenance: (req: { on: boolean }): Result<OperationReport, { code: string; message: string }> => {
      // The engine notices the switch and plans its `maintenance` notification (journaled).
      const r = cycle.setIntents({ ...cycle.intents, maintenance: req.on });
      if (!r.ok) return r;
      return ok({ summary: `maintenance ${req.on ? 'on: both nodes observe only' : 'off'}`, steps: [] });
    },
    'fence-peer': async (req: { resource: string }) => ok(await cycle.answerFencePeer(req.resource)),
    'unfence-peer': (req: { resource: string }) => {
      c.log.info({ resource: req.resource }, 'unfence-peer: resync finished');
      cycle.trigger('drbd');
      return ok({ exitCode: 0, message: `${req.resource}: nothing to remove` });
    },
    'notify-test': async (req: { event: Parameters<NotifyRunner['notify']>[0]['event'] }) =>
      ok({
        deliveries: await c.notifier.deliverNow(
          { event: req.event, resource: null, message: `test notification from ${nodes.local.name}` },
          { test: true },
        ),
      }),
  };
}
