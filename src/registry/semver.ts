import semver from 'semver';

const LOOSE = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** `v1.0` → `1.0.0`; `1.2.3-beta.1` stays; anything else is not a version (null). */
export function normalizeVersion(input: string): string | null {
  const m = LOOSE.exec(input.trim());
  if (!m) return null;
  const candidate = `${m[1]}.${m[2] ?? '0'}.${m[3] ?? '0'}${m[4] ?? ''}${m[5] ?? ''}`;
  return semver.valid(candidate);
}

export function compareVersions(a: string, b: string): number {
  const va = semver.valid(a);
  const vb = semver.valid(b);
  if (va && vb) return semver.compare(va, vb);
  if (va) return 1;
  if (vb) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function highestVersion<T extends { version: string }>(rows: T[]): T | undefined {
  let best: T | undefined;
  for (const r of rows) if (!best || compareVersions(r.version, best.version) > 0) best = r;
  return best;
}
