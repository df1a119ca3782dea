import { ConfigError, loadConfig, settingsHelp } from './config.js';
import { openDatabase } from './db/database.js';
import { createRegistry } from './registry/registry.js';
import { createUser } from './registry/users.js';
import { LocalArchiveStore } from './storage/local-archive-store.js';
import { startServer } from './server.js';

const USAGE = `Usage: comfyreg <command> [options]

Commands:
  serve [options]                 run the registry (see comfyreg serve --help)
  extract <folder|zip> [--json]   list the comfy nodes a pack defines, without running it
  worker --registry URL --token T run an extraction worker against a registry over HTTP
  user create --name N --email E [--admin]
                                  create a user and print its token (uses the serve settings)
`;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function serve(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${settingsHelp()}\n`);
    return 0;
  }
  const config = loadConfig(args);
  let server;
  try {
    server = await startServer(config);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
    process.stderr.write(`comfyreg: cannot listen on ${config.host}:${config.port} (${code}); choose another with --port or PORT\n`);
    return 1;
  }
  const stop = async () => {
    await server!.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return -1;
}

async function user(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const name = flag(rest, '--name');
  const email = flag(rest, '--email');
  if (sub !== 'create' || !name || !email) {
    process.stderr.write('usage: comfyreg user create --name N --email E [--admin] [serve options such as --data-dir]\n');
    return 2;
  }
  const serveArgs = rest.filter((a, i) => !['--name', '--email', '--admin'].includes(a) && !['--name', '--email'].includes(rest[i - 1]));
  const config = loadConfig(serveArgs);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    const reg = await createRegistry({
      database,
      store: new LocalArchiveStore(config.dataDir),
      publicUrl: config.publicUrl,
    });
    const { user: u, token } = await createUser(reg, { name, email, isAdmin: rest.includes('--admin') });
    process.stdout.write(
      `${JSON.stringify({ user: { id: u.id, name: u.name, email: u.email, isAdmin: u.is_admin === 1 }, token }, null, 2)}\n`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(args);
      case 'user':
        return await user(args);
      case 'extract': {
        const { runExtractCommand } = await import('./extract/cli.js');
        return await runExtractCommand(args);
      }
      case 'worker': {
        const { runWorkerCommand } = await import('./jobs/worker-cli.js');
        return await runWorkerCommand(args);
      }
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`unknown command ${command}\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`comfyreg: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
