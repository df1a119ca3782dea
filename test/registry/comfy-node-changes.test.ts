import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareComfyNode, compareComfyNodes, type ComparedComfyNode } from '../../src/registry/comfy-node-changes.js';

const node = (
  required: Record<string, unknown>,
  returns: unknown[] = ['IMAGE'],
  more: Partial<ComparedComfyNode> = {},
): ComparedComfyNode => ({
  input_types: JSON.stringify({ required }),
  return_types: JSON.stringify(returns),
  return_names: JSON.stringify(returns),
  output_is_list: returns.map(() => false),
  ...more,
});
const kinds = (o: ComparedComfyNode, n: ComparedComfyNode) => compareComfyNode(o, n).map((c) => `${c.kind}${c.breaking ? '!' : ''}`);

describe('comfy-node change rules', () => {
  it('tells a rename (same place, same type) from a removal and an addition', () => {
    assert.deepEqual(kinds(node({ a: ['IMAGE'] }), node({ b: ['IMAGE'] })), ['input_renamed!']);
    assert.deepEqual(kinds(node({ a: ['IMAGE'] }), node({ b: ['MASK'] })), ['input_removed!', 'required_input_added!']);
  });

  it('widens to a union or to *, and narrows anything else', () => {
    assert.deepEqual(kinds(node({ a: ['IMAGE'] }), node({ a: ['*'] })), ['input_type_widened']);
    assert.deepEqual(kinds(node({ a: ['IMAGE,MASK'] }), node({ a: ['IMAGE'] })), ['input_type_changed!']);
    assert.deepEqual(kinds(node({ a: ['*'] }), node({ a: ['IMAGE'] })), ['input_type_changed!']);
  });

  it('reads combos in both forms, and ranges that appear or go', () => {
    assert.deepEqual(kinds(node({ m: [['x', 'y']] }), node({ m: ['COMBO', { options: ['x'] }] })), ['combo_choice_removed!']);
    assert.deepEqual(kinds(node({ n: ['INT', {}] }), node({ n: ['INT', { min: 0 }] })), ['min_max_narrowed!']);
    assert.deepEqual(kinds(node({ n: ['INT', { max: 9 }] }), node({ n: ['INT', {}] })), ['min_max_widened']);
  });

  it('treats widget values as positional: appending is safe, inserting is not', () => {
    const w = (names: string[]) => Object.fromEntries(names.map((n) => [n, ['INT', { default: 1 }]]));
    assert.deepEqual(kinds(node(w(['a', 'b'])), node(w(['a', 'b', 'c']))), ['required_input_added!']);
    assert.deepEqual(kinds(node(w(['a', 'b'])), node(w(['b', 'a']))), ['widget_order_changed!']);
    assert.deepEqual(kinds(node({ ...w(['a']), img: ['IMAGE'] }), node({ img: ['IMAGE'], ...w(['a']) })), [], 'links are by name');
  });

  it('survives text that is not JSON, and says nothing for equal nodes', () => {
    const broken = { ...node({}), input_types: 'nope', return_types: '{' };
    assert.deepEqual(kinds(broken, broken), []);
    const report = compareComfyNodes(null, '1.0.0', new Map(), new Map([['A', node({})]]));
    assert.deepEqual([report.breaking, report.added], [false, ['A']]);
  });
});
