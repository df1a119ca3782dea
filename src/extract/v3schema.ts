import { type Json, type OnUnknown, stringify, toJson } from './json.js';
import type { ComfyNodeBody } from './types.js';
import { HIDDEN, IO_TYPES, v3Rest } from './v3.js';
import { type PyDict, type PyObj, type Value, asText, dict, dictSet, isObj, list, tuple } from './values.js';

/**
 * A V3 schema as /object_info serves it (comfy_api/latest/_io.py Schema.get_v1_info and
 * create_input_dict_v1): inputs with their as_dict options, dynamic inputs (MultiType,
 * MatchType, Autogrow, DynamicCombo) as ComfyUI describes them to the frontend, outputs, hidden.
 */

const get = (o: PyObj, k: string): Value => (o.attrs.has(k) ? o.attrs.get(k)! : null);

function items(v: Value): Value[] {
  return isObj(v) && v.t === 'list' ? v.items : [];
}

function isOptional(i: PyObj): boolean {
  const override = get(i, 'id');
  return get(i, 'optional') === true || (isObj(override) && override.t === 'obj' && get(override, 'optional') === true);
}

function inputId(i: PyObj): string | undefined {
  const id = get(i, 'id');
  if (isObj(id) && id.t === 'obj' && id.kind === 'V3Input') return asText(get(id, 'id'));
  return asText(id);
}

/** The io_type of a type given to MultiType or MatchType: `io.Image`, `io.Custom("X")`, an input or a name. */
function typeName(t: Value): string | undefined {
  if (typeof t === 'string') return t;
  if (!isObj(t)) return undefined;
  if (t.t === 'ext') {
    const rest = v3Rest(t.path);
    return rest !== null ? IO_TYPES[rest.split('.')[0]!] : undefined;
  }
  if (t.t === 'obj' && (t.kind === 'V3Type' || t.kind === 'V3Input')) return asText(get(t, 'ioType'));
  return undefined;
}

/** A wrapped widget input reports its own type as its widgetType (MultiType.Input(io.Int.Input(...), ...)). */
function widgetOverride(i: PyObj): PyObj {
  if (get(i, '__widget') !== true) return i;
  const copy: PyObj = { t: 'obj', kind: i.kind, attrs: new Map(i.attrs) };
  copy.attrs.set('widget_type', ioTypeOfInput(i));
  return copy;
}

function ioTypeOfInput(i: PyObj): string {
  const widget = get(i, 'widget_type');
  if (typeof widget === 'string') return widget;
  if (get(i, 'typeName') === 'MultiType') {
    const types = items(get(i, 'types'))
      .map(typeName)
      .filter((t): t is string => t !== undefined);
    const override = get(i, 'id');
    if (isObj(override) && override.t === 'obj' && override.kind === 'V3Input') types.unshift(ioTypeOfInput(widgetOverride(override)));
    return [...new Set(types)].join(',');
  }
  return get(i, 'ioType') as string;
}

/** create_input_dict_v1: {"required": {id: (io_type, options)}, "optional": {...}} as a value. */
function inputDict(inputs: Value[]): PyDict {
  const out = dict();
  const sections = new Map<string, PyDict>([['required', dict()]]);
  for (const i of inputs) {
    if (!isObj(i) || i.t !== 'obj' || i.kind !== 'V3Input') continue;
    const id = inputId(i);
    if (id === undefined) continue;
    const key = isOptional(i) ? 'optional' : 'required';
    let section = sections.get(key);
    if (!section) sections.set(key, (section = dict()));
    const opts = dict();
    for (const [k, v] of inputOptions(i)) dictSet(opts, k, v);
    dictSet(section, id, tuple([ioTypeOfInput(i), opts]));
  }
  for (const [k, v] of sections) dictSet(out, k, v);
  return out;
}

function fromMap(m: [string, Value][]): PyDict {
  const d = dict();
  for (const [k, v] of m) if (v !== null) dictSet(d, k, v);
  return d;
}

