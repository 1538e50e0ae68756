#!/usr/bin/env node
// Puts the Temporal CLI (dev server + operator CLI) at .temporal/bin/temporal.
//
// Runs as `postinstall`, so it must work before anything is compiled: plain CommonJS, Node built-ins only.
// Sources, first that works wins:
//   1. TEMPORAL_CLI_PATH            an explicit binary
//   2. `temporal` on PATH           if its version is >= MIN_VERSION
//   3. the per-user cache           ~/.cache/jobline/temporal/<version>/temporal (a fresh clone reuses it)
//   4. `go install`                 builds the pinned tag with the Go toolchain (works without internet
//                                   access beyond the Go module proxy)
//   5. the official release archive for this platform
// Every write goes to a temp name first and is renamed into place, so an interrupted run never
// leaves a half-written binary behind.
'use strict';

const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PINNED_VERSION = '1.5.1';
const MIN_VERSION = [1, 5, 0];
const GO_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';
const PROJECT_ROOT = path.resolve(__dirname, '..');
const BIN_NAME = process.platform === 'win32' ? 'temporal.exe' : 'temporal';
const TARGET = path.join(PROJECT_ROOT, '.temporal', 'bin', BIN_NAME);

function log(message) {
  process.stderr.write(`[jobline:install-temporal] ${message}\n`);
}

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'jobline', 'temporal', PINNED_VERSION);
}

/** Returns the version triple a binary reports, or undefined if it does not run or is not the Temporal CLI. */
function versionOf(binary) {
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  if (run.status !== 0) return undefined;
  const match = /temporal version (\d+)\.(\d+)\.(\d+)/.exec(run.stdout);
  return match ? match.slice(1, 4).map(Number) : undefined;
}

function isRecentEnough(version) {
  if (!version) return false;
  for (let i = 0; i < 3; i += 1) {
    if (version[i] !== MIN_VERSION[i]) return version[i] > MIN_VERSION[i];
  }
  return true;
}

function findOnPath() {
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, BIN_NAME);
    if (path.resolve(candidate) === TARGET) continue;
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/**
 * Places `source` at `destination` through a temp name and an atomic rename. A hard link when both are on
 * one file system (the binary is ~200 MB), else a copy; either survives the source being deleted later.
 */
