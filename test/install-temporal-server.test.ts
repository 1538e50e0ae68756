import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config';
import { clusterBinaries } from '../src/temporal/cluster/binaries';
import { SERVER_VERSION, UI_VERSION } from '../src/temporal/cluster/settings';

const SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'install-temporal-server.cjs');

/**
 * A scratch project holding only the install script, under data/ (git-ignored, on the same file system
 * as .temporal, so the cached binaries can be hard-linked rather than copied).
 */
function scratchProject() {
  const root = fs.mkdtempSync(path.join(PROJECT_ROOT, 'data', 'install-server-'));
  fs.mkdirSync(path.join(root, 'scripts'));
  fs.copyFileSync(SCRIPT, path.join(root, 'scripts', 'install-temporal-server.cjs'));
  // It places its binaries with the CLI installer's installAtomically.
  fs.copyFileSync(path.join(PROJECT_ROOT, 'scripts', 'install-temporal.cjs'), path.join(root, 'scripts', 'install-temporal.cjs'));
  const cache = path.join(root, 'cache');
  const run = () =>
    spawnSync(process.execPath, [path.join(root, 'scripts', 'install-temporal-server.cjs')], {
      encoding: 'utf8',
      // No Go and no real cache unless a test puts them there.
      env: { HOME: root, XDG_CACHE_HOME: cache, PATH: path.join(root, 'no-such-dir') },
      timeout: 60_000,
    });
  return { root, cache, run, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

describe('the full Temporal server install step (scripts/install-temporal-server.cjs)', function () {
  this.timeout(60_000);
  const scratches: Array<ReturnType<typeof scratchProject>> = [];
  before(() => fs.mkdirSync(path.join(PROJECT_ROOT, 'data'), { recursive: true }));
  after(() => scratches.forEach((s) => s.cleanup()));

  it('says what to install when Go is missing and nothing is cached, and installs nothing', () => {
    const s = scratchProject();
    scratches.push(s);
    const run = s.run();
    assert.equal(run.status, 1);
    assert.match(run.stderr, /`go` is not on PATH/);
    assert.match(run.stderr, /Install Go 1\.25 or newer/);
    assert.equal(fs.existsSync(path.join(s.root, '.temporal')), false);
  });

  it('installs from the per-user cache without Go: binaries linked, schema copied, no temp names left', function () {
    const installed = clusterBinaries();
    if (!fs.existsSync(installed.server)) this.skip(); // this checkout has not built the server yet
    const s = scratchProject();
    scratches.push(s);
    const serverCache = path.join(s.cache, 'jobline', 'temporal-server', SERVER_VERSION);
    const uiCache = path.join(s.cache, 'jobline', 'temporal-ui-server', UI_VERSION);
    fs.mkdirSync(serverCache, { recursive: true });
    fs.mkdirSync(uiCache, { recursive: true });
    fs.linkSync(installed.server, path.join(serverCache, 'temporal-server'));
    fs.linkSync(installed.sqlTool, path.join(serverCache, 'temporal-sql-tool'));
    fs.linkSync(installed.uiServer, path.join(uiCache, 'temporal-ui-server'));
    fs.cpSync(installed.schemaDir, path.join(serverCache, 'schema', 'postgresql', 'v12'), { recursive: true });

    const run = s.run();
    assert.equal(run.status, 0, run.stderr);
    const bin = path.join(s.root, '.temporal', 'bin');
    for (const [name, cached] of [
      ['temporal-server', serverCache],
      ['temporal-sql-tool', serverCache],
      ['temporal-ui-server', uiCache],
    ] as const) {
      assert.equal(fs.statSync(path.join(bin, name)).ino, fs.statSync(path.join(cached, name)).ino, `${name} is a hard link`);
    }
    const version = spawnSync(path.join(bin, 'temporal-server'), ['--version'], { encoding: 'utf8' }).stdout;
    assert.match(version, new RegExp(`temporal version ${SERVER_VERSION.replaceAll('.', '\\.')}`));
    const schema = path.join(s.root, '.temporal', 'server-schema', SERVER_VERSION);
    assert.ok(fs.existsSync(path.join(schema, 'temporal', 'versioned')));
    assert.ok(fs.existsSync(path.join(schema, 'visibility', 'versioned')));
    assert.deepEqual(
      fs.readdirSync(bin).filter((name) => name.includes('.tmp-')),
      [],
    );

    const again = s.run();
    assert.equal(again.status, 0, again.stderr);
    assert.equal((again.stderr.match(/already installed/g) ?? []).length, 4, again.stderr);
  });
});
