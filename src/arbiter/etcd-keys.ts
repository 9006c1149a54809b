/**
 * Where the arbiter's keys live in etcd (docs/arbiter-etcd.md). Pure.
 * `<prefix>/<cluster>/<resource>/owner`: the node that owns the resource, bound to its lease;
 * `<prefix>/<cluster>/status/<node>`: the node's fleet status (JSON), bound to its lease.
 */
export const ownerKey = (prefix: string, cluster: string, resource: string): string =>
  `${prefix}/${cluster}/${resource}/owner`;

export const statusKey = (prefix: string, cluster: string, node: string): string =>
  `${prefix}/${cluster}/status/${node}`;

/** The prefix of every key of one pair (read in one range request). */
export const clusterPrefix = (prefix: string, cluster: string): string => `${prefix}/${cluster}/`;

/** The resource an owner key names, or null when `key` is not an owner key under `base`. */
export function resourceOfOwnerKey(base: string, key: string): string | null {
  if (!key.startsWith(base) || !key.endsWith('/owner')) return null;
  const name = key.slice(base.length, -'/owner'.length);
  return name.length > 0 && !name.includes('/') ? name : null;
}

/** The range end that makes a range request cover every key starting with `prefix` (etcd's rule). */
export function prefixRangeEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
