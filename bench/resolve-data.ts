/**
 * A deterministic, realistic registry for bench/resolve.ts, written straight into SQLite with
 * prepared statements in one transaction (the product's migrations create the schema first).
 *
 * Realistic means: pack sizes follow a long tail (most packs register a handful of nodes, a few
 * register hundreds), each release adds nodes to the previous one, names use the styles real packs
 * use (`ShowText|pysssss`, `Context Big (rgthree)`, `ImageResizeKJ`, non-ASCII), some names are
 * registered by many packs (the case the ranking exists for), and a few nodes are banned. Each node
 * links 1-2 inputs and 1-2 outputs of weighted types (IMAGE most, MASK outputs 4%, `*` and unions
 * rare, a pack type for some), the same in every version, and the type index is filled as ingest fills it.
 */
import SQLite from 'better-sqlite3';
import path from 'node:path';
import { comfyNodeTypes } from '../src/contract/comfy-node-types.js';
import { signature } from '../src/db/comfy-node-types.js';
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
  /** rows of the comfy-node type index */
  typeRows: number;
  /** input × output pairs of the listed rows */
  pairs: number;
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

/** Widget inputs (the first PRNG, as before the type index, so names and sizes stay the same). */
function widgetInputs(r: () => number): Record<string, unknown> {
  const required: Record<string, unknown> = {};
  const n = 1 + Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    const kind = Math.floor(r() * 4);
    if (kind === 0) required[`value_${i}`] = ['INT', { default: 512, min: 0, max: 8192, step: 8 }];
    else if (kind === 1) required[`strength_${i}`] = ['FLOAT', { default: 1.0, min: 0, max: 10, step: 0.01 }];
    else if (kind === 2) required[`mode_${i}`] = [['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'], { default: 'bilinear' }];
    else required[`text_${i}`] = ['STRING', { multiline: true, default: '' }];
  }
  return required;
}

/** [type, weight]: how often a linked input, and an output, has each type (`PACK` stands for the pack's own type). */
const LINK_INPUTS: [string, number][] = [
  ['IMAGE', 40],
  ['LATENT', 10],
  ['MASK', 8],
  ['MODEL', 8],
  ['CONDITIONING', 8],
  ['CLIP', 4],
  ['VAE', 4],
  ['STRING', 5],
  ['*', 2],
  ['IMAGE,MASK', 1],
  ['PACK', 10],
];
const OUTPUTS: [string, number][] = [
  ['IMAGE', 40],
  ['LATENT', 10],
  ['MASK', 4],
  ['MODEL', 6],
  ['CONDITIONING', 8],
  ['STRING', 10],
  ['INT', 5],
  ['FLOAT', 3],
  ['PACK', 14],
];

function pick(r: () => number, table: [string, number][], packType: string): string {
  const total = table.reduce((a, [, w]) => a + w, 0);
  let x = r() * total;
  for (const [t, w] of table) if ((x -= w) < 0) return t === 'PACK' ? packType : t;
  return table[0][0];
}

interface LinkShape {
  required: Record<string, unknown>;
  optional: Record<string, unknown>;
  outputs: string[];
}

/** A node's linked inputs and outputs (the second PRNG), the same in every version: 1-2 linked inputs, an optional mask for 30%, 1-2 outputs. */
function linkShape(r: () => number, packType: string): LinkShape {
  const required: Record<string, unknown> = {};
  const links = 1 + Math.floor(r() * 2);
  for (let i = 0; i < links; i++) required[i === 0 ? 'image' : `input_${i}`] = [pick(r, LINK_INPUTS, packType)];
  const optional = r() < 0.3 ? { mask: ['MASK'] } : {};
  const outputs = Array.from({ length: 1 + Math.floor(r() * 2) }, () => pick(r, OUTPUTS, packType));
  return { required, optional, outputs };
}

