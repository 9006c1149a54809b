/**
 * A two-node DRBD pair that a scenario can drive: the real-DRBD lab (QEMU VMs) or the simulator.
 * Scenario scripts are written once against this interface, so the lab captures real behaviour and
 * the fidelity test replays the very same steps against the simulator and compares.
 */
export type LabNode = 'alpha' | 'bravo';

export interface CommandCapture {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  /** True when the command did not finish within its timeout (optional: targets that cannot tell leave it out). */
  readonly timedOut?: boolean;
  /** Wall time of the command in ms, where the target measures it. */
  readonly durationMs?: number;
}

export type Fault =
  | { readonly kind: 'cut-link' } // the replication (and only) link between the nodes
  | { readonly kind: 'restore-link' }
  | { readonly kind: 'power-kill'; readonly node: LabNode } // power loss: no clean shutdown
  | { readonly kind: 'power-on'; readonly node: LabNode } // boot again after power-kill (DRBD not yet up)
  | { readonly kind: 'freeze'; readonly node: LabNode }
  | { readonly kind: 'thaw'; readonly node: LabNode }
  | { readonly kind: 'fail-disk'; readonly node: LabNode }; // the backing disk starts returning I/O errors

export interface ScenarioTarget {
  /** Runs a command on a node: `drbdadm ...`, `drbdsetup ...`, `mount ...`, `umount ...`, `sh -c ...`. */
  run(node: LabNode, argv: readonly string[], options?: { timeoutMs?: number }): Promise<CommandCapture>;
  fault(fault: Fault): Promise<void>;
  /** The node's /proc/drbd text as it is now. */
  procDrbd(node: LabNode): Promise<string>;
  /** Waits until `predicate` holds for the node's /proc/drbd (polling), or fails after `timeoutMs`. */
  waitFor(node: LabNode, predicate: (procDrbd: string) => boolean, timeoutMs: number): Promise<void>;
  /** Resets both nodes to: r0 up, connected, alpha Primary UpToDate with a fresh ext4 at /dev/drbd1, bravo Secondary UpToDate. */
  reset(): Promise<void>;
}
