import type { Node } from 'web-tree-sitter';
import { formatValue } from './format.js';
import type { Evaluator, Frame } from './interp.js';
import { decodeEscapes } from './literals.js';
import { type Value, isUnknown, plain, pyRepr, pyStr } from './values.js';

/** A string literal: plain, raw, or an f-string with conversions, format specs and `{x=}`. */
export function evalString(ev: Evaluator, node: Node, frame: Frame): Value {
  // Most literals are plain quoted text: read it without walking the children through WebAssembly.
  const text = node.text;
  const q = text.charCodeAt(0);
  if ((q === 34 || q === 39) && !text.includes('\\')) {
    const n = text.length >= 6 && text.startsWith(text[0]!.repeat(3)) ? 3 : 1;
    return text.slice(n, text.length - n);
  }
  const start = node.child(0);
  const prefix = (start?.type === 'string_start' ? start.text : '').replace(/["']+$/, '').toLowerCase();
  if (prefix.includes('b')) return ev.unk('bytes literal', frame, node);
  if (prefix.includes('t')) return ev.unk('template string', frame, node);
  const raw = prefix.includes('r');
  let out = '';
  for (const part of node.namedChildren) {
    if (part!.type === 'string_content' || part!.type === 'escape_sequence') out += raw ? part!.text : decodeEscapes(part!.text);
    else if (part!.type === 'interpolation') {
      const s = interpolation(ev, part!, frame);
      if (typeof s !== 'string') return s;
      out += s;
    }
  }
  return out;
}

function interpolation(ev: Evaluator, part: Node, frame: Frame): Value {
  const expr = part.childForFieldName('expression');
  if (!expr) return ev.unk('empty f-string field', frame, part);
  const v = ev.ev(expr, frame);
  if (isUnknown(v)) return v;
  const conv = part.childForFieldName('type_conversion')?.text;
  const specNode = part.childForFieldName('format_specifier');
  const selfDoc = part.children.some((c) => c!.type === '=');
  let spec = '';
  if (specNode) {
    const s = specText(ev, specNode, frame);
    if (typeof s !== 'string') return s;
    spec = s;
  }
  // `{x=}` shows the expression text and, without a conversion or spec, the repr.
  const conversion = conv ?? (selfDoc && !specNode ? '!r' : undefined);
  const shown: Value | undefined =
    conversion === '!r' || conversion === '!a' ? pyRepr(plain(v)) : conversion === '!s' ? pyStr(plain(v)) : v;
  const s = shown === undefined ? undefined : formatValue(shown, spec);
  if (s === undefined)
    return ev.unk(
      spec ? `f-string format spec ${JSON.stringify(spec)} not evaluated statically` : 'f-string field is not text',
      frame,
      part,
    );
  return selfDoc ? expr.text + '=' + s : s;
}

/** The text of a format spec, with nested `{...}` fields replaced by their values. */
function specText(ev: Evaluator, specNode: Node, frame: Frame): Value {
  let text = specNode.text.replace(/^:/, '');
  let cursor = 0;
  for (const child of specNode.namedChildren) {
    if (child!.type !== 'format_expression') continue;
    const inner = child!.namedChildren.find((c) => c!.type !== 'comment');
    if (!inner) return ev.unk('empty nested format field', frame, child!);
    const v = ev.ev(inner, frame);
    if (isUnknown(v)) return v;
    const s = pyStr(plain(v));
    if (s === undefined) return ev.unk('nested format field is not text', frame, child!);
    const at = text.indexOf(child!.text, cursor);
    if (at < 0) return ev.unk('format spec not understood', frame, child!);
    text = text.slice(0, at) + s + text.slice(at + child!.text.length);
    cursor = at + s.length;
  }
  return text;
}
