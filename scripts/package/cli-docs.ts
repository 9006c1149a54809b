// Writes the man page drbd-sentinel.8 and the bash completion from the bundled CLI's own --help
// texts, so both stay true to the program they ship with.
// Usage: tsx scripts/package/cli-docs.ts BUNDLE OUTDIR
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface CommandHelp {
  readonly path: readonly string[];
  readonly summary: string;
  readonly help: string;
  readonly options: readonly string[];
  readonly subcommands: readonly string[];
}

const [bundle, outdir] = process.argv.slice(2);
if (bundle === undefined || outdir === undefined) {
  console.error('usage: cli-docs.ts BUNDLE OUTDIR');
  process.exit(2);
}

function helpOf(path: readonly string[]): string {
  // A fixed width so the page does not depend on the terminal that built it.
  return execFileSync(process.execPath, [bundle as string, ...path, '--help'], {
    encoding: 'utf8',
    env: { ...process.env, COLUMNS: '78' },
  });
}

/** The lines of one `Heading:` block of commander's help (up to the next blank line). */
function section(help: string, heading: string): string[] {
  const lines = help.split('\n');
  const start = lines.indexOf(`${heading}:`);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.trim() === '');
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** `name [options] <arg>   summary` entries of a Commands: block, continuation lines joined. */
function commandsOf(help: string): { name: string; summary: string }[] {
  const out: { name: string; summary: string }[] = [];
  for (const line of section(help, 'Commands')) {
    const m = /^ {2}(\S+)(.*?)(?: {2,}(.*))?$/.exec(line);
    if (m && !line.startsWith('    ')) out.push({ name: m[1] as string, summary: (m[3] ?? '').trim() });
    else if (out.length > 0) {
      const last = out[out.length - 1] as { summary: string };
      last.summary = `${last.summary} ${line.trim()}`.trim();
    }
  }
  return out.filter((c) => c.name !== 'help');
}

function optionsOf(help: string): string[] {
  return section(help, 'Options').flatMap((l) =>
    /^ {2}-/.test(l) ? [...(l.split(/ {2,}/)[1] ?? '').matchAll(/--?[A-Za-z][\w-]*/g)].map((m) => m[0]) : [],
  );
}

function walk(path: readonly string[], summary: string): CommandHelp[] {
  const help = helpOf(path);
  const subs = commandsOf(help);
  const self: CommandHelp = {
    path,
    summary,
    help,
    options: optionsOf(help),
    subcommands: subs.map((s) => s.name),
  };
  // The simulator's subcommands pass every argument through to the simulated tools (no --help).
  const descend = path.length === 0 || (path.length === 1 && path[0] !== 'sim');
  return [self, ...subs.flatMap((s) => (descend ? walk([...path, s.name], s.summary) : []))];
}

const all = walk([], '');
const top = all[0] as CommandHelp;
const version = execFileSync(process.execPath, [bundle, '--version'], { encoding: 'utf8' }).trim();

/** roff-escapes text for a no-fill block: backslashes, and a leading dot or quote. */
const roff = (s: string): string => s.replace(/\\/g, '\\e').replace(/^([.'])/gm, '\\&$1');

const man = [
  `.TH DRBD-SENTINEL 8 "" "drbd-sentinel ${version}" "System Administration"`,
  '.SH NAME',
  'drbd-sentinel \\- automatic failover daemon for two-node DRBD clusters',
  '.SH SYNOPSIS',
  '.B drbd-sentinel',
  '[\\fB\\-c\\fR \\fIFILE\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR]',
  '.SH DESCRIPTION',
  'A daemon on each node of a DRBD pair exchanges authenticated heartbeats with its peer, watches',
  "DRBD's connection, role and disk state, and when the Primary fails, fences it and takes over",
  '(promote, mount, services, addresses). It never makes two primaries, never promotes a disk that',
  'is not UpToDate, and never forces a data decision: unknown is never dead. The same configuration',
  'file, \\fI/etc/drbd-sentinel/config.yaml\\fR, goes on both nodes;',
  '.B drbd-sentinel init',
  "writes it from DRBD's own configuration.",
  '.PP',
  '.nf',
  roff(top.help.trimEnd()),
  '.fi',
  '.SH COMMANDS',
  ...all
    .slice(1)
    .flatMap((c) => [
      '.SS',
      `\\fB${c.path.join(' ')}\\fR${c.summary ? ` \\- ${roff(c.summary)}` : ''}`,
      '.nf',
      roff(c.help.trimEnd()),
      '.fi',
    ]),
  '.SH FILES',
  '.TP',
  '.I /etc/drbd-sentinel/config.yaml',
  'the configuration (a conffile: kept on upgrade)',
  '.TP',
  '.I /etc/drbd-sentinel/secret',
  'the shared HMAC key, mode 0600, the same on both nodes',
  '.TP',
  '.I /var/lib/drbd-sentinel',
  'state: incarnation number, decision journal, operator intents',
  '.TP',
  '.I /run/drbd-sentinel/control.sock',
  'control socket of the running daemon (root only)',
  '.TP',
  '.I /usr/share/drbd-sentinel',
  'Prometheus alert rules and a Grafana dashboard',
  '.SH EXIT STATUS',
  '0 success, 1 failure, 2 usage error, 78 invalid configuration (EX_CONFIG; systemd does not restart on it).',
  '.SH SEE ALSO',
  '.BR drbdadm (8),',
  '.BR drbd.conf (5),',
  '.BR systemctl (1);',
  '.I /usr/share/doc/drbd-sentinel/',
  '(configuration.md, operations.md, decisions.md, packaging.md)',
  '',
].join('\n');

const words = (xs: readonly string[]) => xs.join(' ');
// Longest command path first: `switchover r0 --t` still completes switchover's options.
const cases = all
  .filter((c) => c.path.length > 0)
  .sort((a, b) => b.path.length - a.path.length)
  .map((c) => {
    const p = c.path.join(' ');
    return `    "${p}" | "${p} "*) words="${words([...c.subcommands, ...c.options])}" ;;`;
  });
const completion = `# bash completion for drbd-sentinel ${version} (generated from its --help by scripts/package/cli-docs.ts)
_drbd_sentinel() {
  local cur=\${COMP_WORDS[COMP_CWORD]} path="" i w words
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    case $w in
      -c | --config) ((i++)) ;;
      -*) ;;
      *) path="\${path:+$path }$w" ;;
    esac
  done
  case $path in
    "") words="${words([...top.subcommands, ...top.options])}" ;;
${cases.join('\n')}
    *) words="" ;;
  esac
  if [[ \${COMP_WORDS[COMP_CWORD - 1]} == @(-c|--config|--socket) ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  fi
}
complete -F _drbd_sentinel drbd-sentinel
`;

mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, 'drbd-sentinel.8'), man);
writeFileSync(join(outdir, 'drbd-sentinel.bash-completion'), completion);
console.log(`cli-docs: ${all.length} commands documented in ${outdir}`);
