import type { Diagnostic } from './types.js';

const shown = (d: Diagnostic): string =>
  `${d.file}:${d.line}: ${d.node ? d.node + ' ' : ''}${d.field ? d.field + ': ' : ''}${d.message.length > 200 ? d.message.slice(0, 199) + '…' : d.message}`;

/**
 * A short one-line reason from the first few diagnostics (problems before informational ones):
 * `file:line: [node] [field:] message; …`, for a version's extraction status reason.
 */
export function summarizeDiagnostics(diagnostics: Diagnostic[], max = 3): string {
  const ordered = [...diagnostics.filter((d) => d.severity !== 'info'), ...diagnostics.filter((d) => d.severity === 'info')];
  const parts = ordered.slice(0, Math.max(0, max)).map(shown);
  const rest = ordered.length - parts.length;
  return parts.join('; ') + (rest > 0 ? `; and ${rest} more` : '');
}

/** The fields of each node that could not be resolved statically, from the node diagnostics. */
export function unresolvedFields(diagnostics: Diagnostic[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of diagnostics) {
    if (!d.node || d.severity === 'info') continue;
    const list = (out[d.node] ??= []);
    const field = d.field ?? 'class';
    if (!list.includes(field)) list.push(field);
  }
  return out;
}

/**
 * When `__init__.py` registers nodes (it names NODE_CLASS_MAPPINGS or comfy_entrypoint) and
 * nothing came out, a diagnostic naming the file, the line and the construct that was followed.
 */
export function silentRegistration(initSource: string | undefined, file: string): Diagnostic | null {
  if (initSource === undefined) return null;
  const lines = initSource.split(/\r?\n/);
  const pick = (re: RegExp, last: boolean): number => {
    let found = -1;
    for (let i = 0; i < lines.length; i++) {
      if (re.test(lines[i]!)) {
        found = i;
        if (!last) break;
      }
    }
    return found;
  };
  // The last module-level binding of the mappings, else the last one anywhere, else any mention.
  let at = pick(/^(NODE_CLASS_MAPPINGS\s*(=|\|=|\[|\.update\b)|from\s+\S+\s+import\b.*\bNODE_CLASS_MAPPINGS\b)/, true);
  if (at < 0) at = pick(/^\s*NODE_CLASS_MAPPINGS\s*(=|\|=|\[|\.update\b)|^\s*from\s+\S+\s+import\b.*\bNODE_CLASS_MAPPINGS\b/, true);
  let construct = 'NODE_CLASS_MAPPINGS';
  if (at < 0) at = pick(/\bNODE_CLASS_MAPPINGS\b/, false);
  if (at < 0) {
    at = pick(/\bcomfy_entrypoint\b/, false);
    construct = 'comfy_entrypoint';
  }
  if (at < 0) return null;
  const text = lines[at]!.trim();
  return {
    file,
    line: at + 1,
    field: construct,
    message: `registers nodes (\`${text.length > 120 ? text.slice(0, 119) + '…' : text}\`) but none could be followed statically`,
  };
}
