import { type Args, type ClassObj, type PyObj, type Value, isEnumMember, isObj, list, obj } from './values.js';

/**
 * Model of ComfyUI's V3 `comfy_api` io module (comfy_api/latest/_io.py): enough to turn an
 * `io.Schema(...)` into the V1 /object_info shapes the way Schema.get_v1_info does.
 */

export const IO_TYPES: Record<string, string> = {
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
  MultiType: 'COMFY_MULTITYPED_V3',
  MatchType: 'COMFY_MATCHTYPE_V3',
  Autogrow: 'COMFY_AUTOGROW_V3',
  DynamicCombo: 'COMFY_DYNAMICCOMBO_V3',
};
const WIDGETS = new Set(['Boolean', 'Int', 'Float', 'String', 'Combo', 'MultiCombo', 'Webcam']);

const BASE = ['id', 'display_name', 'optional', 'tooltip', 'lazy'];
const POSITIONAL: Record<string, string[]> = {
  Input: [...BASE, 'extra_dict', 'raw_link', 'advanced'],
  MultiType: ['id', 'types', 'display_name', 'optional', 'tooltip', 'lazy', 'extra_dict', 'raw_link', 'advanced'],
  MatchType: ['id', 'template', 'display_name', 'optional', 'tooltip', 'lazy', 'extra_dict', 'raw_link', 'advanced'],
  MatchTypeOutput: ['template', 'id', 'display_name', 'tooltip', 'is_output_list'],
  Autogrow: ['id', 'template', 'display_name', 'optional', 'tooltip', 'lazy', 'extra_dict'],
  DynamicCombo: ['id', 'options', 'display_name', 'optional', 'tooltip', 'lazy', 'extra_dict'],
  'MatchType.Template': ['template_id', 'allowed_types'],
  'Autogrow.TemplatePrefix': ['input', 'prefix', 'min', 'max'],
  'Autogrow.TemplateNames': ['input', 'names', 'min'],
  'DynamicCombo.Option': ['key', 'inputs'],
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
export const HIDDEN: Record<string, string> = {
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
  const output = typeName === 'Combo' ? 'ComboOutput' : typeName === 'MatchType' ? 'MatchTypeOutput' : 'Output';
  const kind = side === 'Output' ? output : POSITIONAL[typeName] ? typeName : 'Input';
  const o = obj(side === 'Input' ? 'V3Input' : 'V3Output', { typeName, ioType });
  for (const [k, v] of bind(kind, a)) o.attrs.set(k, v);
  o.attrs.set('__widget', WIDGETS.has(typeName));
  if (typeName === 'Combo' && side === 'Input') {
    // Combo.Input(options=SomeEnum) lists the members' values; an Enum default is its value.
    const options = o.attrs.get('options');
    if (isObj(options ?? null) && (options as { t: string }).t === 'class' && (options as ClassObj).enumMembers) {
      o.attrs.set('options', list((options as ClassObj).enumMembers!.map((m) => m.attrs.get('value')!)));
    }
    const dflt = o.attrs.get('default');
    if (dflt !== undefined && isEnumMember(dflt)) o.attrs.set('default', dflt.attrs.get('value')!);
  }
  if (typeName === 'MatchType' && side === 'Output' && !o.attrs.get('id') && !o.attrs.get('display_name'))
    o.attrs.set('display_name', 'MATCHTYPE');
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
  if (
    rest === 'MatchType.Template' ||
    rest === 'Autogrow.TemplatePrefix' ||
    rest === 'Autogrow.TemplateNames' ||
    rest === 'DynamicCombo.Option'
  ) {
    const o = obj(rest);
    for (const [k, v] of bind(rest, a)) o.attrs.set(k, v);
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
