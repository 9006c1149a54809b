import type { DrbdView } from '../../drbd/index.js';
import type { ResourceExecConfig, SystemPort } from '../../executor/index.js';
import type { LocalResourceFacts } from '../observe.js';
import { deviceOfResource } from '../resource-devices.js';

/** Mount and service state of every resource, from the host (the observation's local facts). */
export async function localFacts(
  resources: ReadonlyMap<string, ResourceExecConfig>,
  view: DrbdView,
  system: SystemPort,
): Promise<Map<string, LocalResourceFacts>> {
  const facts = new Map<string, LocalResourceFacts>();
  for (const r of resources.values()) {
    const d = deviceOfResource(view, r);
    let mounted = false;
    if (r.mount === null) mounted = d?.role === 'Primary';
    else {
      const st = await system.mountState(r.device, r.mount.point);
      mounted = st.ok && st.value.kind === 'mounted-here';
    }
    let servicesUp = true;
    // Services can only run where the resource is in use; skip the systemctl calls elsewhere.
    if (r.services.length > 0) {
      if (d?.role !== 'Primary' && !mounted) servicesUp = false;
      else
        for (const unit of r.services) {
          const active = await system.serviceActive(unit, { timeoutMs: 5_000 });
          if (!active.ok || !active.value) {
            servicesUp = false;
            break;
          }
        }
    }
    facts.set(r.name, { mounted, servicesUp, currentUuid: null });
  }
  return facts;
}
