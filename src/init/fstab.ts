/** One line of /etc/fstab (fs_spec, fs_file, fs_vfstype, fs_mntops), octal escapes decoded. */
export interface FstabEntry {
  readonly spec: string;
  readonly file: string;
  readonly vfstype: string;
  readonly options: readonly string[];
  /** 1-based line number, for messages. */
  readonly line: number;
}

/** fstab(5) writes a space in a field as \040 (and a tab as \011, a backslash as \134). */
const unescape = (field: string): string =>
  field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

/** Pure and total: the entries of an fstab text; comments, blank and short lines are skipped. */
export function parseFstab(text: string): FstabEntry[] {
  const entries: FstabEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [spec, file, vfstype, opts] = line.split(/\s+/);
    if (spec === undefined || file === undefined || vfstype === undefined) return;
    entries.push({
      spec: unescape(spec),
      file: unescape(file),
      vfstype,
      options: (opts ?? 'defaults').split(',').filter((o) => o !== ''),
      line: i + 1,
    });
  });
  return entries;
}

/**
 * Options that only steer mounting at boot or by users (mount(8), systemd.mount(5)): meaningless
 * for the daemon's own `mount -o`, and `noauto` must stay in fstab, not in the daemon's options.
 */
const BOOT_ONLY = new Set([
  'defaults',
  'auto',
  'noauto',
  'nofail',
  '_netdev',
  'user',
  'users',
  'nouser',
  'owner',
  'group',
]);

/** Pure: the options of an fstab entry the daemon passes to `mount -o`. */
export function daemonMountOptions(entry: FstabEntry): string[] {
  return entry.options.filter((o) => !BOOT_ONLY.has(o) && !o.startsWith('x-') && !o.startsWith('comment='));
}

/**
 * Pure: the fstab entry that mounts a DRBD resource's device: by its path (`/dev/drbd1`) or by udev's
 * `/dev/drbd/by-res/RES` (`/0` for volume 0). Null when there is none.
 */
export function fstabEntryFor(
  entries: readonly FstabEntry[],
  resource: string,
  device: string,
): FstabEntry | null {
  const names = new Set([device, `/dev/drbd/by-res/${resource}`, `/dev/drbd/by-res/${resource}/0`]);
  return entries.find((e) => names.has(e.spec)) ?? null;
}