function matchTemplate(t: Value): Value {
  if (!isObj(t) || t.t !== 'obj' || t.kind !== 'MatchType.Template') return t;
  const allowed = get(t, 'allowed_types');
  const types = allowed === null ? ['*'] : (isObj(allowed) && allowed.t === 'list' ? allowed.items : [allowed]).map(typeName);
  return fromMap([
    ['template_id', get(t, 'template_id')],
    ['allowed_types', types.every((x) => x !== undefined) ? types.join(',') : null],
  ]);
}

function autogrowTemplate(t: Value): Value {
  if (!isObj(t) || t.t !== 'obj' || !t.kind.startsWith('Autogrow.Template')) return t;
  const input = get(t, 'input');
  // The template input is copied with force_input set when it is a widget.
  const template =
    isObj(input) && input.t === 'obj' && get(input, '__widget') === true
      ? { ...input, attrs: new Map([...input.attrs, ['force_input', true] as [string, Value]]) }
      : input;
  const base: [string, Value][] = [['input', inputDict([template])]];
  if (t.kind === 'Autogrow.TemplatePrefix') {
    return fromMap([
      ...base,
      ['prefix', get(t, 'prefix')],
      ['min', t.attrs.has('min') ? get(t, 'min') : 1],
      ['max', t.attrs.has('max') ? get(t, 'max') : 10],
    ]);
  }
  const names = get(t, 'names');
  return fromMap([
    ...base,
    ['names', isObj(names) && names.t === 'list' ? list(names.items.slice(0, 100)) : names],
    ['min', t.attrs.has('min') ? get(t, 'min') : 1],
  ]);
}

function dynamicOption(o: Value): Value {
  if (!isObj(o) || o.t !== 'obj' || o.kind !== 'DynamicCombo.Option') return o;
  return fromMap([
    ['key', get(o, 'key')],
    ['inputs', inputDict(items(get(o, 'inputs')))],
  ]);
}

/** Input.as_dict / WidgetInput.as_dict and the per-type additions, `None` values pruned. */
function inputOptions(i: PyObj): Map<string, Value> {
  const out = new Map<string, Value>();
  const put = (k: string, v: Value): void => {
    if (v !== null) out.set(k, v);
  };
  put('display_name', get(i, 'display_name'));
  put('tooltip', get(i, 'tooltip'));
  put('lazy', get(i, 'lazy'));
  put('rawLink', get(i, 'raw_link'));
  put('advanced', get(i, 'advanced'));
  const extra = get(i, 'extra_dict');
  if (isObj(extra) && extra.t === 'dict') for (const [k, v] of extra.entries.values()) if (typeof k === 'string') put(k, v);
  const type = get(i, 'typeName');
  if (type === 'MatchType') put('template', matchTemplate(get(i, 'template')));
  if (type === 'Autogrow') put('template', autogrowTemplate(get(i, 'template')));
  if (type === 'DynamicCombo') put('options', list(items(get(i, 'options')).map(dynamicOption)));
  if (type === 'MultiType') {
    // MultiType.Input(io.Int.Input("x", ...), [...]): the wrapped input's options come first.
    const override = get(i, 'id');
    if (isObj(override) && override.t === 'obj' && override.kind === 'V3Input') {
      const merged = new Map(inputOptions(widgetOverride(override)));
      for (const [k, v] of out) merged.set(k, v);
      return merged;
    }
  }
  if (get(i, '__widget') !== true) return out;
  put('default', get(i, 'default'));
  put('socketless', get(i, 'socketless'));
  put('widgetType', get(i, 'widget_type'));
  put('forceInput', get(i, 'force_input'));
  if (type === 'Boolean') ['label_on', 'label_off'].forEach((k) => put(k, get(i, k)));
  if (type === 'Int' || type === 'Float') {
    ['min', 'max', 'step', ...(type === 'Float' ? ['round'] : ['control_after_generate'])].forEach((k) => put(k, get(i, k)));
    put('display', get(i, 'display_mode'));
  }
  if (type === 'String') {
    put('multiline', i.attrs.has('multiline') ? get(i, 'multiline') : false);
    put('placeholder', get(i, 'placeholder'));
    put('dynamicPrompts', get(i, 'dynamic_prompts'));
  }
  if (type === 'Combo' || type === 'MultiCombo') {
    put('multiselect', type === 'MultiCombo');
    put('options', get(i, 'options'));
    put('control_after_generate', get(i, 'control_after_generate'));
    const upload = get(i, 'upload');
    if (typeof upload === 'string') put(upload, true);
    put('image_folder', get(i, 'image_folder'));
    const remote = get(i, 'remote');
    if (isObj(remote) && remote.t === 'obj') {
      const d = { t: 'dict' as const, entries: new Map<string, [Value, Value]>() };
      for (const [k, v] of remote.attrs) if (v !== null) d.entries.set('s:' + k, [k, v]);
      put('remote', d);
    }
    if (type === 'MultiCombo') {
      put('multi_select', true);
      put('placeholder', get(i, 'placeholder'));
      put('chip', get(i, 'chip'));
    }
  }
  return out;
}

