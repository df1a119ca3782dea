import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The system git as a user runs it, without this machine's configuration; never asks for a password. */
export async function git(args: string[], cwd?: string): Promise<string> {
  const home = path.join(os.tmpdir(), 'comfyreg-git-client-home');
  fs.mkdirSync(home, { recursive: true });
  const { stdout } = await run('git', args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
  });
  return stdout;
}

/** `git args`, expecting it to fail; returns its stderr. */
export async function gitFails(args: string[], cwd?: string): Promise<string> {
  try {
    await git(args, cwd);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error(`git ${args.join(' ')} succeeded`);
}

/** Every file under `dir` but `.git`, by relative path. */
export function filesOf(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (r === '.git') continue;
      if (e.isDirectory()) walk(r);
      else out[r] = fs.readFileSync(path.join(dir, r));
    }
  };
  walk('');
  return out;
}
