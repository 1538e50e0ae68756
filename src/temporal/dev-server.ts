import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../jobs/search-attributes';

/**
 * Dynamic config Jobline needs from the first start of a database file (the server cannot migrate a
 * task backlog between matchers later). Priority is ignored by server 1.29 without the new matcher, and
 * it orders tasks only within a partition: one partition is plenty for a single-node dev server and makes
 * priority strict.
 */
export const JOBLINE_DYNAMIC_CONFIG: Record<string, unknown> = {
  'matching.useNewMatcher': true,
  // Fair share between tenants: a job's tenant is its fairness key (src/tenancy/fair-priority.ts), and the
  // matcher dispatches each key's tasks in proportion to its weight, so one tenant's backlog cannot starve
  // another's. Priority still comes first. Implies the new matcher.
  'matching.enableFairness': true,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  // Every timer (retry backoff, delayed start) fires no sooner than now + this shift, an allowance for
  // clock skew between history hosts. A single-node dev server has no skew; the 1 s default would turn a
  // 200 ms backoff into 1 s.
  'history.timerProcessorMaxTimeShift': '100ms',
  // A worker with a free slot gets the activity with its workflow task's answer, skipping a round trip
  // through matching (bench: dispatch p50 87 → 53 ms).
  'system.enableActivityEagerExecution': true,
  // List, count and describe-by-query calls per second per frontend and namespace (the API's listing and
  // dead-letter pages, the Web UI). The dev server raises the server's default of 10 to 100; the full
  // server gets the same from this.
  'frontend.namespaceRPS.visibility': 100,
};

/**
 * Dev-server settings that undo the CLI's test-suite defaults (a full server has them already, so the
 * cluster's dynamic config does not need them). The CLI forces the search-attribute cache to refresh on
 * every read, which made every start, upsert and visibility write re-read cluster metadata (bench: 12
 * `GetCurrentClusterMetadata` calls per job). With SQL visibility, as here, that metadata holds only the
 * pre-allocated columns (Keyword01…), fixed when the database is created: registering an attribute (the
 * `--search-attribute` flags, `ensureSearchAttributes`) writes an alias into the namespace, which the
 * namespace registry refreshes on its own whatever this flag says (test/dev-server.test.ts starts a job
 * with a re-registered attribute right away). So the cache never serves a stale answer here.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Record<string, unknown> = {
  'system.forceSearchAttributesCacheRefreshOnRead': false,
};

export interface DevServerOptions {
  /** The `temporal` CLI binary. */
  binary: string;
  ip?: string;
  port: number;
  /** Undefined: headless (no Web UI). */
  uiPort?: number;
  metricsPort?: number;
  /** Undefined: in memory. */
  dbFile?: string;
  /**
   * SQLite `synchronous` for the database file (journal in WAL mode either way). `normal` can lose the
   * last commits on a power loss or OS crash (never corrupts); `full` syncs every commit. Default normal.
   */
  sqliteSynchronous?: 'normal' | 'full';
  namespace?: string;
  /** The codec server the Web UI decodes payloads with (`<API URL>/codec`); the browser calls it. */
  uiCodecEndpoint?: string;
  /** How long to wait for the frontend to answer. */
  startTimeoutMs?: number;
  /** Dynamic config on top of JOBLINE_DYNAMIC_CONFIG (a test's control server turns fairness off). */
  dynamicConfig?: Record<string, unknown>;
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  metricsUrl?: string;
  pid: number;
  /** Resolves with the exit code once the server has exited, for whatever reason. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export class DevServerStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(`${message}${output ? `\n--- temporal server output ---\n${output}` : ''}`);
    this.name = 'DevServerStartError';
  }
}

const OUTPUT_TAIL_BYTES = 16 * 1024;

/**
 * Runs the server under a tiny sh watchdog that stops it once the Node process that started it is gone,
 * even if that process was SIGKILLed (no `exit` handler runs then) and would otherwise leave an orphan
 * holding the ports.
 */
const WATCHDOG = `
"$@" &
server=$!
trap 'kill -TERM "$server" 2>/dev/null' TERM INT
while kill -0 "$server" 2>/dev/null; do
  kill -0 "$JOBLINE_PARENT_PID" 2>/dev/null || { kill -TERM "$server" 2>/dev/null; break; }
  sleep 1
done
wait "$server"
`;

export function devServerArgs(options: DevServerOptions): string[] {
  const ip = options.ip ?? '127.0.0.1';
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(options.port), '--log-level', 'warn'];
  if (options.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort));
  if (options.metricsPort !== undefined) args.push('--metrics-port', String(options.metricsPort));
  if (options.uiCodecEndpoint !== undefined && options.uiPort !== undefined) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  if (options.dbFile) {
    // The default rollback journal syncs every commit through one connection: the bench measured ~3x the
    // throughput with WAL and synchronous=normal.
    args.push('--db-filename', options.dbFile);
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', `synchronous=${options.sqliteSynchronous ?? 'normal'}`);
  }
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  for (const [name, type] of Object.entries(CUSTOM_SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries({ ...JOBLINE_DYNAMIC_CONFIG, ...DEV_SERVER_DYNAMIC_CONFIG, ...options.dynamicConfig })) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  return args;
}

