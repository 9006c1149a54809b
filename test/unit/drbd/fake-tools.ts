import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temp folder with fake DRBD tools (shell scripts) and a fake /proc/drbd; `cleanup()` removes it. */
export interface FakeDrbd {
  readonly dir: string;
  readonly procPath: string;
  /** Writes an executable script `name` with the given body (a `#!/bin/sh` line is added). */
  script(name: string, body: string): string;
  writeProc(text: string): void;
  removeProc(): void;
  cleanup(): void;
}

export function makeFakeDrbd(): FakeDrbd {
  const dir = mkdtempSync(join(tmpdir(), 'drbd-fake-'));
  const procPath = join(dir, 'proc-drbd');
  return {
    dir,
    procPath,
    script(name, body) {
      const path = join(dir, name);
      writeFileSync(path, `#!/bin/sh\n${body}\n`);
      chmodSync(path, 0o755);
      return path;
    },
    writeProc(text) {
      writeFileSync(procPath, text);
    },
    removeProc() {
      rmSync(procPath, { force: true });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
