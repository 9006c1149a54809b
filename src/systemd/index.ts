/** sd_notify (READY / STATUS / WATCHDOG / STOPPING) and the health-gated watchdog. */
export {
  createSdNotifier,
  sdNotifyArgs,
  type SdNotifier,
  type SdNotifierOptions,
  type SdNotifyMessage,
  type SdNotifyOutcome,
} from './sd-notify.js';
export { LoopProgress, Watchdog, watchdogIntervalMs, type WatchdogOptions } from './watchdog.js';
