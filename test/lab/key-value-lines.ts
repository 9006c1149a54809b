/** `KEY=value` lines (`systemctl show`, the lab's cached .env files) as a record; other lines are ignored. */
export function keyValueLines(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}
