/**
 * The one escaping helper of the web UI: `html` is a tagged template whose interpolated values are
 * escaped unless they are already `Html` (the result of another `html` call or of `raw`). Arrays
 * are joined, null, undefined and false render nothing. Pack names, descriptions and changelogs are
 * untrusted text: they only ever reach a page through here.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type Renderable = Html | string | number | boolean | null | undefined | Renderable[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: Renderable): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeText(String(value));
}

/*
 * A template's own indentation is for its reader, not the browser: each call site's static parts
 * are compacted once (a line break and the indentation after it become one line break).
 */
const compacted = new WeakMap<TemplateStringsArray, string[]>();

function staticParts(strings: TemplateStringsArray): string[] {
  let parts = compacted.get(strings);
  if (!parts) {
    parts = strings.map((s) => s.replace(/\n\s+/g, '\n'));
    compacted.set(strings, parts);
  }
  return parts;
}

export function html(strings: TemplateStringsArray, ...values: Renderable[]): Html {
  const parts = staticParts(strings);
  let out = parts[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + parts[i + 1]!;
  return new Html(out);
}

/** Text the UI itself wrote (never user input), used as markup. */
export const raw = (markup: string): Html => new Html(markup);

/** A path segment for a link: escaped for the URL here, for the attribute by `html`. */
export const seg = (part: string): string => encodeURIComponent(part);

/** A query string from the given values, empty ones left out. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
