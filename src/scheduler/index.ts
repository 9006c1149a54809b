/** Periodic jobs: online verify on the Primary, reminders for open alerts (node-cron). */
export {
  Scheduler,
  verifyCandidates,
  type JobName,
  type JobRun,
  type SchedulerOptions,
  type SchedulerPorts,
  type VerifyCandidateState,
} from './jobs.js';
