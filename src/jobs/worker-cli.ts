import { HttpJobSource } from './http-job-source.js';
import { Worker, workerId } from './worker.js';

const USAGE = 'usage: comfyreg worker --registry URL --token SERVICE_TOKEN [--lease-seconds N] [--poll-ms N] [--once]\n';

function option(args: string[], name: string, env?: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  return env ? process.env[env] : undefined;
}

/** `comfyreg worker`: extraction in a separate process, talking to a registry over HTTP. */
export async function runWorkerCommand(args: string[]): Promise<number> {
  const registry = option(args, '--registry', 'COMFYREG_REGISTRY_URL');
  const token = option(args, '--token', 'COMFYREG_SERVICE_TOKEN');
  const lease = Number(option(args, '--lease-seconds') ?? 300);
  const poll = Number(option(args, '--poll-ms') ?? 1000);
  if (args.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!registry || !token || !(lease >= 1 && lease <= 3600) || !(poll >= 10)) {
    process.stderr.write(USAGE);
    return 2;
  }
  const id = workerId();
  const log = {
    info: (o: object, m: string) => process.stdout.write(`${JSON.stringify({ level: 'info', worker: id, msg: m, ...o })}\n`),
    warn: (o: object, m: string) => process.stderr.write(`${JSON.stringify({ level: 'warn', worker: id, msg: m, ...o })}\n`),
  };
  const worker = new Worker({ source: new HttpJobSource(registry, token, id, lease), pollMs: poll, log });
  if (args.includes('--once')) {
    while (await worker.runOnce()) {}
    return 0;
  }
  log.info({ registry }, 'worker started');
  worker.start();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await worker.stop();
  return 0;
}
