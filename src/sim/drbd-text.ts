/** Small pieces of DRBD's text conventions the simulator prints and reads. */

/** DRBD's `ppsize`: KiB as `N KB`/`N MB`/... (shifting while the number has five digits). */
export function ppsize(kib: number): string {
  const units = ['K', 'M', 'G', 'T', 'P', 'E'];
  let size = kib;
  let base = 0;
  while (size >= 10000 && base < units.length - 1) {
    size = Math.floor(size / 1024) + ((size & 512) !== 0 ? 1 : 0);
    base++;
  }
  return `${size} ${units[base] ?? 'K'}B`;
}

/** `10.0.0.1:7788` -> [`10.0.0.1`, `7788`]; IPv6 in brackets is accepted. */
export function splitAddress(addr: string): [string, string] {
  const i = addr.lastIndexOf(':');
  if (i < 0) return [addr, ''];
  return [addr.slice(0, i).replace(/^\[|\]$/g, ''), addr.slice(i + 1)];
}
