import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ClusterBinaries } from './binaries';
import { DB_PASSWORD_VAR, METRICS_PORT_VAR, SERVER_CONFIG_ENV, uiConfigDir } from './server-config';
import type { ClusterSettings, ServiceName } from './settings';

/**
 * The cluster's processes: one per server service plus the Web UI, each detached (they outlive
 * `npm run cluster -- up`) with its own log file and pid file under the state directory.
 */

export type ProcessName = ServiceName | 'ui';

export interface ProcessState {
  name: ProcessName;
  pid?: number;
  running: boolean;
  logFile: string;
}

const pidFile = (settings: ClusterSettings, name: ProcessName) => path.join(settings.runDir, `${name}.pid`);
export const logFileOf = (settings: ClusterSettings, name: ProcessName) => path.join(settings.logDir, `${name}.log`);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(settings: ClusterSettings, name: ProcessName): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile(settings, name), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function processState(settings: ClusterSettings, name: ProcessName): ProcessState {
  const pid = readPid(settings, name);
  return { name, pid, running: pid !== undefined && isAlive(pid), logFile: logFileOf(settings, name) };
}

function argvOf(binaries: ClusterBinaries, settings: ClusterSettings, name: ProcessName): { file: string; args: string[] } {
  if (name === 'ui') {
    return { file: binaries.uiServer, args: ['--root', '/', '--config', uiConfigDir(settings), '--env', SERVER_CONFIG_ENV, 'start'] };
  }
  return {
    file: binaries.server,
    args: ['--root', '/', '--config', settings.configDir, '--env', SERVER_CONFIG_ENV, '--allow-no-auth', 'start', '--service', name],
  };
}

/** Starts one process unless it already runs; returns its pid. */
export function startProcess(binaries: ClusterBinaries, settings: ClusterSettings, name: ProcessName): number {
  const state = processState(settings, name);
  if (state.running && state.pid !== undefined) return state.pid;
  fs.mkdirSync(settings.logDir, { recursive: true });
  fs.mkdirSync(settings.runDir, { recursive: true });
  const log = fs.openSync(state.logFile, 'a');
  try {
    const { file, args } = argvOf(binaries, settings, name);
    const metricsPort = name === 'ui' ? '' : String(settings.ports[name].metrics);
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, [METRICS_PORT_VAR]: metricsPort, [DB_PASSWORD_VAR]: settings.database.password },
    });
    if (child.pid === undefined) throw new Error(`could not start ${file}`);
    child.unref();
    fs.writeFileSync(pidFile(settings, name), `${child.pid}\n`);
    return child.pid;
  } finally {
    fs.closeSync(log);
  }
}

/**
 * Stops one process: SIGTERM (the server drains: the frontend stops taking calls, history hands its shards
 * back) and, after `graceMs`, SIGKILL. `signal: 'SIGKILL'` kills at once (the tests' crash case).
 */
export async function stopProcess(
  settings: ClusterSettings,
  name: ProcessName,
  { signal = 'SIGTERM', graceMs = 20_000 }: { signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<boolean> {
  const { pid, running } = processState(settings, name);
  fs.rmSync(pidFile(settings, name), { force: true });
  if (pid === undefined || !running) return false;
  process.kill(pid, signal);
  const deadline = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) process.kill(pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/** The last lines of a process's log, for an error message. */
export function logTail(settings: ClusterSettings, name: ProcessName, lines = 15): string {
  try {
    return fs.readFileSync(logFileOf(settings, name), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
