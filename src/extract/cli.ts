import { readFile, stat } from 'node:fs/promises';
import { extractPack, unresolvedFields } from './index.js';
import type { ComfyNodeBody, Diagnostic } from './types.js';

const USAGE = 'usage: comfyreg extract <folder|zip> [--json]\n';

function summarizeInputs(body: ComfyNodeBody): string {
  try {
    const input = JSON.parse(body.input_types) as Record<string, Record<string, unknown>>;
    const req = Object.keys(input.required ?? {});
    const opt = Object.keys(input.optional ?? {}).map((k) => k + '?');
    return [...req, ...opt].join(', ');
  } catch {
    return '';
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.min(48, Math.max(...rows.map((r) => r[i]!.length))));
  const cut = (s: string, w: number): string => (s.length > w ? s.slice(0, w - 1) + '…' : s.padEnd(w));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => cut(c, widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/**
 * `comfyreg extract <folder|zip> [--json]`: 0 when nodes were found, 1 when none, 2 on bad input.
 * `--json` prints `{body, diagnostics, unresolved}`: `body` is the CreateComfyNodes body as the
 * extractor would post it, `unresolved` maps each node to the fields it could not resolve.
 */
export async function runExtractCommand(
  args: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const json = args.includes('--json');
  const rest = args.filter((a) => a !== '--json');
  if (rest.length !== 1 || rest[0]!.startsWith('-')) {
    err.write(USAGE);
    return 2;
  }
  const target = rest[0]!;
  const st = await stat(target).catch(() => null);
  if (!st) {
    err.write(`comfyreg extract: no such file or folder: ${target}\n`);
    return 2;
  }
  let result;
  try {
    result = st.isDirectory() ? await extractPack({ dir: target }) : await extractPack({ zip: await readFile(target) });
  } catch (e) {
    err.write(`comfyreg extract: cannot read ${target}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const { body, diagnostics } = result;
  const unresolvedByNode = unresolvedFields(diagnostics);
  const printJson = (): void => {
    out.write(JSON.stringify({ body, diagnostics, unresolved: unresolvedByNode }, null, 2) + '\n');
  };
  if (body.status === 'invalid_format') {
    if (json) printJson();
    err.write(`comfyreg extract: refused: ${body.reason}\n`);
    return 2;
  }
  const names = Object.keys(body.nodes);
  if (json) printJson();
  else if (names.length > 0) {
    const unresolved = (name: string): string => (unresolvedByNode[name] ?? []).join(', ');
    const rows = [['NAME', 'CATEGORY', 'INPUTS', 'OUTPUTS', 'UNRESOLVED']];
    for (const name of names) {
      const n = body.nodes[name]!;
      rows.push([name, n.category, summarizeInputs(n), (JSON.parse(n.return_types) as unknown[]).map(String).join(', '), unresolved(name)]);
    }
    out.write(table(rows));
    out.write(`${names.length} comfy node${names.length === 1 ? '' : 's'}\n`);
  }
  const packDiags = diagnostics.filter((d: Diagnostic) => !d.node);
  for (const d of json ? [] : packDiags)
    err.write(`${d.file}:${d.line}: ${d.severity === 'info' ? 'info: ' : ''}${d.field ? d.field + ': ' : ''}${d.message}\n`);
  if (names.length === 0) {
    err.write('comfyreg extract: no comfy nodes found\n');
    return 1;
  }
  return 0;
}
