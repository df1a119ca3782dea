/**
 * A deterministic, realistic registry for bench/resolve.ts, written straight into SQLite with
 * prepared statements in one transaction (the product's migrations create the schema first).
 *
 * Realistic means: pack sizes follow a long tail (most packs register a handful of nodes, a few
 * register hundreds), each release adds nodes to the previous one, names use the styles real packs
 * use (`ShowText|pysssss`, `Context Big (rgthree)`, `ImageResizeKJ`, non-ASCII), some names are
 * registered by many packs (the case the ranking exists for), and a few nodes are banned.
 */
import SQLite from 'better-sqlite3';
import path from 'node:path';
import { openDatabase } from '../src/db/database.js';

export interface GenerateOptions {
  packs: number;
  versionsPerPack: number;
  targetRows: number;
  seed: number;
}

export interface Generated {
  packs: number;
  versions: number;
  rows: number;
  /** Names that resolve (newest version, not banned), spread over packs and name styles. */
  resolvable: string[];
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'Image',
  'Latent',
  'Mask',
  'Resize',
  'Blend',
  'Upscale',
  'Sampler',
  'Prompt',
  'Text',
  'Show',
  'Load',
  'Save',
  'Model',
  'Lora',
  'Clip',
  'Vae',
  'Encode',
  'Decode',
  'Face',
  'Detailer',
  'Segment',
  'Crop',
  'Pad',
  'Batch',
  'Switch',
  'Context',
  'Big',
  'Color',
  'Match',
  'Noise',
  'Seed',
  'Float',
  'Int',
  'String',
  'Concat',
  'Split',
  'Merge',
  'Tile',
  'Depth',
  'Pose',
  'Control',
  'Net',
  'Apply',
  'Scheduler',
  'Sigma',
  'Audio',
  'Video',
  'Frame',
  'Interpolate',
  'Preview',
  'Compare',
];
/** Names many packs register (`Image Resize`, `Show Text`, …): 150 of them. */
const SHARED = [
  'Image Resize',
  'Show Text',
  'Seed',
  'Int',
  'Float',
  'String',
  'Image Blend',
  'Mask To Image',
  'Text Concatenate',
  'Switch',
].flatMap((base) =>
  ['', ' Plus', ' Advanced', ' V2', ' (Simple)', ' 2', ' Pro', ' XL', ' Batch', ' List', ' Any', ' Node', ' Mini', ' Lite', ' Ex'].map(
    (s) => base + s,
  ),
);
const NON_ASCII = ['Überblendung', 'Größe', 'ノード', 'Ímagen', 'Зерно'];
const STYLES = [
  (w: string, tag: string) => `${w}${tag.toUpperCase().slice(0, 2)}`,
  (w: string, tag: string) => `${w}|${tag}`,
  (w: string, tag: string) => `${w} (${tag})`,
  (w: string, tag: string) => `${tag}_${w}`,
  (w: string, tag: string) => `${w} [${tag}]`,
];

function inputTypes(r: () => number): string {
  const required: Record<string, unknown> = { image: ['IMAGE'] };
  const n = 1 + Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    const kind = Math.floor(r() * 4);
    if (kind === 0) required[`value_${i}`] = ['INT', { default: 512, min: 0, max: 8192, step: 8 }];
    else if (kind === 1) required[`strength_${i}`] = ['FLOAT', { default: 1.0, min: 0, max: 10, step: 0.01 }];
    else if (kind === 2) required[`mode_${i}`] = [['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'], { default: 'bilinear' }];
    else required[`text_${i}`] = ['STRING', { multiline: true, default: '' }];
  }
  return JSON.stringify({ required, optional: { mask: ['MASK'] } });
}

const hex = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

