import { ConfigError, commandHelp, parseCommandLine, type Extra } from '../settings/index.js';
import type { ComfyNodeChanges } from '../contract/comfy-node-changes.js';
import { compareComfyNodes } from '../registry/comfy-node-changes.js';
import { SideError, readSide } from './sides.js';

const USAGE = 'comfyreg diff OLD NEW [--json] [--registry URL]   (each a pack folder, a zip, or {nodeId}@{version} on the registry)';
const EXTRA: Extra = { json: { type: 'boolean', help: 'print the report as JSON (the shape GET …/comfy-node-changes answers)' } };
/** Flags that take a value: their next argument is not a side. */
const VALUE_FLAGS = new Set(['--registry']);

interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** Splits the sides (positional arguments) from the flags, which the settings parser reads. */
function split(args: string[]): { sides: string[]; flags: string[] } {
  const sides: string[] = [];
  const flags: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-') || a === '-') sides.push(a);
    else {
      flags.push(a);
      if (VALUE_FLAGS.has(a) && i + 1 < args.length) flags.push(args[++i]!);
    }
  }
  return { sides, flags };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** The report as a table: one row per added or removed node and per change. */
export function formatReport(r: ComfyNodeChanges): string {
  const rows = [['NODE', 'CHANGE', 'BREAKS', 'DETAIL']];
  for (const name of r.removed) rows.push([name, 'node_removed', 'yes', 'workflows using it fail to load']);
  for (const name of r.added) rows.push([name, 'node_added', 'no', '']);
  for (const node of r.changed) for (const c of node.changes) rows.push([node.name, c.kind, c.breaking ? 'yes' : 'no', c.detail]);
  const counts = `${r.added.length} added, ${r.removed.length} removed, ${r.changed.length} changed`;
  const verdict = r.breaking ? 'breaks workflows saved with the old version' : 'nothing breaks saved workflows';
  return `${r.from ?? '(nothing)'} → ${r.to}\n${rows.length > 1 ? table(rows) : ''}${counts}; ${verdict}\n`;
}

/** `comfyreg diff OLD NEW`: 0 when nothing breaks, 1 when something does, 2 on a usage or read error. */
export async function runDiffCommand(args: string[], io: Io): Promise<number> {
  const { sides, flags } = split(args);
  const { config, extra, help } = parseCommandLine('diff', flags, process.env, EXTRA);
  if (help) {
    io.out.write(`${commandHelp('diff', USAGE, EXTRA)}\n`);
    return 0;
  }
  if (sides.length !== 2) throw new ConfigError(`diff takes two sides, OLD and NEW\nusage: ${USAGE}`);
  let report: ComfyNodeChanges;
  try {
    const [before, after] = await Promise.all(sides.map((s) => readSide(s, config.registryUrl)));
    report = compareComfyNodes(before!.label, after!.label, before!.nodes, after!.nodes);
  } catch (e) {
    if (!(e instanceof SideError)) throw e;
    io.err.write(`comfyreg diff: ${e.message}\n`);
    return 2;
  }
  io.out.write(extra.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.breaking ? 1 : 0;
}
