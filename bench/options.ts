import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { UsageError } from './cli';
import { SCENARIOS, type ScenarioName } from './phase';

/**
 * Dev-server settings the bench's findings recommend beyond Jobline's defaults (see bench/README.md). SQLite
 * in WAL mode and eager activity dispatch became the defaults of src/temporal/dev-server.ts; what is left is
 * the search-attribute cache the dev server turns off (not a default: see finding 2's catch).
 */
// Now the dev server's default (DEV_SERVER_DYNAMIC_CONFIG): kept so that older commands still parse.
export const RECOMMENDED_SERVER_ARGS = ['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false'];

export const RAW_FEATURES = ['start-attrs', 'timeouts', 'upsert'] as const;
export type RawFeature = (typeof RAW_FEATURES)[number];

export interface BenchOptions {
  jobs: number;
  clients: number;
  scenarios: ScenarioName[];
  /** burst, rate, or both. */
  modes: Array<'burst' | 'rate'>;
  /** Offered rate of the fixed-rate mode; undefined: rateFraction × Jobline's burst completion rate. */
  rate?: number;
  rateFraction: number;
  rateSeconds: number;
  warmup: number;
  activitySlots: number;
  workflowTaskSlots: number;
  autocannon: boolean;
  autocannonSeconds: number;
  profile: boolean;
  /** JSON of extra Temporal Worker options for both Temporal workers (experiments). */
  workerOptions?: string;
  serverArgs: string[];
  /** Jobline features switched on in the raw-Temporal scenario, for attribution experiments. */
  rawFeatures: RawFeature[];
  db: 'file' | 'memory';
  logLevel: string;
  timeoutSec: number;
  redisHost: string;
  redisPort: number;
  resultsDir: string;
  label?: string;
}

export const USAGE = `npm run bench -- [options]        (every option also reads BENCH_<NAME>, e.g. BENCH_JOBS=5000)

  --jobs N                 jobs per burst (default 1000)
  --clients C              concurrent submitters / keep-alive connections (default 32)
  --scenarios LIST         comma-separated: jobline,raw-temporal,bullmq (default all)
  --modes LIST             burst,rate (default both; rate needs a burst first unless --rate is given)
  --rate R                 offered jobs/s in the fixed-rate mode (default: --rate-fraction × Jobline's burst rate)
  --rate-fraction F        (default 0.5)
  --rate-seconds S         length of each fixed-rate run (default 15)
  --warmup N               unmeasured jobs before each scenario (default 50)
  --concurrency N          activity slots per worker, BullMQ concurrency too
                           (default JOBLINE_WORKER_MAX_CONCURRENT_ACTIVITIES or 100)
  --workflow-task-slots N  workflow task slots per Temporal worker (default JOBLINE_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS or 40)
  --skip-autocannon        skip the API-only autocannon runs
  --autocannon-seconds S   length of each autocannon run (default 10)
  --profile                write V8 CPU profiles of the API and workers (bench/results/<run>/profiles)
  --worker-options JSON    extra Temporal Worker options for both Temporal workers, e.g. '{"maxCachedWorkflows":0}'
  --server-arg ARG         extra \`temporal server start-dev\` argument (repeatable), e.g. --server-arg=--sqlite-pragma
                           --server-arg=journal_mode=wal
  --raw-features LIST      experiments: give the raw-Temporal scenario some of Jobline's features, comma-separated:
                           start-attrs (memo, search attributes, priority on start), timeouts (Jobline's activity
                           timeouts and retries), upsert (search attribute + memo upsert on completion)
  --recommended-server     add the dev-server settings bench/README.md recommends:
                           ${RECOMMENDED_SERVER_ARGS.join(' ')}
  --db file|memory         dev server database (default file, in a temp dir)
  --log-level LEVEL        LOG_LEVEL of the API and workers (default LOG_LEVEL or info, as in production)
  --timeout S              longest wait for a phase's jobs to finish (default 300)
  --redis-host H --redis-port P   (default 127.0.0.1:6379)
  --results-dir DIR        (default bench/results)
  --label TEXT             stored in the JSON, to tell experiments apart
`;

