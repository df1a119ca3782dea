import { ConfigError, commandHelp, parseCommandLine, type Extra } from './settings/index.js';
import type { Io } from './cli.js';

/*
 * `comfyreg mirror sync|export|import`: fills, carries and loads a mirror's store. Each takes the
 * serve settings (data folder, database, archive store; sync needs --uplink).
 */

const USAGE = `comfyreg mirror sync [--ids a,b] [--top N] [--all-versions] [--verify] [serve settings, --uplink required]
       comfyreg mirror export FILE [serve settings]
       comfyreg mirror import FILE [serve settings]`;

const SYNC_EXTRA: Extra = {
  ids: { type: 'string', help: 'comma-separated pack ids to bring in' },
  top: { type: 'string', help: "the uplink's N most downloaded packs (default 100, when --ids is not given)" },
  'all-versions': { type: 'boolean', help: 'every version, not only the latest' },
  verify: { type: 'boolean', help: 'fetch stored archives again and report upstream bytes that changed (the stored ones are kept)' },
};

/** A progress bar on a terminal, one line per step elsewhere. */
function progressBar(io: Io): (done: number, total: number, label: string) => void {
  const tty = (io.err as NodeJS.WriteStream).isTTY === true;
  return (done, total, label) => {
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}`;
    io.err.write(tty ? `\r${line.padEnd(100).slice(0, 100)}${done === total ? '\n' : ''}` : `${line}\n`);
  };
}

export async function runMirrorCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const file = rest[0] && !rest[0].startsWith('--') ? rest.shift() : undefined;
  const { config, extra, help } = parseCommandLine('serve', rest, process.env, sub === 'sync' ? SYNC_EXTRA : {});
  if (help || !sub) {
    io.out.write(`${commandHelp('serve', USAGE, SYNC_EXTRA)}\n`);
    return help ? 0 : 2;
  }
  if ((sub === 'export' || sub === 'import') && !file) throw new ConfigError(`mirror ${sub} needs a FILE (usage: ${USAGE})`);
  if (sub === 'sync' && !config.uplink) throw new ConfigError('mirror sync needs an uplink: set --uplink or COMFYREG_UPLINK');
  if (!['sync', 'export', 'import'].includes(sub)) throw new ConfigError(`unknown mirror command ${sub} (usage: ${USAGE})`);
  const { openRegistry } = await import('./setup.js');
  const opened = await openRegistry(config, { publicUrl: config.publicUrl ?? `http://localhost:${config.port}` });
  try {
    if (sub === 'export') {
      const { exportMirror } = await import('./registry/mirror/bundle.js');
      const r = await exportMirror(opened.reg, file!);
      io.out.write(`${JSON.stringify({ exported: file, ...r })}\n`);
      return 0;
    }
    if (sub === 'import') {
      const { importMirror } = await import('./registry/mirror/bundle.js');
      const r = await importMirror(opened.reg, file!, config.maxArchive);
      io.out.write(`${JSON.stringify({ imported: file, ...r })}\n`);
      return 0;
    }
    const { syncMirror } = await import('./jobs/mirror-sync.js');
    const { MirrorExtraction } = await import('./jobs/mirror-extraction.js');
    const { ThreadExtractor } = await import('./jobs/thread-extractor.js');
    const top = typeof extra.top === 'string' ? Number(extra.top) : undefined;
    if (top !== undefined && !(Number.isInteger(top) && top > 0))
      throw new ConfigError(`--top must be a positive whole number, got "${extra.top}"`);
    const ids =
      typeof extra.ids === 'string'
        ? extra.ids
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : undefined;
    const extractor = new ThreadExtractor();
    const quiet = { info: () => {}, warn: (o: object, m: string) => io.err.write(`comfyreg: ${m} ${JSON.stringify(o)}\n`) };
    const extraction = new MirrorExtraction(opened.reg, extractor, quiet).start();
    try {
      const report = await syncMirror(
        opened.reg,
        { ids, top, allVersions: extra['all-versions'] === true, verify: extra.verify === true },
        progressBar(io),
        extraction,
      );
      io.out.write(`${JSON.stringify(report, null, 2)}\n`);
      return report.failed.length === 0 ? 0 : 1;
    } finally {
      await extraction.stop();
      await extractor.close();
    }
  } finally {
    await opened.close();
  }
}
