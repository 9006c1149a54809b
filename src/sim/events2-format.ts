/**
 * `drbdsetup events2` lines exactly as drbd-utils' drbdsetup-84 prints them for a DRBD 8.4 kernel
 * (see the shared fixtures): `VERB OBJECT ids state [statistics]`, optionally prefixed by an ISO
 * timestamp with microseconds. Pure.
 */
export type Events2Verb = 'exists' | 'create' | 'change' | 'destroy' | 'call' | 'response';
export type Events2Object = 'resource' | 'connection' | 'device' | 'peer-device' | 'helper' | '-';

export type Field = readonly [string, string];

/** One event as the model records it; rendered per subscriber options. */
export interface Events2Record {
  readonly atWallMs: number;
  readonly verb: Events2Verb;
  readonly object: Events2Object;
  readonly ids: readonly Field[];
  /** State fields (all of them for exists/create, only the changed ones for change). */
  readonly state: readonly Field[];
  /** Statistics, printed only with `--statistics`. */
  readonly stats: readonly Field[];
  /** Statistics-only state fields after the counters (e.g. `al-suspended`, `blocked`, `congested`). */
  readonly statsTail: readonly Field[];
}

export interface Events2Options {
  readonly timestamps: boolean;
  readonly statistics: boolean;
}

/** `2026-11-24T17:25:58.206049+00:00` for a wall-clock time in ms. */
export function formatEvents2Timestamp(wallMs: number): string {
  const iso = new Date(Math.floor(wallMs)).toISOString(); // 2026-11-24T17:25:58.206Z
  const micros = Math.floor((wallMs - Math.floor(wallMs)) * 1000)
    .toString()
    .padStart(3, '0');
  return `${iso.slice(0, 23)}${micros}+00:00`;
}

/** Renders one record as one line (no newline). Pure. */
export function renderEvents2Line(rec: Events2Record, options: Events2Options): string {
  const parts: string[] = [];
  if (options.timestamps) parts.push(formatEvents2Timestamp(rec.atWallMs));
  parts.push(rec.verb);
  parts.push(rec.object);
  const kv = (fields: readonly Field[]) => {
    for (const [k, v] of fields) parts.push(`${k}:${v}`);
  };
  kv(rec.ids);
  kv(rec.state);
  if (options.statistics) {
    kv(rec.stats);
    kv(rec.statsTail);
  }
  return parts.join(' ');
}
