import { tableInputTypes } from './comfyui.js';
import { PyRaise } from './interp.js';
import { type Json, type OnUnknown, stringify, toJson } from './json.js';
import type { PackInterp } from './modules.js';
import type { ComfyNodeBody, Diagnostic } from './types.js';
import { schemaToBody } from './v3schema.js';
import { type Args, type ClassObj, type Unknown, type Value, asText, isObj, isUnknown, pyEquals, truthy } from './values.js';

const NO_ARGS: Args = { pos: [], kw: new Map() };

export function defaultBody(name: string, description = ''): ComfyNodeBody {
  return {
    category: 'sd',
    description,
    function: '',
    input_types: '{}',
    return_types: '[]',
    return_names: '[]',
    output_is_list: [],
    deprecated: false,
    experimental: false,
    display_name: name,
    output_node: false,
  };
}

/** Reports unknown parts of one node's fields, pointing at where the unknown value came from. */
export function nodeReporter(diags: Diagnostic[], node: string, fallback: { file: string; line: number }) {
  return (field: string, u: Unknown, what?: string): void => {
    diags.push({
      file: u.file || fallback.file,
      line: u.line || fallback.line,
      node,
      field,
      message: `${what ? what + ': ' : ''}${u.reason}`,
    });
  };
}

/** Calls a method found on a class the way ComfyUI does (`cls.INPUT_TYPES()`). */
export function callClassMethod(interp: PackInterp, cls: ClassObj, name: string): Value | undefined {
  const m = interp.classAttr(cls, name);
  if (m === undefined) return undefined;
  if (!isObj(m)) return m;
  // Inherited from one of ComfyUI's own classes (the generated table).
  const fromComfy = tableInputTypes(m);
  if (fromComfy) return fromComfy();
  const at = m.t === 'func' ? m.node : null;
  if (m.t === 'func' && at) {
    const params = at.childForFieldName('parameters')?.namedChildren.length ?? 0;
    const self = m.kind === 'classmethod' || (m.kind === 'function' && params > 0) ? cls : undefined;
    return interp.callFunction(m, NO_ARGS, at, self);
  }
  return m;
}

/** The V1 /object_info shapes of one registered class (or of a V3 class registered the V1 way). */
export function nodeFromClass(
  interp: PackInterp,
  name: string,
  clsVal: Value,
  display: Value | undefined,
  diags: Diagnostic[],
  where: { file: string; line: number },
): ComfyNodeBody {
  const displayName = typeof display === 'string' ? display : name;
  if (!isObj(clsVal) || clsVal.t !== 'class') {
    const u: Unknown = isUnknown(clsVal)
      ? clsVal
      : { t: 'unknown', reason: 'registered value is not a class defined in the pack', file: where.file, line: where.line };
    nodeReporter(diags, name, where)('class', u);
    return { ...defaultBody(name), display_name: displayName };
  }
  const cls = clsVal;
  const report = nodeReporter(diags, name, { file: cls.module.file, line: cls.line });
  const v3 = v3Body(interp, cls, name, report);
  // ComfyUI takes a V3 node's display name from its schema only, even when the mappings name one.
  if (v3) return v3;

  const attr = (field: string): Value | undefined => {
    const v = interp.classAttr(cls, field);
    return v;
  };
  const onUnknown =
    (base: string): OnUnknown =>
    (path, u) => {
      const [section, input, ...rest] = path.slice(1);
      if (base === 'input_types' && section !== undefined && input !== undefined) {
        report(`input_types.${section}.${input}`, u, rest.length ? `option ${rest.join('.')}` : undefined);
      } else report(path.length > 1 ? `${base}.${path.slice(1).join('.')}` : base, u);
    };

  const inputTypes: { [k: string]: Json } = {};
  let it: Value | undefined;
  try {
    it = callClassMethod(interp, cls, 'INPUT_TYPES');
  } catch (e) {
    // The other fields stay known when only INPUT_TYPES raises.
    if (!(e instanceof PyRaise)) throw e;
    it = { t: 'unknown', reason: `INPUT_TYPES() raised ${e.excType} (${e.message})`, file: e.file, line: e.line };
  }
  if (it === undefined)
    report('input_types', { t: 'unknown', reason: 'INPUT_TYPES is not defined', file: cls.module.file, line: cls.line });
  else if (isObj(it) && it.t === 'dict') {
    for (const [sectionKey, section] of it.entries.values()) {
      if (typeof sectionKey !== 'string') continue;
      if (isObj(section) && section.t === 'dict') {
        const out: { [k: string]: Json } = {};
        for (const [inputKey, spec] of section.entries.values()) {
          if (typeof inputKey !== 'string') continue;
          out[inputKey] = specToJson(spec, ['input_types', sectionKey, inputKey], onUnknown('input_types'));
        }
        if (section.partial) report(`input_types.${sectionKey}`, section.partial, 'some inputs are not known statically');
        inputTypes[sectionKey] = out;
      } else {
        const j = toJson(section, ['input_types', sectionKey], onUnknown('input_types'));
        inputTypes[sectionKey] = j ?? {};
      }
    }
    if (it.partial) report('input_types', it.partial, 'some sections are not known statically');
  } else
    report(
      'input_types',
      isUnknown(it) ? it : { t: 'unknown', reason: 'INPUT_TYPES did not return a dict', file: cls.module.file, line: cls.line },
    );

  const rt = attr('RETURN_TYPES');
  let returnTypes: Json[] = [];
  if (rt !== undefined) {
    if (isObj(rt) && rt.t === 'list') {
      returnTypes = rt.items.map((x, i) => {
        if (typeof x === 'string') return x;
        const j = toJson(x, ['return_types', String(i)], onUnknown('return_types'));
        if (j === undefined) return '*';
        return j;
      });
    } else
      report(
        'return_types',
        isUnknown(rt) ? rt : { t: 'unknown', reason: 'RETURN_TYPES is not a tuple', file: cls.module.file, line: cls.line },
      );
  }
  const names = attr('RETURN_NAMES');
  let returnNames: Json[] = returnTypes;
  if (names !== undefined) {
    const j = toJson(names, ['return_names'], onUnknown('return_names'));
    if (Array.isArray(j)) returnNames = j;
  }
  const oil = attr('OUTPUT_IS_LIST');
  let outputIsList: boolean[] = returnTypes.map(() => false);
  if (oil !== undefined) {
    if (isObj(oil) && oil.t === 'list') outputIsList = oil.items.map((x) => truthy(x) === true);
    else
      report(
        'output_is_list',
        isUnknown(oil) ? oil : { t: 'unknown', reason: 'OUTPUT_IS_LIST is not a tuple', file: cls.module.file, line: cls.line },
      );
  }
  const text = (field: string, key: string, dflt: string): string => {
    const v = attr(key);
    if (v === undefined) return dflt;
    const t = asText(v);
    if (t !== undefined) return t;
    report(field, isUnknown(v) ? v : { t: 'unknown', reason: `${key} is not text`, file: cls.module.file, line: cls.line });
    return dflt;
  };
  const flag = (field: string, key: string, strictTrue: boolean): boolean => {
    const v = attr(key);
    if (v === undefined) return false;
    const t = strictTrue ? pyEquals(v, true) : truthy(v);
    if (t === undefined)
      report(field, isUnknown(v) ? v : { t: 'unknown', reason: `${key} not known statically`, file: cls.module.file, line: cls.line });
    return t === true;
  };
  return {
    category: text('category', 'CATEGORY', 'sd'),
    description: text('description', 'DESCRIPTION', ''),
    function: text('function', 'FUNCTION', ''),
    input_types: stringify(inputTypes),
    return_types: stringify(returnTypes),
    return_names: stringify(returnNames),
    output_is_list: outputIsList,
    deprecated: flag('deprecated', 'DEPRECATED', false),
    experimental: flag('experimental', 'EXPERIMENTAL', false),
    display_name: displayName,
    output_node: flag('output_node', 'OUTPUT_NODE', true),
  };
}