function typedNode(shape: LinkShape, widgets: Record<string, unknown>) {
  return {
    input_types: JSON.stringify({ required: { ...shape.required, ...widgets }, optional: shape.optional }),
    return_types: JSON.stringify(shape.outputs),
    return_names: JSON.stringify(shape.outputs.map((t) => t.toLowerCase())),
    output_is_list: JSON.stringify(shape.outputs.map(() => false)),
  };
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
     values (?, ?, ?, ?, 'run', ?, ?, ?, ?, 0, 0, ?, 0, ?, ?)`,
  );
  const insType = db.prepare(`insert into comfy_node_types (node_id, comfy_node_name, direction, type, listed) values (?, ?, ?, ?, ?)`);
  const insSig = db.prepare(`insert into comfy_node_type_sigs (node_id, comfy_node_name, signature) values (?, ?, ?)`);
  const rt = prng(opts.seed ^ 0x7e5e);
  // Building the type index's secondary indexes once after the rows is far faster than keeping them up row by row.
  const typeIndexes = db
    .prepare(`select name, sql from sqlite_master where type = 'index' and tbl_name = 'comfy_node_types' and sql is not null`)
    .all() as { name: string; sql: string }[];
  for (const ix of typeIndexes) db.exec(`drop index "${ix.name}"`);

  let versions = 0;
  let rows = 0;
  let typeRows = 0;
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
      const packType = `${tag.toUpperCase()}_DATA`;
      const shapes = names.map(() => linkShape(rt, packType));
      for (let v = 0; v < opts.versionsPerPack; v++) {
        insVersion.run(versionIds[v], nodeId, `1.${v}.0`, t);
        versions++;
        const count = Math.max(1, Math.round(names.length * growth(v)));
        for (let k = 0; k < count; k++) {
          const banned = r() < 0.005;
          const n = typedNode(shapes[k], widgetInputs(r));
          insComfy.run(
            versionIds[v],
            names[k],
            `${tag}/utils`,
            `${names[k]} from ${tag}`,
            n.input_types,
            n.return_types,
            n.return_names,
            n.output_is_list,
            names[k],
            banned ? 'ComfyNodePolicyBanned' : 'ComfyNodePolicyActive',
            t,
          );
          // The type index as ingest writes it: the newest version's nodes, 2 when banned.
          if (v === opts.versionsPerPack - 1) {
            const { inputs, outputs } = comfyNodeTypes(n.input_types, n.return_types);
            insSig.run(nodeId, names[k], signature({ listed: banned ? 2 : 1, inputs, outputs }));
            for (const [direction, types] of [
              ['input', inputs],
              ['output', outputs],
            ] as const) {
              for (const type of types) insType.run(nodeId, names[k], direction, type, banned ? 2 : 1);
              typeRows += types.length;
            }
          }
          rows++;
          if (v === opts.versionsPerPack - 1 && !banned && k % 7 === i % 7 && (i * 31 + k) % 5 === 0) resolvable.push(names[k]);
        }
      }
    }
  })();
  // The input × output pairs of each indexed node, as syncTypeIndex (src/db/comfy-node-types.ts) writes them.
  const pairs = db
    .prepare(
      `insert into comfy_node_type_pairs (input_type, output_type, listed, comfy_node_name, node_id)
       select i.type, o.type, i.listed, i.comfy_node_name, i.node_id from comfy_node_types i
       join comfy_node_types o on o.node_id = i.node_id and o.comfy_node_name = i.comfy_node_name and o.direction = 'output'
       where i.direction = 'input'`,
    )
    .run().changes;
  for (const ix of typeIndexes) db.exec(ix.sql);
  db.close();
  // Spread the sample over packs and styles: interleave from both ends.
  const spread: string[] = [];
  for (let a = 0, b = resolvable.length - 1; a <= b; a++, b--) spread.push(resolvable[a], ...(a < b ? [resolvable[b]] : []));
  return { packs: opts.packs, versions, rows, typeRows, pairs, resolvable: spread };
}
