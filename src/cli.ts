import v8 from 'node:v8';
import { ConfigError, commandHelp, parseCommandLine, type Extra } from './settings/index.js';
import { DatabaseUnreachable } from './db/unreachable.js';

/*
 * The command line. Each command loads only what it needs (`extract` never loads the server,
 * `--help` loads nothing heavy), so that commands start fast.
 */

const USAGE = `Usage: comfyreg <command> [options]

Commands:
  serve [options]                   run the registry (see comfyreg serve --help)
  extract <folder|zip> [--json]     list the comfy nodes a pack defines, without running it
  worker --registry URL [options]   run an extraction worker against a registry over HTTP
                                    (its token from COMFYREG_SERVICE_TOKEN)
  user create --name N --email E [--admin]
                                    create a user and print its token (uses the serve settings)
  diff OLD NEW [--json] [--registry URL]
                                    what NEW changes in OLD's comfy nodes and whether it breaks saved
                                    workflows (folders, zips or {nodeId}@{version}); exit 1 if it does
  mirror sync [--ids a,b] [--top N] [--all-versions]
                                    bring the uplink's packs into the store (uses the serve settings)
  mirror export FILE | mirror import FILE
                                    carry a mirror into a network without an uplink
`;

/** Where a command writes: the process's streams, or a test's. */
export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

const PROCESS_IO: Io = { out: process.stdout, err: process.stderr };

const USER_EXTRA: Extra = {
  name: { type: 'string', help: "the user's name" },
  email: { type: 'string', help: "the user's email" },
  admin: { type: 'boolean', help: 'make the user an admin' },
};

async function serve(args: string[], io: Io): Promise<number> {
  const { config, help } = parseCommandLine('serve', args);
  if (help) {
    io.out.write(`${commandHelp('serve', 'comfyreg serve [options]')}\n`);
    return 0;
  }
  const { startServer } = await import('./server.js');
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let stopAsked = false;
  const shutdown = () =>
    server!.close().then(
      () => process.exit(0),
      (err: unknown) => {
        io.err.write(`comfyreg: stopping failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  // SIGTERM or SIGINT: drain within the grace period, then exit 0. A second signal exits at once.
  // Handled from before the start, so no signal finds the process without a handler: one that
  // comes while the server starts stops it once started.
  const stop = () => {
    process.once('SIGINT', () => process.exit(1));
    process.once('SIGTERM', () => process.exit(1));
    if (server) void shutdown();
    else stopAsked = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    server = await startServer(config, { notice: (line) => io.err.write(`${line}\n`) });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
    io.err.write(`comfyreg: cannot listen on ${config.host}:${config.port} (${code}); choose another with --port or PORT\n`);
    return 1;
  }
  if (stopAsked) void shutdown();
  return -1;
}

async function user(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const usage = 'comfyreg user create --name N --email E [--admin] [settings such as --data-dir]';
  const { config, extra, help } = parseCommandLine('user', rest, process.env, USER_EXTRA);
  if (help) {
    io.out.write(`${commandHelp('user', usage, USER_EXTRA)}\n`);
    return 0;
  }
  if (sub !== 'create' || typeof extra.name !== 'string' || typeof extra.email !== 'string') {
    io.err.write(`usage: ${usage}\n`);
    return 2;
  }
  const { openRegistry } = await import('./setup.js');
  const { createUser } = await import('./registry/users.js');
  const opened = await openRegistry(config, { publicUrl: config.publicUrl ?? `http://localhost:${config.port}` });
  try {
    const { user: u, token } = await createUser(opened.reg, { name: extra.name, email: extra.email, isAdmin: extra.admin === true });
    io.out.write(`${JSON.stringify({ user: { id: u.id, name: u.name, email: u.email, isAdmin: u.is_admin === 1 }, token }, null, 2)}\n`);
    return 0;
  } finally {
    await opened.close();
  }
}

export async function main(argv: string[], io: Io = PROCESS_IO): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(args, io);
      case 'user':
        return await user(args, io);
      case 'extract': {
        // A one-off extraction is over before the parser's hottest wasm functions would repay their
        // optimising compile, which costs more CPU than a small pack's whole parse: tier up later.
        v8.setFlagsFromString('--wasm-tiering-budget=10000000');
        const { runExtractCommand } = await import('./extract/cli.js');
        return await runExtractCommand(args, io.out, io.err);
      }
      case 'diff': {
        const { runDiffCommand } = await import('./diff/cli.js');
        return await runDiffCommand(args, io);
      }
      case 'mirror': {
        const { runMirrorCommand } = await import('./mirror-cli.js');
        return await runMirrorCommand(args, io);
      }
      case 'worker': {
        const { runWorkerCommand } = await import('./jobs/worker-cli.js');
        return await runWorkerCommand(args, io);
      }
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.out.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err.write(`unknown command ${command}\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err.write(`comfyreg: ${err.message}\n`);
      return 2;
    }
    if (err instanceof DatabaseUnreachable) {
      io.err.write(`comfyreg: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
