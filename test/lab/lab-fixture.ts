import { existsSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Lab, PROJECT_ROOT, type LabOptions } from './lab.js';

/**
 * Vitest wiring for a lab test file: boots the lab once before the file's tests, and always stops
 * it afterwards (QEMU killed, sockets and disks removed), keeping the console logs under
 * .lab/logs/ when a test failed. Returns a getter for the running lab.
 */
export function useLab(options: LabOptions & { needsBuild?: boolean } = {}): () => Lab {
  let lab: Lab | null = null;
  let failed = false;
  beforeAll(async () => {
    if (options.needsBuild && !existsSync(path.join(PROJECT_ROOT, 'dist/drbd/index.js'))) {
      // The guests run the project's built JS over 9p; `npm test` builds before the tiers.
      // tsc emits even when some file has type errors (the typecheck step reports those).
      await new Promise((resolve) =>
        spawn('npm', ['run', 'build', '--silent'], { cwd: PROJECT_ROOT, stdio: 'inherit' }).once(
          'exit',
          resolve,
        ),
      );
      if (!existsSync(path.join(PROJECT_ROOT, 'dist/drbd/index.js')))
        throw new Error(
          'lab: dist/drbd/index.js is missing after `npm run build`: the guests need the built code',
        );
    }
    lab = await Lab.start(options);
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    await lab?.stop({ keepLogs: failed });
  });
  return () => {
    if (!lab) throw new Error('lab: not started (see the beforeAll error above)');
    return lab;
  };
}
