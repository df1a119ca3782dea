import type { Node } from 'web-tree-sitter';

/** Syntactic rules the statements follow: deferred literals, configuration dicts, except clauses. */

const LAZY_MIN_BYTES = 4096;
const COLLECTIONS = new Set(['list', 'tuple', 'dictionary', 'set']);

/**
 * A large module-level literal of constants only (a lookup table: numbers, strings, nested
 * collections, no names) is evaluated when first read, not when the module runs: it has no side
 * effects and cannot see later rebindings, and node declarations rarely read one.
 */
export function deferrable(node: Node): boolean {
  if (!COLLECTIONS.has(node.type) || node.endIndex - node.startIndex < LAZY_MIN_BYTES) return false;
  const code = node.text.replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, '""');
  for (const m of code.matchAll(/(?<![\w.])[A-Za-z_]\w*/g)) if (m[0] !== 'True' && m[0] !== 'False' && m[0] !== 'None') return false;
  return true;
}

/** Module-level dicts with these names hold a pack's default configuration. */
export const CONFIG_NAME = /^[A-Za-z_]*?(^|_)(config|conf|settings|defaults?|options|prefs|preferences)$/i;

/** Whether an `except` clause catches a raised exception type (ImportError covers ModuleNotFoundError). */
export function catches(handler: Node, excType: string): boolean {
  const value = handler.namedChildren.find((c) => c!.type !== 'block' && c!.type !== 'comment');
  if (!value) return true;
  const typesNode = value.type === 'as_pattern' ? value.namedChild(0)! : value;
  const names = (
    typesNode.type === 'tuple' || typesNode.type === 'parenthesized_expression'
      ? typesNode.namedChildren.map((n) => n!.text)
      : [typesNode.text]
  ).map((n) => n.split('.').pop()!);
  const family: Record<string, string[]> = {
    ImportError: ['ImportError', 'ModuleNotFoundError'],
    ModuleNotFoundError: ['ModuleNotFoundError'],
  };
  const accepted = family[excType] ?? [excType];
  return names.some(
    (n) => n === 'Exception' || n === 'BaseException' || accepted.includes(n) || (excType === 'ModuleNotFoundError' && n === 'ImportError'),
  );
}
