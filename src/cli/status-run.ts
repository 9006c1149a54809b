// What `status` does once its command line is read, shared by its commander definition (status.ts) and the
// fast path (fast-path.ts). The modules, not control/index.js: the daemon's side of the socket is not
// loaded for a status.
import { callDaemon, resolveControlSocket, type ControlCommandOptions } from '../control/cli-support.js';
import { renderStatus } from '../control/render-status.js';

export async function runStatus(opts: ControlCommandOptions & { readonly json?: boolean }): Promise<void> {
  const snapshot = await callDaemon(resolveControlSocket(opts), { op: 'status' }, 10_000);
  process.stdout.write(
    opts.json === true ? `${JSON.stringify(snapshot, null, 2)}\n` : renderStatus(snapshot),
  );
}
