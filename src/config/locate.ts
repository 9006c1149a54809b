import { isMap, isNode, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { KeyPath } from './problem.js';

/** A 1-based position in the configuration file. */
export interface Position {
  readonly line: number;
  readonly col: number;
}

/** Maps key paths of a parsed YAML document to positions. */
export type Locator = (path: KeyPath) => Position;

const START: Position = { line: 1, col: 1 };

/**
 * Builds a locator for `doc`. A path that exists points at its key (`deadtime:`) or, for a list
 * element, at the element; a path that does not exist (a missing key, a default) points at its
 * deepest existing ancestor, which is where the operator has to add it. Pure; never throws.
 */
export function makeLocator(doc: Document, lineCounter: LineCounter): Locator {
  const at = (offset: number | undefined): Position => {
    if (offset === undefined) return START;
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  return (path) => {
    let node: unknown = doc.contents;
    let best: number | undefined = isNode(node) ? node.range?.[0] : undefined;
    for (const part of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(part),
        );
        if (!pair) break;
        const keyNode = pair.key as Node;
        best = keyNode.range?.[0] ?? best;
        node = pair.value;
      } else if (isSeq(node) && typeof part === 'number') {
        const item = node.items[part];
        if (!isNode(item)) break;
        best = item.range?.[0] ?? best;
        node = item;
      } else break;
    }
    return at(best);
  };
}

/** The JavaScript value at `path` in `root` (the document converted with toJS), or undefined. Pure. */
export function valueAt(root: unknown, path: KeyPath): unknown {
  let v: unknown = root;
  for (const part of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[part];
  }
  return v;
}
