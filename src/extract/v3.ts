import { type Json, type OnUnknown, stringify, toJson } from './json.js';
import type { ComfyNodeBody } from './types.js';
import { type Args, type PyObj, type Value, isObj, obj } from './values.js';

/**
 * Model of ComfyUI's V3 `comfy_api` io module (comfy_api/latest/_io.py): enough to turn an
 * `io.Schema(...)` into the V1 /object_info shapes the way Schema.get_v1_info does.
 */

const IO_TYPES: Record<string, string> = {
  Boolean: 'BOOLEAN',
  Int: 'INT',
  Float: 'FLOAT',
  String: 'STRING',
  Combo: 'COMBO',
  MultiCombo: 'COMBO',
  Image: 'IMAGE',
  WanCameraEmbedding: 'WAN_CAMERA_EMBEDDING',
  Webcam: 'WEBCAM',
  Mask: 'MASK',
  Latent: 'LATENT',
  Conditioning: 'CONDITIONING',
  Sampler: 'SAMPLER',
  Sigmas: 'SIGMAS',
  Noise: 'NOISE',
  Guider: 'GUIDER',
  Clip: 'CLIP',
  ControlNet: 'CONTROL_NET',
  Vae: 'VAE',
  Model: 'MODEL',
  ClipVision: 'CLIP_VISION',
  ClipVisionOutput: 'CLIP_VISION_OUTPUT',
  StyleModel: 'STYLE_MODEL',
  Gligen: 'GLIGEN',
  UpscaleModel: 'UPSCALE_MODEL',
  Audio: 'AUDIO',
  Video: 'VIDEO',
  SVG: 'SVG',
  LoraModel: 'LORA_MODEL',
  LossMap: 'LOSS_MAP',
  Voxel: 'VOXEL',
  Mesh: 'MESH',
  Hooks: 'HOOKS',
  HookKeyframes: 'HOOK_KEYFRAMES',
  TimestepsRange: 'TIMESTEPS_RANGE',
  LatentOperation: 'LATENT_OPERATION',
  FlowControl: 'FLOW_CONTROL',
  Accumulation: 'ACCUMULATION',
  Load3DCamera: 'LOAD3D_CAMERA',
  Load3D: 'LOAD_3D',
  Load3DAnimation: 'LOAD_3D_ANIMATION',
  Photomaker: 'PHOTOMAKER',
  Point: 'POINT',
  FaceAnalysis: 'FACE_ANALYSIS',
  BBOX: 'BBOX',
  SEGS: 'SEGS',
  AnyType: '*',
  MODEL_PATCH: 'MODEL_PATCH',
  AudioEncoder: 'AUDIO_ENCODER',
  AudioEncoderOutput: 'AUDIO_ENCODER_OUTPUT',
};
const WIDGETS = new Set(['Boolean', 'Int', 'Float', 'String', 'Combo', 'MultiCombo', 'Webcam']);

const BASE = ['id', 'display_name', 'optional', 'tooltip', 'lazy'];
const POSITIONAL: Record<string, string[]> = {
  Input: [...BASE, 'extra_dict'],
  Boolean: [...BASE, 'default', 'label_on', 'label_off', 'socketless', 'force_input'],
  Int: [...BASE, 'default', 'min', 'max', 'step', 'control_after_generate', 'display_mode', 'socketless', 'force_input'],
  Float: [...BASE, 'default', 'min', 'max', 'step', 'round', 'display_mode', 'socketless', 'force_input'],
  String: [...BASE, 'multiline', 'placeholder', 'default', 'dynamic_prompts', 'socketless', 'force_input'],
  Combo: [
    'id',
    'options',
    'display_name',
    'optional',
    'tooltip',
    'lazy',
    'default',
    'control_after_generate',
    'upload',
    'image_folder',
    'remote',
    'socketless',
  ],
  MultiCombo: [
    'id',
    'options',
    'display_name',
    'optional',
    'tooltip',
    'lazy',
    'default',
    'placeholder',
    'chip',
    'control_after_generate',
    'socketless',
  ],
  Webcam: [...BASE, 'default', 'socketless'],
  Output: ['id', 'display_name', 'tooltip', 'is_output_list'],
  ComboOutput: ['id', 'display_name', 'options', 'tooltip', 'is_output_list'],
  Schema: [
    'node_id',
    'display_name',
    'category',
    'inputs',
    'outputs',
    'hidden',
    'description',
    'is_input_list',
    'is_output_node',
    'is_deprecated',
    'is_experimental',
    'is_api_node',
  ],
};
const HIDDEN: Record<string, string> = {
  unique_id: 'UNIQUE_ID',
  prompt: 'PROMPT',
  extra_pnginfo: 'EXTRA_PNGINFO',
  dynprompt: 'DYNPROMPT',
  auth_token_comfy_org: 'AUTH_TOKEN_COMFY_ORG',
  api_key_comfy_org: 'API_KEY_COMFY_ORG',
};
const ENUMS: Record<string, Record<string, string>> = {
  NumberDisplay: { number: 'number', slider: 'slider', gradient_slider: 'gradientslider' },
  UploadType: { image: 'image_upload', audio: 'audio_upload', video: 'video_upload', model: 'file_upload' },
  FolderType: { input: 'input', output: 'output', temp: 'temp' },
  ControlAfterGenerate: { fixed: 'fixed', increment: 'increment', decrement: 'decrement', randomize: 'randomize' },
};

