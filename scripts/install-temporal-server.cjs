#!/usr/bin/env node
// Puts the full Temporal server (production mode) and what runs beside it into .temporal/:
//   .temporal/bin/temporal-server        go.temporal.io/server/cmd/server            (frontend, history, matching, worker)
//   .temporal/bin/temporal-sql-tool      go.temporal.io/server/cmd/tools/sql         (creates and upgrades the schemas)
//   .temporal/bin/temporal-ui-server     github.com/temporalio/ui-server/v2/cmd/server (the Web UI the CLI bundles)
//   .temporal/server-schema/<version>/   schema/postgresql/v12 from the server module (the sql tool's input)
//
// Not part of `npm install`: building the server takes minutes. `npm run cluster -- up` and .ci/run call it.
// Plain CommonJS with Node built-ins only, like scripts/install-temporal.cjs, which it follows:
//   1. the per-user cache ~/.cache/jobline/temporal-server/<version>/ (and temporal-ui-server/<version>/),
//      so a fresh clone reuses an earlier build;
//   2. else `go install <package>@<version>` (Go 1.25+; needs the Go module proxy or a warm module cache).
// Every write goes to a temp name first and is renamed into place, so an interrupted run never leaves a
// half-written binary or a half-copied schema behind.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { installAtomically } = require('./install-temporal.cjs');

const SERVER_VERSION = '1.29.1';
const UI_VERSION = '2.42.1';
const SERVER_MODULE = 'go.temporal.io/server';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';
const PROJECT_ROOT = path.resolve(__dirname, '..');
const BIN_DIR = path.join(PROJECT_ROOT, '.temporal', 'bin');
const SCHEMA_TARGET = path.join(PROJECT_ROOT, '.temporal', 'server-schema', SERVER_VERSION);
/** The part of the server module the sql tool reads (PostgreSQL 12+, the `postgres12` plugin). */
const SCHEMA_SUBDIR = path.join('schema', 'postgresql', 'v12');

/** What gets built, where `go install` names it, and the name it gets here. */
const BINARIES = [
  { name: 'temporal-server', pkg: `${SERVER_MODULE}/cmd/server`, version: SERVER_VERSION, cache: 'temporal-server' },
  { name: 'temporal-sql-tool', pkg: `${SERVER_MODULE}/cmd/tools/sql`, version: SERVER_VERSION, cache: 'temporal-server' },
  { name: 'temporal-ui-server', pkg: `${UI_MODULE}/cmd/server`, version: UI_VERSION, cache: 'temporal-ui-server' },
];

function log(message) {
  process.stderr.write(`[jobline:install-temporal-server] ${message}\n`);
}

function cacheDir(kind, version) {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'jobline', kind, version);
}

/** A binary counts as installed when it runs and reports the pinned version. */
function reportsVersion(binary, version) {
  if (!fs.existsSync(binary)) return false;
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return run.status === 0 && `${run.stdout}${run.stderr}`.includes(version);
}

/** Copies a directory tree to `destination` through a temp name; an existing copy is replaced whole. */
function installTree(source, destination) {
  fs.mkdirSync(path.dirname(destination), { recursive: true });
  const temp = `${destination}.tmp-${process.pid}`;
  const old = `${destination}.old-${process.pid}`;
  try {
    fs.cpSync(source, temp, { recursive: true });
    // Module cache files are read-only; the copy must stay removable.
    fs.chmodSync(temp, 0o755);
    for (const entry of fs.readdirSync(temp, { recursive: true })) fs.chmodSync(path.join(temp, String(entry)), 0o755);
    if (fs.existsSync(destination)) fs.renameSync(destination, old);
    fs.renameSync(temp, destination);
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
    fs.rmSync(old, { recursive: true, force: true });
  }
}

function goAvailable() {
  return spawnSync('go', ['version'], { encoding: 'utf8' }).status === 0;
}

