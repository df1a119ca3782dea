import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { SETTINGS, commandHelp, parseCommandLine, settingsTable } from '../src/settings/index.js';
import { ERRORS, ERROR_CODES, errorTable } from '../src/contract/index.js';

describe('the settings table', () => {
  it('is the README configuration table, row for row', () => {
    const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    assert.ok(readme.includes(settingsTable()), 'README.md must hold the table that `settingsTable()` prints (npm run settings-table)');
  });

  it('declares each variable and flag once', () => {
    assert.equal(new Set(SETTINGS.map((s) => s.env)).size, SETTINGS.length);
    assert.equal(new Set(SETTINGS.map((s) => s.flag)).size, SETTINGS.length);
  });

  it('is what --help lists, for each command', () => {
    for (const command of ['serve', 'worker', 'user'] as const) {
      const help = commandHelp(command, 'x');
      for (const s of SETTINGS) assert.equal(help.includes(`${s.flag} `), s.commands.includes(command), `${command} --help and ${s.flag}`);
    }
  });

  it('reads --read-cache and COMFYREG_READ_CACHE', () => {
    assert.equal(parseCommandLine('serve', ['--read-cache', '0'], {}).config.readCache, 0);
    assert.equal(parseCommandLine('serve', [], { COMFYREG_READ_CACHE: '5' }).config.readCache, 5);
    assert.equal(parseCommandLine('serve', ['--read-cache=7'], { COMFYREG_READ_CACHE: '5' }).config.readCache, 7, 'the flag wins');
    assert.throws(() => parseCommandLine('serve', ['--read-cache', 'lots'], {}), /COMFYREG_READ_CACHE must be a whole number/);
  });

  it("gives serve and user create one data folder, and refuses another command's flag", () => {
    const serve = parseCommandLine('serve', ['--data-dir', '/tmp/x'], {}).config;
    const user = parseCommandLine('user', ['--data-dir', '/tmp/x'], {}, { name: { type: 'string', help: '' } }).config;
    assert.equal(serve.dataDir, user.dataDir);
    assert.throws(() => parseCommandLine('worker', ['--data-dir', '/tmp/x'], {}), /Unknown option '--data-dir'/);
    assert.throws(() => parseCommandLine('serve', ['--registry', 'http://x'], {}), /Unknown option '--registry'/);
  });

  it('lets a stray variable of another command be', () => {
    assert.equal(parseCommandLine('worker', [], { PORT: 'not a port', COMFYREG_REGISTRY_URL: 'http://r' }).config.registryUrl, 'http://r');
  });
});

describe('the error catalogue', () => {
  it('is the table of docs/errors.md', () => {
    const doc = fs.readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    assert.ok(doc.includes(errorTable()), 'docs/errors.md must hold the table that `errorTable()` prints (npm run errors-table)');
  });

  it('gives every code a status and a message', () => {
    for (const code of ERROR_CODES) {
      assert.ok(ERRORS[code].status >= 400 && ERRORS[code].status < 600, code);
      assert.ok(ERRORS[code].meaning.length > 0, code);
    }
  });
});
