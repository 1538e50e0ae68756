import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CLI_PATH, PROJECT_ROOT } from '../src/config';

const SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'install-temporal.cjs');

/** A scratch project holding only the install script, so the script installs into it. */
function scratchProject() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-install-'));
  fs.mkdirSync(path.join(root, 'scripts'));
  fs.copyFileSync(SCRIPT, path.join(root, 'scripts', 'install-temporal.cjs'));
  const cache = path.join(root, 'cache');
  const target = path.join(root, '.temporal', 'bin', 'temporal');
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [path.join(root, 'scripts', 'install-temporal.cjs')], {
      encoding: 'utf8',
      // No Go, no `temporal` and no real cache unless a test puts them there.
      env: {
        HOME: root,
        XDG_CACHE_HOME: cache,
        PATH: path.join(root, 'no-such-dir'),
        JOBLINE_TEMPORAL_DOWNLOAD_URL: 'http://127.0.0.1:9',
        ...env,
      },
      timeout: 60_000,
    });
  return { root, cache, target, run, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

function version(binary: string): string {
  return spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout;
}

describe('the Temporal CLI install step (scripts/install-temporal.cjs)', function () {
  this.timeout(60_000);
  const scratches: Array<ReturnType<typeof scratchProject>> = [];
  const scratch = () => {
    const s = scratchProject();
    scratches.push(s);
    return s;
  };
  after(() => scratches.forEach((s) => s.cleanup()));

  it('has installed the pinned v1.5.1 for this project', () => {
    assert.match(version(DEFAULT_CLI_PATH), /temporal version 1\.5\.1 \(Server 1\.29\.1/);
  });

  it('is a fast no-op when the binary is already in place', () => {
    const started = Date.now();
    const run = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /already installed/);
    assert.ok(Date.now() - started < 5_000);
  });

  it('uses TEMPORAL_CLI_PATH first', () => {
    const s = scratch();
    const run = s.run({ TEMPORAL_CLI_PATH: DEFAULT_CLI_PATH });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /from TEMPORAL_CLI_PATH \(v1\.5\.1\)/);
    assert.match(version(s.target), /temporal version 1\.5\.1/);
  });

  it('uses a recent enough `temporal` on PATH', () => {
    const s = scratch();
    const bin = path.join(s.root, 'path-bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(DEFAULT_CLI_PATH, path.join(bin, 'temporal'));
    const run = s.run({ PATH: bin });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /from PATH \(v1\.5\.1\)/);
    assert.match(version(s.target), /temporal version 1\.5\.1/);
  });

  it('skips an older `temporal` on PATH and takes the per-user cache', () => {
    const s = scratch();
    const bin = path.join(s.root, 'path-bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'temporal'), '#!/bin/sh\necho "temporal version 1.4.0 (Server 1.28.0, UI 2.40.0)"\n', { mode: 0o755 });
    const cached = path.join(s.cache, 'jobline', 'temporal', '1.5.1', 'temporal');
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.symlinkSync(DEFAULT_CLI_PATH, cached);
    const run = s.run({ PATH: `${bin}:/usr/bin:/bin` });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /ignoring .*version 1\.4\.0/);
    assert.match(run.stderr, /from cache/);
    assert.match(version(s.target), /temporal version 1\.5\.1/);
  });

  it('fails with one message naming every option, and leaves no binary behind, when nothing works', () => {
    const s = scratch();
    const run = s.run({});
    assert.equal(run.status, 1);
    for (const option of ['TEMPORAL_CLI_PATH', 'PATH', 'Go', 'temporal.download', 'JOBLINE_SKIP_TEMPORAL_INSTALL']) {
      assert.ok(run.stderr.includes(option), `the message should name ${option}:\n${run.stderr}`);
    }
    assert.equal(fs.existsSync(s.target), false);
    const leftovers = fs.existsSync(path.dirname(s.target)) ? fs.readdirSync(path.dirname(s.target)) : [];
    assert.deepEqual(leftovers, []);
  });

  it('refuses a TEMPORAL_CLI_PATH that is not a Temporal CLI', () => {
    const s = scratch();
    const run = s.run({ TEMPORAL_CLI_PATH: '/bin/true' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /TEMPORAL_CLI_PATH=\/bin\/true is not a runnable Temporal CLI/);
    assert.equal(fs.existsSync(s.target), false);
  });
});
