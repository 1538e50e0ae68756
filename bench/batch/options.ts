import path from 'node:path';
import { parseArgs } from 'node:util';
import { BATCH_DEFAULT_CONCURRENCY, BATCH_MAX_CHUNK_SIZE, BATCH_MAX_CONCURRENCY, defaultChunkSize } from '../../src/jobs/batch';
import { UsageError } from '../cli';

export const BATCH_SYSTEMS = ['jobline', 'bullmq'] as const;
export type BatchSystem = (typeof BATCH_SYSTEMS)[number];

export interface BatchBenchOptions {
  items: number;
  chunkSize: number;
  /** Jobline: chunk activities at once (the batch's `concurrency`); BullMQ: the worker's `concurrency`. */
  concurrency: number;
  /** Jobline's request names neither chunkSize nor concurrency: the API's defaults apply (shown as chunkSize/concurrency). */
  apiDefaults: boolean;
  repeat: number;
  warmupItems: number;
  systems: BatchSystem[];
  pollMs: number;
  bulkSize: number;
  db: 'file' | 'memory';
  /** V8 CPU profiles of the Jobline worker and API and the BullMQ worker, under the run's log directory. */
  profile: boolean;
  logLevel: string;
  timeoutSec: number;
  redisHost: string;
  redisPort: number;
  resultsDir: string;
  label?: string;
}

export const USAGE = `npm run bench:batch -- [options]

N items with a trivial handler (accepts each item, does nothing), through Jobline (one batch job over HTTP,
an NDJSON file source, chunks of --chunk-size, --concurrency chunks at once) and through BullMQ on the local
Redis (one job per item, a worker with the same --concurrency). Prints items/s, peak RSS and CPU per process,
and the ratio Jobline/BullMQ (target ≥ 2×).

  --items N            items per run (default 100000)
  --chunk-size N       Jobline batch chunkSize, 1…${BATCH_MAX_CHUNK_SIZE} (default 500)
  --concurrency C      Jobline batch concurrency and BullMQ worker concurrency, 1…${BATCH_MAX_CONCURRENCY} (default 8)
  --api-defaults       Jobline's request names no chunkSize and no concurrency (what a user gets by default;
                       BullMQ gets the API's default concurrency, ${BATCH_DEFAULT_CONCURRENCY}); not with --chunk-size/--concurrency
  --repeat R           measured runs per system; the table shows medians (default 1)
  --warmup-items N     one unmeasured run of N items per system first (default 2000; 0: none)
  --systems LIST       jobline,bullmq (default both)
  --poll-ms MS         Jobline: GET /v1/jobs/{id} every MS until completed (default 100)
  --bulk-size N        BullMQ: jobs per addBulk call (default 1000)
  --db file|memory     Temporal dev server database (default file, in a temp dir)
  --profile           write V8 CPU profiles of the workers and the API (bench/results/batch-<date>/profiles;
                       summarise with npx tsx bench/profile-summary.ts <file>.cpuprofile)
  --log-level LEVEL    LOG_LEVEL of the Jobline worker and API (default LOG_LEVEL or info)
  --timeout S          longest wait for one run (default 900)
  --redis-host H --redis-port P   (default 127.0.0.1:6379)
  --results-dir DIR    JSON result and process logs (default bench/results)
  --label TEXT         stored in the JSON, to tell runs apart
  -h, --help
`;

const FLAGS = {
  items: { type: 'string' },
  'chunk-size': { type: 'string' },
  concurrency: { type: 'string' },
  'api-defaults': { type: 'boolean' },
  repeat: { type: 'string' },
  'warmup-items': { type: 'string' },
  systems: { type: 'string' },
  'poll-ms': { type: 'string' },
  'bulk-size': { type: 'string' },
  db: { type: 'string' },
  profile: { type: 'boolean' },
  'log-level': { type: 'string' },
  timeout: { type: 'string' },
  'redis-host': { type: 'string' },
  'redis-port': { type: 'string' },
  'results-dir': { type: 'string' },
  label: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseBatchOptions(argv: string[], env: NodeJS.ProcessEnv): BatchBenchOptions | 'help' {
  const { values } = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false });
  if (values.help) return 'help';
  const int = (flag: keyof typeof FLAGS, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = values[flag];
    if (typeof raw !== 'string') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new UsageError(`--${flag}: expected an integer in ${min}…${max}, got "${raw}"`);
    return value;
  };
  const systems = (values.systems ?? BATCH_SYSTEMS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of systems)
    if (!BATCH_SYSTEMS.includes(s as BatchSystem)) throw new UsageError(`--systems: unknown "${s}" (known: ${BATCH_SYSTEMS.join(', ')})`);
  const apiDefaults = values['api-defaults'] === true;
  if (apiDefaults && (values['chunk-size'] !== undefined || values.concurrency !== undefined))
    throw new UsageError('--api-defaults: leave out --chunk-size and --concurrency');
  const db = values.db ?? 'file';
  if (db !== 'file' && db !== 'memory') throw new UsageError('--db: file or memory');
  return {
    items: int('items', 100_000, 1),
    // With --api-defaults, what the API will choose for a source (the bench's NDJSON file).
    chunkSize: apiDefaults ? defaultChunkSize(undefined, BATCH_DEFAULT_CONCURRENCY) : int('chunk-size', 500, 1, BATCH_MAX_CHUNK_SIZE),
    concurrency: apiDefaults ? BATCH_DEFAULT_CONCURRENCY : int('concurrency', 8, 1, BATCH_MAX_CONCURRENCY),
    apiDefaults,
    repeat: int('repeat', 1, 1, 100),
    warmupItems: int('warmup-items', 2_000, 0),
    systems: systems as BatchSystem[],
    pollMs: int('poll-ms', 100, 10),
    bulkSize: int('bulk-size', 1_000, 1),
    db,
    profile: values.profile === true,
    logLevel: values['log-level'] ?? (env.LOG_LEVEL || 'info'),
    timeoutSec: int('timeout', 900, 1),
    redisHost: values['redis-host'] ?? '127.0.0.1',
    redisPort: int('redis-port', 6379, 1, 65535),
    resultsDir: path.resolve(values['results-dir'] ?? path.join(__dirname, '..', 'results')),
    ...(values.label !== undefined ? { label: values.label } : {}),
  };
}