/** The part of an external path after `comfy_api.<version>.io`, or null when it is not the V3 io API. */
export function v3Rest(path: string): string | null {
  const m =
    /^comfy_api\.[A-Za-z0-9_]+\.(?:_?io|IO)(?:\.(.*))?$/.exec(path) ??
    /^comfy_api\.[A-Za-z0-9_]+\.(ComfyExtension|ComfyNode|io)$/.exec(path);
  if (!m) return null;
  return m[1] ?? '';
}

/** Attribute values of the io module that are plain data (enum members). */
export function v3Resolve(rest: string): Value | undefined {
  const [head, member] = rest.split('.');
  if (head === 'Hidden' && member && HIDDEN[member]) return obj('Hidden', { name: member, value: HIDDEN[member]! });
  if (head && member && ENUMS[head]?.[member] !== undefined) return ENUMS[head]![member]!;
  return undefined;
}

function bind(kind: string, a: Args): Map<string, Value> {
  const names = POSITIONAL[kind] ?? POSITIONAL.Input!;
  const m = new Map<string, Value>();
  a.pos.forEach((v, i) => {
    if (names[i]) m.set(names[i]!, v);
  });
  for (const [k, v] of a.kw) m.set(k, v);
  return m;
}

export function makeIO(typeName: string, ioType: string, side: 'Input' | 'Output', a: Args): PyObj {
  const kind = side === 'Output' ? (typeName === 'Combo' ? 'ComboOutput' : 'Output') : POSITIONAL[typeName] ? typeName : 'Input';
  const o = obj(side === 'Input' ? 'V3Input' : 'V3Output', { typeName, ioType });
  for (const [k, v] of bind(kind, a)) o.attrs.set(k, v);
  o.attrs.set('__widget', WIDGETS.has(typeName));
  return o;
}

/** Calls into the io module: io.Schema(...), io.Int.Input(...), io.Custom("X"), io.Custom("X").Output(...). */
export function v3Call(rest: string, a: Args): Value | undefined {
  if (rest === 'Schema') {
    const o = obj('Schema');
    for (const [k, v] of bind('Schema', a)) o.attrs.set(k, v);
    return o;
  }
  if (rest === 'Custom') return obj('V3Type', { typeName: 'Custom', ioType: a.pos[0] ?? a.kw.get('io_type') ?? null });
  if (rest === 'RemoteOptions') {
    const o = obj('RemoteOptions');
    ['route', 'refresh_button', 'control_after_refresh', 'timeout', 'max_retries', 'refresh'].forEach((k, i) => {
      const v = a.kw.get(k) ?? a.pos[i];
      o.attrs.set(k, v === undefined ? (k === 'control_after_refresh' ? 'first' : null) : v);
    });
    return o;
  }
  const m = /^(\w+)\.(Input|Output)$/.exec(rest);
  if (m) return makeIO(m[1]!, IO_TYPES[m[1]!] ?? m[1]!.toUpperCase(), m[2] as 'Input' | 'Output', a);
  return undefined;
}

export function v3TypeAttr(t: PyObj, name: string): Value | undefined {
  if (name !== 'Input' && name !== 'Output') return name === 'io_type' ? t.attrs.get('ioType')! : undefined;
  const ioType = t.attrs.get('ioType');
  return { t: 'builtin', name: `Custom.${name}`, call: (a) => makeIO('Custom', typeof ioType === 'string' ? ioType : '*', name, a) };
}

const get = (o: PyObj, k: string): Value => (o.attrs.has(k) ? o.attrs.get(k)! : null);

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
  if (get(i, '__widget') !== true) return out;
  const type = get(i, 'typeName');
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

function items(v: Value): Value[] {
  return isObj(v) && v.t === 'list' ? v.items : [];
}

/** Schema.finalize + Schema.get_v1_info, as /object_info serves a V3 node. */
export function schemaToBody(schema: PyObj, ctx: V3Context): ComfyNodeBody {
  const str = (k: string, dflt: string): string => {
    const v = get(schema, k);
    return typeof v === 'string' ? v : dflt;
  };
  const flag = (k: string): boolean => get(schema, k) === true;
  const input: Record<string, Record<string, Json>> = { required: {} };
  for (const i of items(get(schema, 'inputs'))) {
    if (!isObj(i) || i.t !== 'obj' || i.kind !== 'V3Input') {
      ctx.onUnknown(['input_types'], { t: 'unknown', reason: 'an input of the schema is not statically known', file: '', line: 0 });
      continue;
    }
    const id = get(i, 'id');
    if (typeof id !== 'string') continue;
    const section = get(i, 'optional') === true ? 'optional' : 'required';
    const opts: Record<string, Json> = {};
    for (const [k, v] of inputOptions(i)) {
      const j = toJson(v, ['input_types', section, id, k], ctx.onUnknown);
      if (j !== undefined) opts[k] = j;
      else if (k === 'options') opts[k] = [];
    }
    const widget = get(i, 'widget_type');
    (input[section] ??= {})[id] = [typeof widget === 'string' ? widget : (get(i, 'ioType') as string), opts];
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
