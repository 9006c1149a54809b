import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from '../../../src/config/suggest.js';

describe('did you mean', () => {
  it.each([
    ['hearbeat', ['heartbeat', 'nodes'], 'heartbeat'],
    ['nmae', ['name', 'secret-file'], 'name'],
    ['secret_file', ['name', 'secret-file'], 'secret-file'],
    ['Deadtime', ['deadtime', 'interval'], 'deadtime'],
    ['warning', ['warn', 'info'], 'warn'],
    ['colour', ['name', 'device', 'mount'], undefined],
    ['x', ['port'], undefined],
  ])('%s -> %s', (word, candidates, expected) => {
    expect(closestMatch(word, candidates)).toBe(expected);
  });
  it('counts an adjacent swap as one edit', () => {
    expect(editDistance('nmae', 'name')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
