import { createRequire } from 'node:module';
import { Language, Parser, type Node, type Tree } from 'web-tree-sitter';

let shared: Promise<Parser> | null = null;

/** One parser for the whole process, created on first use (loading the grammar costs ~50 ms). */
export function getParser(): Promise<Parser> {
  if (!shared) {
    shared = (async () => {
      await Parser.init();
      const require = createRequire(import.meta.url);
      const lang = await Language.load(require.resolve('tree-sitter-python/tree-sitter-python.wasm'));
      const parser = new Parser();
      parser.setLanguage(lang);
      return parser;
    })();
    shared.catch(() => {
      shared = null;
    });
  }
  return shared;
}

export function parseSource(parser: Parser, source: string): Tree {
  const tree = parser.parse(source);
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree;
}

/** First syntax error of a tree (1-based line), or null when the file parsed cleanly. */
export function firstSyntaxError(root: Node): { line: number; text: string } | null {
  if (!root.hasError) return null;
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.type === 'ERROR' || n.isMissing) {
      return { line: n.startPosition.row + 1, text: n.isMissing ? `missing ${n.type}` : n.text.slice(0, 40) };
    }
    if (!n.hasError) continue;
    const kids = n.children;
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  return { line: 1, text: '' };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const LATIN1 = new TextDecoder('latin1');
const CODING = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;

/**
 * Decodes a source file as Python 3 would: UTF-8 unless a PEP 263 cookie on line 1 or 2
 * names a Latin-1 family codec. Returns null when the bytes are not valid in that encoding.
 */
export function decodeSource(bytes: Buffer): string | null {
  const head = bytes.subarray(0, 400).toString('latin1').split('\n', 2);
  let codec = 'utf-8';
  for (const line of head) {
    const m = CODING.exec(line);
    if (m) {
      codec = m[1]!.toLowerCase();
      break;
    }
  }
  try {
    if (/^(latin-1|latin1|iso-8859-1|iso8859-1|l1|cp1252|windows-1252)$/.test(codec)) return LATIN1.decode(bytes);
    const text = UTF8.decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    return null;
  }
}
