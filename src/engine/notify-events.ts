/** The notify event names live in src/common (the config schema reads them too); re-exported for the engine. */
export { NOTIFY_EVENTS, type NotifyEventName } from '../common/notify-events.js';