export async function generateRegistry(file: string, opts: GenerateOptions): Promise<Generated> {
  const handle = await openDatabase({ url: file, dataDir: path.dirname(file) });
  await handle.close();
  const r = prng(opts.seed);
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const t = '2025-01-01T00:00:00.000Z';

  // Long tail: log-normal sizes, scaled so the versions add up to about targetRows.
  const raw = Array.from({ length: opts.packs }, () =>
    Math.exp(3.6 + 1.0 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())),
  );
  const growth = (v: number) => 0.6 + (0.4 * v) / Math.max(1, opts.versionsPerPack - 1);
  let meanGrowth = 0;
  for (let v = 0; v < opts.versionsPerPack; v++) meanGrowth += growth(v) / opts.versionsPerPack;
  const scale = opts.targetRows / (raw.reduce((a, b) => a + b, 0) * opts.versionsPerPack * meanGrowth);
  const sizes = raw.map((s) => Math.max(1, Math.min(2000, Math.round(s * scale))));

  const insPublisher = db.prepare(
    `insert into publishers (id, name, description, website, support, source_code_repo, logo, status, created_at) values (?, ?, '', '', '', '', '', 'PublisherStatusActive', ?)`,
  );
  const insNode = db.prepare(
    `insert into nodes (id, key, publisher_id, name, description, author, license, icon, banner_url, repository, tags, downloads, rating, status, status_detail,
      preempted_comfy_node_names, search_ranking, supported_os, supported_accelerators, supported_comfyui_version, supported_comfyui_frontend_version,
      latest_version_id, latest_extracted_version_id, created_at)
     values (?, ?, ?, ?, ?, '', '{"text":"MIT"}', '', '', ?, '[]', ?, 0, 'NodeStatusActive', '', ?, ?, '[]', '[]', '', '', ?, ?, ?)`,
  );
  const insVersion = db.prepare(
    `insert into node_versions (id, node_id, version, changelog, dependencies, deprecated, status, status_reason, comfy_node_extract_status,
      comfy_node_extract_reason, cloud_build_info, supported_os, supported_accelerators, supported_comfyui_version, supported_comfyui_frontend_version, created_at)
     values (?, ?, ?, '', '[]', 0, 'NodeVersionStatusActive', '', 'success', '', '{}', '[]', '[]', '', '', ?)`,
  );
  const insComfy = db.prepare(
    `insert into comfy_nodes (node_version_id, comfy_node_name, category, description, function, input_types, return_types, return_names,
      output_is_list, deprecated, experimental, display_name, output_node, policy, created_at)
     values (?, ?, ?, ?, 'run', ?, '["IMAGE"]', '["image"]', '[false]', 0, 0, ?, 0, ?, ?)`,
  );

  let versions = 0;
  let rows = 0;
  const resolvable: string[] = [];
  db.transaction(() => {
    const publishers = Math.max(1, Math.floor(opts.packs / 5));
    for (let p = 0; p < publishers; p++) insPublisher.run(`pub-${p}`, `Publisher ${p}`, t);
    for (let i = 0; i < opts.packs; i++) {
      const tag = `${WORDS[i % WORDS.length].toLowerCase()}${i}`;
      const nodeId = `comfyui-${tag}`;
      const style = STYLES[i % STYLES.length];
      const names: string[] = [];
      const seen = new Set<string>();
      // 0-3 names from the shared pool (about 30 providers each), the rest the pack's own.
      const shared = Math.min(sizes[i], Math.floor(r() * 4));
      for (let k = 0; names.length < sizes[i]; k++) {
        const word =
          k < shared
            ? SHARED[Math.floor(r() * SHARED.length)]
            : r() < 0.01
              ? `${NON_ASCII[k % NON_ASCII.length]} ${k}`
              : style(`${WORDS[Math.floor(r() * WORDS.length)]}${WORDS[Math.floor(r() * WORDS.length)]}${k}`, tag);
        if (!seen.has(word)) (names.push(word), seen.add(word));
      }
      const versionIds = Array.from(
        { length: opts.versionsPerPack },
        () => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`,
      );
      const newest = versionIds[versionIds.length - 1];
      const preempt = r() < 0.02 ? JSON.stringify([SHARED[i % SHARED.length]]) : '[]';
      const ranking = r() < 0.05 ? 1 + Math.floor(r() * 10) : null;
      insNode.run(
        nodeId,
        nodeId,
        `pub-${i % publishers}`,
        `Pack ${tag}`,
        `Nodes for ${tag} workflows`,
        `https://github.com/example/${nodeId}`,
        Math.floor(r() ** 3 * 1_000_000),
        preempt,
        ranking,
        newest,
        newest,
        t,
      );
      for (let v = 0; v < opts.versionsPerPack; v++) {
        insVersion.run(versionIds[v], nodeId, `1.${v}.0`, t);
        versions++;
        const count = Math.max(1, Math.round(names.length * growth(v)));
        for (let k = 0; k < count; k++) {
          const banned = r() < 0.005;
          insComfy.run(
            versionIds[v],
            names[k],
            `${tag}/utils`,
            `${names[k]} from ${tag}`,
            inputTypes(r),
            names[k],
            banned ? 'ComfyNodePolicyBanned' : 'ComfyNodePolicyActive',
            t,
          );
          rows++;
          if (v === opts.versionsPerPack - 1 && !banned && k % 7 === i % 7 && (i * 31 + k) % 5 === 0) resolvable.push(names[k]);
        }
      }
    }
  })();
  db.close();
  // Spread the sample over packs and styles: interleave from both ends.
  const spread: string[] = [];
  for (let a = 0, b = resolvable.length - 1; a <= b; a++, b--) spread.push(resolvable[a], ...(a < b ? [resolvable[b]] : []));
  return { packs: opts.packs, versions, rows, resolvable: spread };
}
