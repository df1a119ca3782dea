import { type Value, isObj, plain, pyRepr, pyStr } from './values.js';

/**
 * Python's text formatting over known values: the format-spec mini-language (`format()`,
 * f-string `{x:>8.2f}`, `str.format`) and printf-style `%`. Each returns undefined when the
 * value or spec is outside what is modelled, so the caller can make the result unknown.
 */

interface Spec {
  fill: string;
  align: string;
  sign: string;
  alt: boolean;
  zero: boolean;
  width: number;
  grouping: string;
  precision: number | undefined;
  type: string;
}

const SPEC = /^(?:(.)?([<>=^]))?([+\- ]?)(z?)(#?)(0?)(\d*)([,_]?)(?:\.(\d+))?([bcdeEfFgGnosxX%]?)$/su;

function parseSpec(text: string): Spec | undefined {
  const m = SPEC.exec(text);
  if (!m) return undefined;
  return {
    fill: m[1] ?? (m[6] && !m[2] ? '0' : ' '),
    align: m[2] ?? (m[6] ? '=' : ''),
    sign: m[3] ?? '',
    alt: m[5] === '#',
    zero: m[6] === '0',
    width: m[7] ? Number(m[7]) : 0,
    grouping: m[8] ?? '',
    precision: m[9] !== undefined ? Number(m[9]) : undefined,
    type: m[10] ?? '',
  };
}

function group(digits: string, sep: string, every: number): string {
  if (!sep) return digits;
  let out = '';
  for (let i = digits.length; i > 0; i -= every) out = digits.slice(Math.max(0, i - every), i) + (out ? sep + out : '');
  return out;
}

function pad(body: string, sign: string, s: Spec, dfltAlign: string): string {
  const len = [...body].length + sign.length;
  if (len >= s.width) return sign + body;
  const n = s.width - len;
  const fill = s.fill.repeat(n);
  switch (s.align || dfltAlign) {
    case '<':
      return sign + body + fill;
    case '^':
      return s.fill.repeat(Math.floor(n / 2)) + sign + body + s.fill.repeat(n - Math.floor(n / 2));
    case '=':
      return sign + fill + body;
    default:
      return fill + sign + body;
  }
}

/** 1e+05 as Python writes exponents: a sign and at least two digits. */
function pyExp(text: string): string {
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

function general(x: number, precision: number, alt: boolean, upper: boolean): string {
  const p = precision === 0 ? 1 : precision;
  if (x === 0) return alt ? (0).toFixed(p - 1) : '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toExponential(p - 1)))));
  let out: string;
  if (exp >= -4 && exp < p) {
    out = x.toFixed(Math.max(0, p - 1 - exp));
    if (!alt && out.includes('.')) out = out.replace(/\.?0+$/, '');
  } else {
    out = x.toExponential(p - 1);
    if (!alt) out = out.replace(/\.?0+e/, 'e');
    out = pyExp(out);
  }
  return upper ? out.toUpperCase() : out;
}

function formatNumber(v: number | bigint, s: Spec): string | undefined {
  const isInt = typeof v === 'bigint' || Number.isInteger(v);
  let type = s.type;
  if (!type) type = isInt ? 'd' : '';
  const neg = typeof v === 'bigint' ? v < 0n : v < 0 || Object.is(v, -0);
  const abs = typeof v === 'bigint' ? (v < 0n ? -v : v) : Math.abs(v);
  const sign = neg ? '-' : s.sign === '+' ? '+' : s.sign === ' ' ? ' ' : '';
  let body: string;
  if ('dnbcoxX'.includes(type)) {
    if (!isInt) return undefined;
    const big = BigInt(abs);
    if (type === 'c') return pad(String.fromCodePoint(Number(big)), '', s, '<');
    const radix = type === 'b' ? 2 : type === 'o' ? 8 : type === 'x' || type === 'X' ? 16 : 10;
    let digits = big.toString(radix);
    if (type === 'X') digits = digits.toUpperCase();
    digits = group(digits, s.grouping, radix === 10 ? 3 : 4);
    const prefix = s.alt && radix !== 10 ? '0' + (type === 'X' ? 'X' : type) : '';
    body = prefix + digits;
  } else {
    const x = Number(abs);
    const p = s.precision;
    if (!Number.isFinite(x)) body = Number.isNaN(x) ? 'nan' : 'inf';
    else if (type === 'f' || type === 'F') body = x.toFixed(p ?? 6);
    else if (type === 'e' || type === 'E') body = pyExp(x.toExponential(p ?? 6));
    else if (type === '%') body = (x * 100).toFixed(p ?? 6) + '%';
    else if (type === 'g' || type === 'G') body = general(x, p ?? 6, s.alt, false);
    else if (p !== undefined) body = general(x, p, s.alt, false);
    else body = isInt ? String(x) + '.0' : pyStr(x)!;
    if ('FEG'.includes(type)) body = body.toUpperCase();
    if (s.grouping) {
      const [whole, frac] = body.split(/(?=[.e%])/, 2) as [string, string | undefined];
      if (/^\d+$/.test(whole)) body = group(whole, s.grouping, 3) + body.slice(whole.length);
      void frac;
    }
  }
  if (s.zero && !s.align) return sign + body.padStart(Math.max(0, s.width - sign.length), '0');
  return pad(body, sign, s, '>');
}

/** format(value, spec) for str, int, float and bool values. */
export function formatValue(value: Value, specText: string): string | undefined {
  const v = plain(value);
  if (specText === '') return pyStr(v);
  const s = parseSpec(specText);
  if (!s) return undefined;
  if (typeof v === 'string') {
    if (s.type && s.type !== 's') return undefined;
    const body = s.precision !== undefined ? [...v].slice(0, s.precision).join('') : v;
    return pad(body, '', s, '<');
  }
  if (typeof v === 'boolean') return s.type ? formatNumber(v ? 1 : 0, s) : pad(v ? 'True' : 'False', '', s, '<');
  if (typeof v === 'number' || typeof v === 'bigint') return formatNumber(v, s);
  if (v === null && !s.type) return pad('None', '', s, '<');
  return undefined;
}

const PRINTF = /%(?:\(([^)]*)\))?([-+ #0]*)(\d*|\*)(?:\.(\d+|\*))?[hlL]?([diouxXeEfFgGcrsa%])/g;

/** `"fmt" % args`: args is one value, a tuple of values, or a mapping for `%(name)s`. */
export function percentFormat(fmt: string, args: Value, lookup: (key: string) => Value | undefined): string | undefined {
  const seq = isObj(args) && args.t === 'list' && args.tuple ? args.items : [args];
  let next = 0;
  let failed = false;
  let usedKey = false;
  const out = fmt.replace(
    PRINTF,
    (m, key: string | undefined, flags: string, width: string, precision: string | undefined, type: string) => {
      if (type === '%') return '%';
      if (width === '*' || precision === '*') {
        failed = true;
        return '';
      }
      let v: Value | undefined;
      if (key !== undefined) {
        usedKey = true;
        v = lookup(key);
      } else v = seq[next++];
      if (v === undefined) {
        failed = true;
        return '';
      }
      let text: string | undefined;
      const align = flags.includes('-') ? '<' : '>';
      if (type === 's' || type === 'r' || type === 'a') {
        text = type === 's' ? pyStr(plain(v)) : pyRepr(plain(v));
        if (text !== undefined && precision !== undefined) text = text.slice(0, Number(precision));
        if (text !== undefined) text = formatValue(text, `${align}${width}`);
      } else {
        const t = type === 'i' || type === 'u' ? 'd' : type;
        const sign = flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
        const zero = flags.includes('0') && !flags.includes('-') ? '0' : '';
        const num = plain(v);
        const n = typeof num === 'boolean' ? (num ? 1 : 0) : num;
        if (typeof n !== 'number' && typeof n !== 'bigint') text = undefined;
        else {
          const value = 'diouxXc'.includes(t) && typeof n === 'number' ? Math.trunc(n) : n;
          text = formatValue(
            value,
            `${zero ? '' : align}${sign}${flags.includes('#') ? '#' : ''}${zero}${width}${precision !== undefined ? '.' + precision : t === 'd' || t === 'c' || 'oxX'.includes(t) ? '' : '.6'}${t}`,
          );
        }
      }
      if (text === undefined) failed = true;
      return text ?? m;
    },
  );
  if (failed || (!usedKey && next !== seq.length)) return undefined;
  return out;
}

/**
 * str.format: `{}`, `{0}`, `{name}`, `{name[key]}`, `{name.attr}`, conversions and specs
 * (nested `{}` inside a spec included).
 */
export function strFormat(
  s: string,
  pos: Value[],
  kw: Map<string, Value>,
  field: (base: Value, path: string) => Value | undefined,
): string | undefined {
  let auto = 0;
  let failed = false;
  let out = '';
  let i = 0;
  const resolve = (name: string): Value | undefined => {
    const m = /^([^.[]*)(.*)$/s.exec(name)!;
    const head = m[1]!;
    const base = head === '' ? pos[auto++] : /^\d+$/.test(head) ? pos[Number(head)] : kw.get(head);
    if (base === undefined) return undefined;
    return m[2] ? field(base, m[2]) : base;
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === '{' && s[i + 1] === '{') {
      out += '{';
      i += 2;
      continue;
    }
    if (c === '}' && s[i + 1] === '}') {
      out += '}';
      i += 2;
      continue;
    }
    if (c !== '{') {
      out += c;
      i++;
      continue;
    }
    let depth = 1;
    let j = i + 1;
    while (j < s.length && depth > 0) {
      if (s[j] === '{') depth++;
      else if (s[j] === '}') depth--;
      if (depth > 0) j++;
    }
    if (depth !== 0) return undefined;
    const inner = s.slice(i + 1, j);
    i = j + 1;
    const m = /^([^!:]*)(?:!([rsa]))?(?::(.*))?$/s.exec(inner);
    if (!m) return undefined;
    const v = resolve(m[1]!);
    let spec = m[3] ?? '';
    if (spec.includes('{')) {
      const nested = strFormat(spec, pos.slice(auto), kw, field);
      if (nested === undefined) return undefined;
      spec = nested;
    }
    if (v === undefined) {
      failed = true;
      break;
    }
    const conv = m[2];
    const shown: Value | undefined = conv === 'r' || conv === 'a' ? pyRepr(plain(v)) : conv === 's' ? pyStr(plain(v)) : v;
    const text = shown === undefined ? undefined : formatValue(shown, spec);
    if (text === undefined) {
      failed = true;
      break;
    }
    out += text;
  }
  return failed ? undefined : out;
}
