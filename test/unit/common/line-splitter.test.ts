import { describe, expect, it } from 'vitest';
import { LineSplitter, pushLines } from '../../../src/common/line-splitter.js';

describe('LineSplitter', () => {
  it('returns complete lines one at a time and keeps the unfinished tail', () => {
    const s = new LineSplitter();
    s.push('{"a":1}\n{"b"');
    expect(s.nextLineBytes()).toBe(7);
    expect(s.next()).toBe('{"a":1}');
    expect(s.next()).toBeNull();
    expect(s.bufferedBytes).toBe(4);
    s.push(':2}\n\n');
    expect(s.next()).toBe('{"b":2}');
    expect(s.next()).toBe('');
    expect(s.bufferedBytes).toBe(0);
  });

  it('counts queued complete lines as buffered until they are taken', () => {
    const s = new LineSplitter();
    s.push('one\ntwo\n');
    expect(s.next()).toBe('one');
    expect(s.bufferedBytes).toBe(4);
  });

  it('keeps a UTF-8 character split across chunks whole', () => {
    const bytes = Buffer.from('größe\n', 'utf8');
    const s = new LineSplitter();
    expect(pushLines(s, bytes.subarray(0, 3))).toEqual([]);
    expect(pushLines(s, bytes.subarray(3))).toEqual(['größe']);
  });

  it('keeps a carriage return (callers that accept CRLF trim it) and clears on demand', () => {
    const s = new LineSplitter();
    expect(pushLines(s, 'a\r\nb')).toEqual(['a\r']);
    s.clear();
    expect(s.bufferedBytes).toBe(0);
    expect(pushLines(s, '\n')).toEqual(['']);
  });
});
