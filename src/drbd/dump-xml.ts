import { err, ok, type Result } from '../common/result.js';
import { parseError, type DrbdParseError } from './parse-error.js';
import { asProtocol } from './state-names.js';
import type { ReplicationProtocol } from './types.js';
import { parseXmlLite, type XmlElement } from './xml-lite.js';

/** Options of one `section` (`net`, `disk`, `handlers`, `startup`, `options`): name -> value; flag options map to `true`. */
export type DrbdSectionOptions = Readonly<Record<string, string | true>>;
export type DrbdSections = Readonly<Record<string, DrbdSectionOptions>>;

/** One `volume` of a host section. */
export interface DrbdVolumeConfig {
  readonly volume: number;
  readonly minor: number | null;
  /** `/dev/drbd1`. */
  readonly device: string | null;
  /** Backing disk, e.g. `/dev/vg0/r0`. */
  readonly disk: string | null;
  readonly metaDisk: string | null;
}

/** One `on HOST { }` (or floating) section. */
export interface DrbdHostConfig {
  /** The `on NAME` names (one host section may name several, space separated); empty when floating. */
  readonly names: readonly string[];
  readonly floating: boolean;
  readonly address: { readonly family: string; readonly port: string; readonly address: string } | null;
  readonly volumes: readonly DrbdVolumeConfig[];
}

/** One resource as DRBD's own configuration defines it. */
export interface DrbdResourceConfig {
  readonly name: string;
  /** `conf-file-line="/etc/drbd.d/r0.res:1"`. */
  readonly confFileLine: string | null;
  readonly hosts: readonly DrbdHostConfig[];
  /** The resource's own sections (DRBD 9 `connection` net options are merged into `net`). */
  readonly sections: DrbdSections;
  /** Sections with `common { }` merged underneath (the resource's own values win). */
  readonly effective: DrbdSections;
  /** net `protocol`, default C (8.4 and 9 both default to C). */
  readonly protocol: ReplicationProtocol | null;
  /** `fencing` policy: disk section in 8.4, net section in 9; default `dont-care`. */
  readonly fencing: string;
  /** handlers section (`fence-peer`, `after-resync-target`, `split-brain`, ...). */
  readonly handlers: Readonly<Record<string, string>>;
}

/** The parsed output of `drbdadm dump-xml`. */
export interface DrbdConfigDump {
  readonly file: string | null;
  readonly common: DrbdSections;
  readonly resources: readonly DrbdResourceConfig[];
}

function sectionsOf(el: XmlElement): Record<string, Record<string, string | true>> {
  const out: Record<string, Record<string, string | true>> = {};
  for (const s of el.children) {
    if (s.name !== 'section') continue;
    const name = s.attrs.name ?? '';
    const opts = (out[name] ??= {});
    for (const o of s.children) {
      if (o.name !== 'option' || o.attrs.name === undefined) continue;
      opts[o.attrs.name] = o.attrs.value ?? true;
    }
  }
  return out;
}

function intOrNull(s: string | undefined): number | null {
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : null;
}

function hostOf(h: XmlElement): DrbdHostConfig {
  const addr = h.children.find((c) => c.name === 'address');
  return {
    names: (h.attrs.name ?? '').split(/\s+/).filter((n) => n !== ''),
    floating: h.attrs.floating === '1',
    address: addr
      ? { family: addr.attrs.family ?? '', port: addr.attrs.port ?? '', address: addr.text }
      : null,
    volumes: h.children
      .filter((c) => c.name === 'volume')
      .map((v) => {
        const dev = v.children.find((c) => c.name === 'device');
        return {
          volume: intOrNull(v.attrs.vnr) ?? 0,
          minor: intOrNull(dev?.attrs.minor),
          device: dev?.text || null,
          disk: v.children.find((c) => c.name === 'disk')?.text || null,
          metaDisk: v.children.find((c) => c.name === 'meta-disk')?.text || null,
        };
      }),
  };
}

function merge(under: DrbdSections, over: DrbdSections): Record<string, Record<string, string | true>> {
  const out: Record<string, Record<string, string | true>> = {};
  for (const [k, v] of Object.entries(under)) out[k] = { ...v };
  for (const [k, v] of Object.entries(over)) out[k] = { ...(out[k] ?? {}), ...v };
  return out;
}

function str(v: string | true | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

/**
 * Pure and total. Parses `drbdadm dump-xml [RES]` of drbd-utils (8.4 and 9 layouts): `<config>`
 * with optional `<common>`, then `<resource>` elements with `<host name>` / `<volume vnr>` /
 * `<device minor>` / `<disk>` / `<meta-disk>` / `<address>` and `<section name><option/>` blocks
 * (DRBD 9 adds `<connection>` whose net section is merged into the resource's `net`).
 */
export function parseDumpXml(text: string): Result<DrbdConfigDump, DrbdParseError> {
  const root = parseXmlLite(text);
  if (!root.ok) return root;
  const cfg = root.value;
  if (cfg.name !== 'config' && cfg.name !== 'resource')
    return err(parseError(1, text.split('\n')[0] ?? '', `expected <config>, got <${cfg.name}>`));
  const resEls = cfg.name === 'resource' ? [cfg] : cfg.children.filter((c) => c.name === 'resource');
  const commonEl = cfg.children.find((c) => c.name === 'common');
  const common: DrbdSections = commonEl ? sectionsOf(commonEl) : {};
  const resources = resEls.map((r): DrbdResourceConfig => {
    let sections = sectionsOf(r);
    for (const c of r.children.filter((x) => x.name === 'connection'))
      sections = merge(sections, sectionsOf(c));
    const effective = merge(common, sections);
    const hostEls = r.children.filter((c) => c.name === 'host');
    const net = effective.net ?? {};
    const disk = effective.disk ?? {};
    const protocolRaw = str(net.protocol);
    const handlers: Record<string, string> = {};
    for (const [k, v] of Object.entries(effective.handlers ?? {})) if (typeof v === 'string') handlers[k] = v;
    return {
      name: r.attrs.name ?? '',
      confFileLine: r.attrs['conf-file-line'] ?? null,
      hosts: hostEls.map(hostOf),
      sections,
      effective,
      protocol: protocolRaw === null ? 'C' : asProtocol(protocolRaw),
      fencing: str(disk.fencing) ?? str(net.fencing) ?? 'dont-care',
      handlers,
    };
  });
  return ok({ file: cfg.attrs.file ?? null, common, resources });
}
