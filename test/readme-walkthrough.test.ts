import { it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

/*
 * The README's walk-through, run as written (only its port and data folder are changed, so that it
 * neither takes 8080 nor writes into the checkout): start, admin token, user, publisher, token,
 * publish, upload, install, download, resolve.
 */
const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip = !fs.existsSync(path.join(root, 'dist', 'main.js'))
  ? 'dist/ is not built (npm ci builds it)'
  : !has('curl') || !has('python3')
    ? 'the walk-through needs curl and python3'
    : false;

function walkthrough(): string {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const m = /<!-- walkthrough[^>]*-->\n```sh\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, 'the README marks its walk-through');
  return m[1];
}

it('runs the README walk-through as written', { skip }, async () => {
  const free = net.createServer();
  await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
  const port = (free.address() as net.AddressInfo).port;
  await new Promise((r) => free.close(r));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyreg-readme-'));
  for (const name of ['package.json', 'dist', 'node_modules']) fs.symlinkSync(path.join(root, name), path.join(dir, name));
  const script = walkthrough();
  assert.match(script, /^export PORT=8080 COMFYREG_DATA_DIR=\.\/data$/m);
  const adapted = `set -e\n${script.replace(/^export PORT=8080 COMFYREG_DATA_DIR=\.\/data$/m, `export PORT=${port} COMFYREG_DATA_DIR=./data COMFYREG_LOG_LEVEL=warn`)}`;
  // Its own process group, so that the server it leaves running is stopped with it.
  const proc = spawn('bash', ['-c', adapted], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d));
  proc.stderr.on('data', (d: Buffer) => (out += d));
  try {
    const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
    assert.equal(code, 0, out);
    assert.match(out, /installed byte for byte/);
    assert.match(out, /^ada-blur$/m);
  } finally {
    try {
      process.kill(-proc.pid!, 'SIGTERM');
    } catch {
      // the group is gone already
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
