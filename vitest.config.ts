import { defineConfig } from 'vitest/config';

// One project per test tier (see docs/testing.md). `npm test` runs them in order through scripts/test-all.sh,
// which runs the netns and lab tiers one file at a time (they share namespaces, VMs and ports).
export default defineConfig({
  test: {
    projects: [
      // Unit tests that spawn the CLI take seconds on a loaded 2-core machine.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000 } },
      { test: { name: 'engine', include: ['test/engine/**/*.test.ts'], testTimeout: 120_000 } },
      {
        test: { name: 'cluster-sim', include: ['test/cluster-sim/**/*.test.ts'], testTimeout: 600_000 },
      },
      {
        test: {
          name: 'netns',
          include: ['test/netns/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        // Randomized fault schedules against a real pair (docs/chaos-tests.md); one schedule per test.
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'lab',
          include: ['test/lab/**/*.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