/**
 * Starts `temporal server start-dev` as a child process and resolves once its frontend answers a
 * request. The child runs in its own process group so that a terminal's Ctrl-C reaches only us: we stop
 * the server after the worker has drained, not while it still reports results.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  if (!fs.existsSync(options.binary)) {
    throw new DevServerStartError(
      `Temporal CLI not found at ${options.binary}: run \`npm install\` (it installs it) or set TEMPORAL_CLI_PATH`,
      '',
    );
  }
  if (options.dbFile) fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const ip = options.ip ?? '127.0.0.1';
  // Another server on our port would answer the readiness probe in our server's place.
  for (const port of [options.port, options.uiPort, options.metricsPort]) {
    if (port !== undefined && (await isPortTaken(ip, port))) {
      throw new DevServerStartError(`port ${port} on ${ip} is already in use (another Temporal server or \`npm start\`?)`, '');
    }
  }
  const namespace = options.namespace ?? 'default';
  const child = spawn('sh', ['-c', WATCHDOG, 'jobline-temporal', options.binary, ...devServerArgs(options)], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, JOBLINE_PARENT_PID: String(process.pid) },
  });
  let output = '';
  const keepTail = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  // A crash of our process must not leave an orphan server holding the ports.
  const killOnExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.removeListener('exit', killOnExit);
      resolve(code);
    }),
  );

  const address = `${ip}:${options.port}`;
  try {
    await waitUntilServing(address, namespace, options.startTimeoutMs ?? 60_000, exited);
  } catch (err) {
    process.removeListener('exit', killOnExit);
    killGroup(child, 'SIGKILL');
    await exited;
    throw new DevServerStartError((err as Error).message, output.trim());
  }

  let stopping: Promise<void> | undefined;
  return {
    address,
    namespace,
    uiUrl: options.uiPort === undefined ? undefined : `http://${ip}:${options.uiPort}`,
    metricsUrl: options.metricsPort === undefined ? undefined : `http://${ip}:${options.metricsPort}/metrics`,
    pid: child.pid ?? -1,
    exited,
    stop() {
      stopping ??= (async () => {
        process.removeListener('exit', killOnExit);
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** Only EADDRINUSE counts: any other bind error is the server's to report, with its own words. */
function isPortTaken(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    probe.listen(port, host, () => probe.close(() => resolve(false)));
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function waitUntilServing(address: string, namespace: string, timeoutMs: number, exited: Promise<number | null>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`temporal server exited with code ${exitCode} during start-up`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        // The namespace is registered a moment after the frontend opens; wait for both.
        await connection.workflowService.describeNamespace({ namespace });
        if (exitCode === undefined) return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`temporal server did not answer at ${address} within ${timeoutMs} ms: ${String(lastError)}`);
}

export interface SupervisorOptions {
  /** Told of every unexpected exit and restart. */
  log: { warn(details: object, message: string): void; error(details: object, message: string): void };
  /** Called when the server keeps dying: `maxRestarts` restarts within `windowMs` did not keep it up. */
  onGiveUp(err: Error): void;
  maxRestarts?: number;
  windowMs?: number;
}

const RESTART_BACKOFF_MS = [1_000, 2_000, 4_000, 8_000, 16_000];

/**
 * Starts the dev server and restarts it (same ports, same database file) whenever it exits without
 * `stop()`: after 1, 2, 4, 8, 16 s, at most `maxRestarts` (5) times within `windowMs` (10 min); then
 * `onGiveUp`. Clients and workers reconnect by themselves (gRPC channels retry), so nothing else restarts.
 */
export async function superviseDevServer(options: DevServerOptions, supervisor: SupervisorOptions): Promise<DevServer> {
  const maxRestarts = supervisor.maxRestarts ?? 5;
  const windowMs = supervisor.windowMs ?? 10 * 60_000;
  let current = await startDevServer(options);
  let stopped = false;
  const restarts: number[] = [];

  const watch = (server: DevServer): void => {
    void server.exited.then(async (code) => {
      if (stopped) return;
      const now = Date.now();
      while (restarts.length > 0 && now - restarts[0]! > windowMs) restarts.shift();
      if (restarts.length >= maxRestarts) {
        supervisor.onGiveUp(
          new Error(`the embedded Temporal server exited (code ${code}) ${maxRestarts + 1} times within ${windowMs / 60_000} min`),
        );
        return;
      }
      const delayMs = RESTART_BACKOFF_MS[Math.min(restarts.length, RESTART_BACKOFF_MS.length - 1)]!;
      restarts.push(now);
      supervisor.log.warn({ code, delayMs, restart: restarts.length }, 'the embedded Temporal server exited unexpectedly; restarting it');
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        if (stopped) return;
        try {
          current = await startDevServer(options);
          supervisor.log.warn({ pid: current.pid }, 'the embedded Temporal server is back');
          watch(current);
          return;
        } catch (err) {
          if (restarts.length >= maxRestarts) {
            supervisor.onGiveUp(err as Error);
            return;
          }
          restarts.push(Date.now());
          supervisor.log.error({ err }, 'the embedded Temporal server did not restart; trying again');
        }
      }
    });
  };
  watch(current);

  return {
    get address() {
      return current.address;
    },
    get namespace() {
      return current.namespace;
    },
    get uiUrl() {
      return current.uiUrl;
    },
    get metricsUrl() {
      return current.metricsUrl;
    },
    get pid() {
      return current.pid;
    },
    get exited() {
      return current.exited;
    },
    stop() {
      stopped = true;
      return current.stop();
    },
  };
}