function installAtomically(source, destination) {
  fs.mkdirSync(path.dirname(destination), { recursive: true });
  const temp = `${destination}.tmp-${process.pid}`;
  try {
    try {
      fs.linkSync(source, temp);
    } catch {
      fs.copyFileSync(source, temp);
    }
    fs.chmodSync(temp, 0o755);
    fs.renameSync(temp, destination);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function hasGo() {
  return spawnSync('go', ['version'], { encoding: 'utf8' }).status === 0;
}

/** Builds the pinned tag into the cache. Returns the cached binary or undefined. */
function buildWithGo(cachedBinary) {
  const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-temporal-go-'));
  log(`building temporal v${PINNED_VERSION} with \`go install\` (a few minutes when Go's build cache is cold)...`);
  // The same flags as the official release build; without -X the binary reports version 0.0.0-DEV.
  const ldflags = `-s -w -X github.com/temporalio/cli/temporalcli.Version=${PINNED_VERSION}`;
  const run = spawnSync('go', ['install', '-ldflags', ldflags, `${GO_PACKAGE}@v${PINNED_VERSION}`], {
    env: { ...process.env, GOBIN: buildDir, CGO_ENABLED: '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    const built = path.join(buildDir, BIN_NAME);
    if (run.status !== 0 || !fs.existsSync(built)) {
      log(`go install failed (exit ${run.status})`);
      return undefined;
    }
    installAtomically(built, cachedBinary);
    return cachedBinary;
  } finally {
    fs.rmSync(buildDir, { recursive: true, force: true });
  }
}

function releasePlatform() {
  const platforms = { linux: 'linux', darwin: 'darwin' };
  const arches = { x64: 'amd64', arm64: 'arm64' };
  const platform = platforms[process.platform];
  const arch = arches[process.arch];
  return platform && arch ? { platform, arch } : undefined;
}

/** Downloads the official release archive into the cache. Returns the cached binary or undefined. */
async function downloadRelease(cachedBinary) {
  const target = releasePlatform();
  if (!target) {
    log(`no release archive known for ${process.platform}/${process.arch}`);
    return undefined;
  }
  // JOBLINE_TEMPORAL_DOWNLOAD_URL points at a mirror (same query parameters) where the official host is not reachable.
  const base = process.env.JOBLINE_TEMPORAL_DOWNLOAD_URL || `https://temporal.download/cli/archive/v${PINNED_VERSION}`;
  const url = `${base}?platform=${target.platform}&arch=${target.arch}`;
  log(`downloading ${url} ...`);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-temporal-dl-'));
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
    if (!response.ok) {
      log(`download failed: HTTP ${response.status}`);
      return undefined;
    }
    const archive = path.join(workDir, 'temporal.tar.gz');
    fs.writeFileSync(archive, Buffer.from(await response.arrayBuffer()));
    execFileSync('tar', ['-xzf', archive, '-C', workDir]);
    const extracted = path.join(workDir, BIN_NAME);
    if (!fs.existsSync(extracted)) {
      log('the archive did not contain a temporal binary');
      return undefined;
    }
    installAtomically(extracted, cachedBinary);
    return cachedBinary;
  } catch (err) {
    log(`download failed: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

function describe(version) {
  return version ? version.join('.') : 'unknown';
}

async function resolveSource() {
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) {
    const version = versionOf(explicit);
    if (!version) throw new Error(`TEMPORAL_CLI_PATH=${explicit} is not a runnable Temporal CLI`);
    return { binary: explicit, how: `TEMPORAL_CLI_PATH (v${describe(version)})` };
  }

  const onPath = findOnPath();
  if (onPath) {
    const version = versionOf(onPath);
    if (isRecentEnough(version)) return { binary: onPath, how: `PATH (v${describe(version)})` };
    log(`ignoring ${onPath}: version ${describe(version)} is older than ${MIN_VERSION.join('.')}`);
  }

  const cached = path.join(cacheDir(), BIN_NAME);
  if (isRecentEnough(versionOf(cached))) return { binary: cached, how: `cache ${cached}` };

  if (hasGo()) {
    const built = buildWithGo(cached);
    if (built && isRecentEnough(versionOf(built))) return { binary: built, how: 'go install' };
  }

  const downloaded = await downloadRelease(cached);
  if (downloaded && isRecentEnough(versionOf(downloaded))) return { binary: downloaded, how: 'release archive' };

  return undefined;
}

async function main() {
  if (process.argv.includes('--print-path')) {
    process.stdout.write(`${TARGET}\n`);
    return;
  }
  if (process.env.JOBLINE_SKIP_TEMPORAL_INSTALL === '1') {
    log('JOBLINE_SKIP_TEMPORAL_INSTALL=1: skipped');
    return;
  }
  if (isRecentEnough(versionOf(TARGET))) {
    log(`already installed: ${TARGET} (v${describe(versionOf(TARGET))})`);
    return;
  }

  const source = await resolveSource();
  if (!source) {
    log(
      [
        `could not install the Temporal CLI v${PINNED_VERSION}. Any one of these fixes it:`,
        '  - set TEMPORAL_CLI_PATH to an existing `temporal` binary (v1.5.0 or newer), or',
        '  - put `temporal` v1.5.0+ on your PATH (https://docs.temporal.io/cli), or',
        '  - install Go 1.25+ so that `go install` can build it, or',
        '  - allow downloads from temporal.download, or',
        '  - set JOBLINE_SKIP_TEMPORAL_INSTALL=1 and TEMPORAL_ADDRESS to use an existing server.',
      ].join('\n'),
    );
    process.exitCode = 1;
    return;
  }
  installAtomically(source.binary, TARGET);
  log(`installed ${TARGET} from ${source.how}`);
}

// The full server's installer (install-temporal-server.cjs) places its binaries the same way.
module.exports = { installAtomically };

if (require.main === module) {
  main().catch((err) => {
    log(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  });
}