/** An input spec: a type we cannot know becomes an empty combo `[]`, as a ComfyUI without models would show. */
function specToJson(spec: Value, path: string[], onUnknown: OnUnknown): Json {
  if (isObj(spec) && spec.t === 'list') {
    const out: Json[] = [];
    spec.items.forEach((x, i) => {
      if (i === 0) {
        if (typeof x === 'string') out.push(x);
        else {
          const j = toJson(x, path, onUnknown);
          out.push(Array.isArray(j) ? j : j === undefined ? [] : j);
        }
        return;
      }
      const j = toJson(x, [...path, ...(i === 1 ? [] : [String(i)])], onUnknown);
      out.push(j === undefined ? (i === 1 ? {} : null) : j);
    });
    return out;
  }
  const j = toJson(spec, path, onUnknown);
  return j === undefined ? [[]] : j;
}

function v3Body(interp: PackInterp, cls: ClassObj, name: string, report: ReturnType<typeof nodeReporter>): ComfyNodeBody | null {
  const ds = interp.classAttr(cls, 'define_schema');
  if (!isObj(ds ?? null) || (ds as { t: string }).t !== 'func') return null;
  const schema = callClassMethod(interp, cls, 'define_schema');
  if (!isObj(schema ?? null) || (schema as { t: string }).t !== 'obj' || (schema as { kind: string }).kind !== 'Schema') {
    report(
      'define_schema',
      isUnknown(schema ?? null)
        ? (schema as Unknown)
        : { t: 'unknown', reason: 'define_schema() did not return io.Schema', file: cls.module.file, line: cls.line },
    );
    return null;
  }
  const exec = interp.classAttr(cls, 'execute');
  const isAsync = isObj(exec ?? null) && (exec as { t: string }).t === 'func' && (exec as { isAsync: boolean }).isAsync;
  return schemaToBody(schema as Extract<Value, { t: 'obj' }>, {
    nodeId: name,
    isAsync,
    onUnknown: (path, u) => report(path.slice(0, 3).join('.'), u, path.length > 3 ? `option ${path.slice(3).join('.')}` : undefined),
  });
}

export { isUnknown };
