/**
 * The deterministic cluster simulation (docs/cluster-simulation.md), shard 1 of 2: two daemons (engine,
 * executor, failure detector) over the DRBD simulator, heartbeat links and a fence device on one
 * virtual clock, through seeded random fault schedules. Replay a seed: SEED=1234 npx vitest run --project cluster-sim
 */
import { describe } from 'vitest';
import { defineSeedShard } from './support/seed-runner.js';

describe('cluster simulation', () => {
  defineSeedShard(1, 2);
});
