import { err, ok, type Result } from '../common/result.js';
import { parseEvents2Text } from './events2.js';
import { formatParseError } from './parse-error.js';
import { parseProcDrbd } from './proc-drbd.js';
import { INITIAL_DRBD_STATE, reduceDrbd, reduceDrbdAll, type DrbdInput } from './reducer.js';
import type { DrbdDeviceView, DrbdView } from './view.js';

/** What `inspect` prints: the module version, where the view came from, and the normalized devices. */
export interface InspectOutput {
  readonly version: string | null;
  readonly source: DrbdView['source'];
  readonly availability: DrbdView['availability'];
  readonly devices: readonly DrbdDeviceView[];
}

function output(view: DrbdView): InspectOutput {
  return {
    version: view.version,
    source: view.source,
    availability: view.availability,
    devices: view.devices,
  };
}

/** Pure. /proc/drbd text -> normalized view, or `line N: why ("text")`. */
export function inspectProcDrbdText(text: string): Result<InspectOutput, string> {
  const p = parseProcDrbd(text);
  if (!p.ok) return err(formatParseError(p.error));
  return ok(output(reduceDrbd(INITIAL_DRBD_STATE, { type: 'proc', snapshot: p.value }).state.view));
}

/**
 * Pure. events2 text -> the view after the last event. A capture that lacks the initial `exists -`
 * (a stream joined late, or `--now` output cut short) is still shown: the state is folded as if the
 * dump had ended before the first line.
 */
export function inspectEvents2Text(text: string): Result<InspectOutput, string> {
  const v = events2TextView(text);
  return v.ok ? ok(output(v.value)) : v;
}

/** Pure. events2 text (a capture, or one `drbdsetup events2 --now` run) -> the view after its last event. */
export function events2TextView(text: string): Result<DrbdView, string> {
  const p = parseEvents2Text(text);
  if (!p.ok) return err(formatParseError(p.error));
  const events = p.value;
  const inputs: DrbdInput[] = [];
  if (!events.some((e) => e.type === 'initial-done'))
    inputs.push({ type: 'events2', event: { type: 'initial-done', timestamp: null } });
  for (const event of events) inputs.push({ type: 'events2', event });
  return ok(reduceDrbdAll(INITIAL_DRBD_STATE, inputs).state.view);
}
