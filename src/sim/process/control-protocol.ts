/** Requests on a simulated node's control socket (one JSON line each). */
export type ControlRequest =
  | { readonly op: 'drbdadm' | 'drbdsetup' | 'mount' | 'umount' | 'fuser'; readonly args: readonly string[] }
  | { readonly op: 'write'; readonly count: number; readonly waitMs: number }
  | { readonly op: 'history' | 'crash' | 'repair-disk' | 'hold' | 'release' }
  | { readonly op: 'restart'; readonly up: boolean }
  | { readonly op: 'fail-disk'; readonly now: boolean };
