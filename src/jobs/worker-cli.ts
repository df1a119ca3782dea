import { ConfigError, commandHelp, parseCommandLine, type Extra } from '../settings/index.js';
import { HttpJobSource } from './http-job-source.js';
import { WorkerRefused } from './job-source.js';
import { Worker, workerId, type WorkerLog } from './worker.js';

const USAGE = 'comfyreg worker --registry URL [--once] [settings]   (token: COMFYREG_SERVICE_TOKEN)';
const EXTRA: Extra = { once: { type: 'boolean', help: 'run the jobs queued now, then exit' } };

function jsonLog(worker: string, level: string, io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream }): WorkerLog {
  const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
  const min = level === 'silent' ? Infinity : levels.indexOf(level);
  const line = (lvl: string, stream: NodeJS.WritableStream) => (o: object, msg: string) => {
    if (levels.indexOf(lvl) >= min) stream.write(`${JSON.stringify({ level: lvl, worker, msg, ...o })}\n`);
  };
  return { info: line('info', io.out), warn: line('warn', io.err), error: line('error', io.err) };
}

/** `comfyreg worker`: extraction in a separate process, talking to a registry over HTTP. */
export async function runWorkerCommand(
  args: string[],
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } = { out: process.stdout, err: process.stderr },
): Promise<number> {
  const { config, extra, help } = parseCommandLine('worker', args, process.env, EXTRA);
  if (help) {
    io.out.write(`${commandHelp('worker', USAGE, EXTRA)}\n`);
    return 0;
  }
  const token = config.serviceTokens[0];
  if (!config.registryUrl) throw new ConfigError('the worker needs --registry URL (or COMFYREG_REGISTRY_URL)');
  if (!token) throw new ConfigError('the worker needs a service token: set COMFYREG_SERVICE_TOKEN');
  const id = workerId(config.instanceId);
  const log = jsonLog(id, config.logLevel, io);
  const worker = new Worker({ source: new HttpJobSource(config.registryUrl, token, id, config.leaseSeconds), pollMs: config.pollMs, log });
  if (extra.once) {
    try {
      while (await worker.runOnce()) {}
    } catch (err) {
      if (!(err instanceof WorkerRefused)) throw err;
      io.err.write(`comfyreg worker: ${err.message}\n`);
      return 1;
    }
    return 0;
  }
  log.info({ registry: config.registryUrl }, 'worker started');
  const stopped = worker.start();
  const signal = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await Promise.race([stopped, signal]);
  await worker.stop(config.shutdownGrace * 1000);
  if (worker.refused) {
    io.err.write(`comfyreg worker: ${worker.refused.message}\n`);
    return 1;
  }
  return 0;
}
