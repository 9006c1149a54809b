import { err, ok, type Result } from '../common/result.js';
import { parseError, type DrbdParseError } from './parse-error.js';

/** An XML element as `drbdadm dump-xml` prints them: attributes, child elements, text. */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  readonly text: string;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(Math.min(parseInt(e.slice(2), 16), 0x10ffff));
    if (e.startsWith('#')) return String.fromCodePoint(Math.min(parseInt(e.slice(1), 10), 0x10ffff));
    return ENTITIES[e] ?? whole;
  });
}

function lineAt(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

interface Draft {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * Pure and total. A deliberately small XML reader for drbdadm's dump-xml: elements, attributes,
 * text, comments, `<?...?>` and `<!...>` declarations; no namespaces, no CDATA. Returns the single
 * root element or a located error.
 */
export function parseXmlLite(text: string): Result<XmlElement, DrbdParseError> {
  const stack: Draft[] = [{ name: '#document', attrs: {}, children: [], text: '' }];
  let i = 0;
  const fail = (at: number, message: string) => {
    const line = lineAt(text, at);
    return err(parseError(line, text.split('\n')[line - 1] ?? '', message));
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const top = stack[stack.length - 1];
    if (top === undefined) return fail(i, 'internal: empty stack');
    if (lt < 0) {
      top.text += decode(text.slice(i));
      break;
    }
    top.text += decode(text.slice(i, lt));
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end < 0) return fail(lt, 'unterminated comment');
      i = end + 3;
      continue;
    }
    if (text.startsWith('<?', lt) || text.startsWith('<!', lt)) {
      const end = text.indexOf('>', lt);
      if (end < 0) return fail(lt, 'unterminated declaration');
      i = end + 1;
      continue;
    }
    const gt = text.indexOf('>', lt);
    if (gt < 0) return fail(lt, 'unterminated tag');
    const inner = text.slice(lt + 1, gt);
    if (inner.startsWith('/')) {
      const name = inner.slice(1).trim();
      const open = stack.pop();
      if (open === undefined || open.name !== name || stack.length === 0)
        return fail(lt, `closing </${name}> does not match <${open?.name ?? ''}>`);
      const parent = stack[stack.length - 1];
      parent?.children.push({
        name: open.name,
        attrs: open.attrs,
        children: open.children,
        text: open.text.trim(),
      });
      i = gt + 1;
      continue;
    }
    const selfClosing = inner.endsWith('/');
    const body = selfClosing ? inner.slice(0, -1) : inner;
    const nm = /^([A-Za-z_][\w.-]*)/.exec(body);
    if (!nm || nm[1] === undefined) return fail(lt, 'bad tag name');
    const attrs: Record<string, string> = {};
    let rest = body.slice(nm[1].length);
    const attrRe = /^\s+([A-Za-z_][\w.-]*)\s*=\s*("([^"]*)"|'([^']*)')/;
    for (;;) {
      const am = attrRe.exec(rest);
      if (!am || am[1] === undefined) break;
      attrs[am[1]] = decode(am[3] ?? am[4] ?? '');
      rest = rest.slice(am[0].length);
    }
    if (rest.trim() !== '') return fail(lt, `bad attributes in <${nm[1]}>`);
    const draft: Draft = { name: nm[1], attrs, children: [], text: '' };
    if (selfClosing) top.children.push({ ...draft, text: '' });
    else stack.push(draft);
    i = gt + 1;
  }
  if (stack.length !== 1) return fail(text.length, `unclosed <${stack[stack.length - 1]?.name ?? ''}>`);
  const doc = stack[0];
  const roots = doc?.children ?? [];
  if (roots.length !== 1 || roots[0] === undefined) return fail(0, 'expected exactly one root element');
  if ((doc?.text ?? '').trim() !== '') return fail(0, 'text outside the root element');
  return ok(roots[0]);
}