const FLAGS = {
  jobs: { type: 'string' },
  clients: { type: 'string' },
  scenarios: { type: 'string' },
  rate: { type: 'string' },
  modes: { type: 'string' },
  'rate-fraction': { type: 'string' },
  'rate-seconds': { type: 'string' },
  warmup: { type: 'string' },
  concurrency: { type: 'string' },
  'workflow-task-slots': { type: 'string' },
  'skip-autocannon': { type: 'boolean' },
  'autocannon-seconds': { type: 'string' },
  profile: { type: 'boolean' },
  'recommended-server': { type: 'boolean' },
  'worker-options': { type: 'string' },
  'server-arg': { type: 'string', multiple: true },
  db: { type: 'string' },
  'raw-features': { type: 'string' },
  'log-level': { type: 'string' },
  timeout: { type: 'string' },
  'redis-host': { type: 'string' },
  'redis-port': { type: 'string' },
  'results-dir': { type: 'string' },
  label: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | 'help' {
  const { values } = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false });
  if (values.help) return 'help';
  const pick = (flag: keyof typeof FLAGS): string | undefined => {
    const value = values[flag];
    if (typeof value === 'string') return value;
    const fromEnv = env[`BENCH_${flag.toUpperCase().replace(/-/g, '_')}`];
    return fromEnv === '' ? undefined : fromEnv;
  };
  const bool = (flag: 'skip-autocannon' | 'profile' | 'recommended-server') =>
    values[flag] === true || ['1', 'true', 'yes'].includes(pick(flag) ?? '');
  const number = (flag: keyof typeof FLAGS, fallback: number, { min = 0, integer = true } = {}): number => {
    const raw = pick(flag);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
      throw new UsageError(`--${flag}: expected ${integer ? 'an integer' : 'a number'} ≥ ${min}, got "${raw}"`);
    }
    return value;
  };
  const config = loadConfig(env);
  const scenarios = (pick('scenarios') ?? SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of scenarios)
    if (!SCENARIOS.includes(s as ScenarioName)) throw new UsageError(`--scenarios: unknown "${s}" (known: ${SCENARIOS.join(', ')})`);
  const modes = (pick('modes') ?? 'burst,rate')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const m of modes) if (m !== 'burst' && m !== 'rate') throw new UsageError(`--modes: unknown "${m}" (known: burst, rate)`);
  const workerOptions = pick('worker-options');
  if (workerOptions !== undefined) {
    try {
      JSON.parse(workerOptions);
    } catch {
      throw new UsageError('--worker-options: not valid JSON');
    }
  }
  const rawFeatures = (pick('raw-features') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const f of rawFeatures)
    if (!RAW_FEATURES.includes(f as RawFeature)) throw new UsageError(`--raw-features: unknown "${f}" (known: ${RAW_FEATURES.join(', ')})`);
  const db = pick('db') ?? 'file';
  if (db !== 'file' && db !== 'memory') throw new UsageError('--db: file or memory');
  const rate = pick('rate') === undefined ? undefined : number('rate', 0, { min: 0.1, integer: false });
  return {
    jobs: number('jobs', 1000, { min: 1 }),
    clients: number('clients', 32, { min: 1 }),
    scenarios: scenarios as ScenarioName[],
    modes: modes as Array<'burst' | 'rate'>,
    ...(rate !== undefined ? { rate } : {}),
    rateFraction: number('rate-fraction', 0.5, { min: 0.01, integer: false }),
    rateSeconds: number('rate-seconds', 15, { min: 1, integer: false }),
    warmup: number('warmup', 50),
    activitySlots: number('concurrency', config.worker.maxConcurrentActivities, { min: 1 }),
    workflowTaskSlots: number('workflow-task-slots', config.worker.maxConcurrentWorkflowTasks, { min: 2 }),
    autocannon: !bool('skip-autocannon'),
    autocannonSeconds: number('autocannon-seconds', 10, { min: 1 }),
    profile: bool('profile'),
    ...(workerOptions !== undefined ? { workerOptions } : {}),
    serverArgs: [
      ...(bool('recommended-server') ? RECOMMENDED_SERVER_ARGS : []),
      ...(values['server-arg'] ?? []),
      ...(env.BENCH_SERVER_ARGS ? env.BENCH_SERVER_ARGS.split(' ').filter(Boolean) : []),
    ],
    rawFeatures: rawFeatures as RawFeature[],
    db,
    logLevel: pick('log-level') ?? config.logLevel,
    timeoutSec: number('timeout', 300, { min: 1 }),
    redisHost: pick('redis-host') ?? '127.0.0.1',
    redisPort: number('redis-port', 6379, { min: 1 }),
    resultsDir: path.resolve(pick('results-dir') ?? path.join(__dirname, 'results')),
    ...(pick('label') !== undefined ? { label: pick('label') } : {}),
  };
}
