import { spawn, type ChildProcessByStdio } from 'node:child_process';
import os from 'node:os';
import type { Readable, Writable } from 'node:stream';

/*
 * The system git, run with no configuration of the machine's or the user's (which could name hooks,
 * filters or helpers to run), no terminal prompts, and the repository given explicitly.
 */

/** Found on PATH, as any git a user runs. */
export const GIT = 'git';

function gitEnv(gitDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  return {
    ...env,
    GIT_DIR: gitDir,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    HOME: os.tmpdir(),
    XDG_CONFIG_HOME: os.tmpdir(),
    GIT_TERMINAL_PROMPT: '0',
    GIT_ATTR_NOSYSTEM: '1',
    LANG: 'C',
    LC_ALL: 'C',
  };
}

export class GitError extends Error {}

type GitChild = ChildProcessByStdio<Writable, null, Readable>;

/** Starts `git args` on `gitDir` with stdin open for the caller; `done` settles when it exits. */
export function startGit(gitDir: string, args: string[]): { child: GitChild; done: Promise<void> } {
  const child = spawn(GIT, args, { env: gitEnv(gitDir), stdio: ['pipe', 'ignore', 'pipe'] });
  // Writing to a git that exited fails with EPIPE; its exit status and stderr are the error reported.
  child.stdin.on('error', () => undefined);
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    if (stderr.length < 4000) stderr += c.toString();
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (err) => reject(new GitError(`git ${args[0]} did not start: ${err.message}`)));
    child.on('close', (code, signal) =>
      code === 0 ? resolve() : reject(new GitError(`git ${args[0]} failed (${signal ?? code}): ${stderr.trim().slice(0, 2000)}`)),
    );
  });
  return { child, done };
}

/** Runs `git args` on `gitDir` to its end. */
export async function runGit(gitDir: string, args: string[]): Promise<void> {
  const { child, done } = startGit(gitDir, args);
  child.stdin.end();
  await done;
}
