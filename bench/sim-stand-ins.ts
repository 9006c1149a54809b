import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The simulator's stand-ins (drbdadm, drbdsetup, mount, umount, fuser) in `dir/sim-bin`, as symlinks to
 * the C client of the build in `buildRoot`: what a daemon runs is the client, no shell before it.
 */
export function standIns(buildRoot: string, dir: string): string {
  const client = join(buildRoot, 'dist', 'sim-client');
  if (!existsSync(client)) throw new Error(`${client} missing: npm run build (needs gcc)`);
  const d = join(dir, 'sim-bin');
  mkdirSync(d);
  for (const op of ['drbdadm', 'drbdsetup', 'mount', 'umount', 'fuser']) symlinkSync(client, join(d, op));
  return d;
}