/** `go install` into a scratch GOBIN (two of the packages are both called `server`), then into the cache. */
function buildIntoCache(binary, cached) {
  const gobin = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-temporal-server-go-'));
  try {
    const started = Date.now();
    log(`building ${binary.pkg}@v${binary.version} with \`go install\` (minutes when Go's build cache is cold)...`);
    const run = spawnSync('go', ['install', '-ldflags', '-s -w', `${binary.pkg}@v${binary.version}`], {
      env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const built = path.join(gobin, path.basename(binary.pkg));
    if (run.status !== 0 || !fs.existsSync(built)) {
      log(`go install ${binary.pkg}@v${binary.version} failed (exit ${run.status})`);
      return false;
    }
    installAtomically(built, cached);
    log(`built ${binary.name} in ${Math.round((Date.now() - started) / 1000)} s`);
    return true;
  } finally {
    fs.rmSync(gobin, { recursive: true, force: true });
  }
}

/** The server module's directory in Go's module cache (downloads it when missing). */
function serverModuleDir() {
  const run = spawnSync('go', ['mod', 'download', '-json', `${SERVER_MODULE}@v${SERVER_VERSION}`], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`go mod download ${SERVER_MODULE}@v${SERVER_VERSION} failed: ${run.stderr.trim()}`);
  const { Dir: dir } = JSON.parse(run.stdout);
  if (!dir || !fs.existsSync(path.join(dir, SCHEMA_SUBDIR))) throw new Error(`no ${SCHEMA_SUBDIR} in ${dir}`);
  return dir;
}

function ensureBinary(binary) {
  const target = path.join(BIN_DIR, binary.name);
  if (reportsVersion(target, binary.version)) return `${binary.name}: already installed`;
  const cached = path.join(cacheDir(binary.cache, binary.version), binary.name);
  if (!reportsVersion(cached, binary.version)) {
    if (!buildIntoCache(binary, cached) || !reportsVersion(cached, binary.version)) {
      throw new Error(`could not build ${binary.name} v${binary.version}`);
    }
  }
  installAtomically(cached, target);
  return `${binary.name}: installed ${target} from ${cached}`;
}

function ensureSchema() {
  if (fs.existsSync(path.join(SCHEMA_TARGET, 'temporal', 'versioned'))) return 'schema: already installed';
  const cached = path.join(cacheDir('temporal-server', SERVER_VERSION), SCHEMA_SUBDIR);
  if (!fs.existsSync(path.join(cached, 'temporal', 'versioned'))) installTree(path.join(serverModuleDir(), SCHEMA_SUBDIR), cached);
  installTree(cached, SCHEMA_TARGET);
  return `schema: installed ${SCHEMA_TARGET}`;
}

function nothingToBuild() {
  const cachedOrInstalled = (binary) =>
    reportsVersion(path.join(BIN_DIR, binary.name), binary.version) ||
    reportsVersion(path.join(cacheDir(binary.cache, binary.version), binary.name), binary.version);
  const schemaThere =
    fs.existsSync(path.join(SCHEMA_TARGET, 'temporal', 'versioned')) ||
    fs.existsSync(path.join(cacheDir('temporal-server', SERVER_VERSION), SCHEMA_SUBDIR, 'temporal', 'versioned'));
  return BINARIES.every(cachedOrInstalled) && schemaThere;
}

function main() {
  if (process.argv.includes('--print-paths')) {
    const paths = Object.fromEntries(BINARIES.map((b) => [b.name, path.join(BIN_DIR, b.name)]));
    process.stdout.write(`${JSON.stringify({ ...paths, schemaDir: SCHEMA_TARGET })}\n`);
    return;
  }
  if (!nothingToBuild() && !goAvailable()) {
    log(
      [
        `the full Temporal server v${SERVER_VERSION} is built from source with Go, and \`go\` is not on PATH.`,
        '  Install Go 1.25 or newer (https://go.dev/doc/install; e.g. /usr/local/go/bin on PATH), then re-run.',
        `  A machine that built it before keeps it in ${cacheDir('temporal-server', SERVER_VERSION)}.`,
      ].join('\n'),
    );
    process.exitCode = 1;
    return;
  }
  for (const binary of BINARIES) log(ensureBinary(binary));
  log(ensureSchema());
}

try {
  main();
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