export interface V3Context {
  nodeId: string;
  isAsync: boolean;
  onUnknown: OnUnknown;
}

/** Schema.finalize + Schema.get_v1_info, as /object_info serves a V3 node. */
export function schemaToBody(schema: PyObj, ctx: V3Context): ComfyNodeBody {
  const str = (k: string, dflt: string): string => {
    const v = get(schema, k);
    return asText(v) ?? dflt;
  };
  const flag = (k: string): boolean => get(schema, k) === true;
  const input: Record<string, Record<string, Json>> = { required: {} };
  for (const i of items(get(schema, 'inputs'))) {
    if (!isObj(i) || i.t !== 'obj' || i.kind !== 'V3Input') {
      ctx.onUnknown(['input_types'], { t: 'unknown', reason: 'an input of the schema is not statically known', file: '', line: 0 });
      continue;
    }
    const id = inputId(i);
    if (id === undefined) continue;
    const section = isOptional(i) ? 'optional' : 'required';
    const opts: Record<string, Json> = {};
    for (const [k, v] of inputOptions(i)) {
      const j = toJson(v, ['input_types', section, id, k], ctx.onUnknown);
      if (j !== undefined) opts[k] = j;
      else if (k === 'options') opts[k] = [];
    }
    (input[section] ??= {})[id] = [ioTypeOfInput(i), opts];
  }
  const hidden: string[] = [];
  for (const h of items(get(schema, 'hidden'))) {
    if (isObj(h) && h.t === 'obj' && h.kind === 'Hidden') hidden.push(get(h, 'name') as string);
  }
  const addHidden = (name: string): void => {
    if (!hidden.includes(name)) hidden.push(name);
  };
  if (flag('is_api_node')) ['auth_token_comfy_org', 'api_key_comfy_org'].forEach(addHidden);
  if (flag('is_output_node')) ['prompt', 'extra_pnginfo'].forEach(addHidden);
  if (hidden.length) input.hidden = Object.fromEntries(hidden.map((h) => [h, [HIDDEN[h]!]]));
  const output: Json[] = [];
  const names: Json[] = [];
  const isList: boolean[] = [];
  items(get(schema, 'outputs')).forEach((o, n) => {
    if (!isObj(o) || o.t !== 'obj' || o.kind !== 'V3Output') {
      ctx.onUnknown(['return_types', String(n)], {
        t: 'unknown',
        reason: 'an output of the schema is not statically known',
        file: '',
        line: 0,
      });
      return;
    }
    const ioType =
      get(o, 'typeName') === 'Combo'
        ? (toJson(get(o, 'options'), ['return_types', String(n)], ctx.onUnknown) ?? [])
        : (get(o, 'ioType') as Json);
    output.push(ioType);
    const dn = get(o, 'display_name');
    names.push(typeof dn === 'string' && dn ? dn : ioType);
    isList.push(get(o, 'is_output_list') === true);
  });
  return {
    category: str('category', 'sd'),
    description: str('description', ''),
    function: ctx.isAsync ? 'EXECUTE_NORMALIZED_ASYNC' : 'EXECUTE_NORMALIZED',
    input_types: stringify(input),
    return_types: stringify(output),
    return_names: stringify(names),
    output_is_list: isList,
    deprecated: flag('is_deprecated'),
    experimental: flag('is_experimental'),
    display_name: str('display_name', ctx.nodeId),
    output_node: flag('is_output_node'),
  };
}
