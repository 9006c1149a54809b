import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { humanDuration, renderStatus, type StatusSnapshot } from '../../../src/control/index.js';

const fixture = (name: string) => ({
  snapshot: JSON.parse(
    readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'),
  ) as StatusSnapshot,
  text: readFileSync(new URL(`./fixtures/${name}.txt`, import.meta.url), 'utf8'),
});

describe('renderStatus', () => {
  it.each(['status-primary-syncing', 'status-split-brain-maintenance'])('renders %s', (name) => {
    const { snapshot, text } = fixture(name);
    expect(renderStatus(snapshot)).toBe(text);
  });
});

describe('humanDuration', () => {
  it('is coarse and readable', () => {
    expect(
      [850, 12_000, 200_000, 180_000, 7_530_000, 3 * 86_400_000 + 4 * 3_600_000].map(humanDuration),
    ).toEqual(['850ms', '12s', '3m 20s', '3m', '2h 5m', '3d 4h']);
  });
});
