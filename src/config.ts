import path from 'node:path';
import { z } from 'zod';
import type { S3StoreOptions } from './artifacts/s3-store';
import type { TablePolicy } from './tables/table-access';
import { EncryptionKeyring } from './temporal/codec/keyring';
import { DEFAULT_WEBHOOK_RETRY, type WebhookRetryPolicy } from './webhooks/retry-policy';
import { WebhookSecrets } from './webhooks/secrets';
import { RESOURCE_CLASSES, type ResourceClass } from './jobs/resource-classes';
import { ClassList, perClassSchema, type PerClass } from './pools/per-class';

/** `1`/`true`/`yes` and `0`/`false`/`no`, so that `FOO=0` means false (z.coerce.boolean would say true). */
const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .default('0')
  .transform((value) => ['1', 'true', 'yes'].includes(value));

/** A lower-case SQL identifier, as Jobline quotes table and schema names. */
/** The same, for a setting that is on unless turned off. */
const flagOn = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .default('1')
  .transform((value) => ['1', 'true', 'yes'].includes(value));

const SqlIdentifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier');

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

/** Every environment variable Jobline reads, in one place. README's configuration table mirrors this. */
export const EnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TLS: flag,
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CA_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_UI_URL: z.url().optional(),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),

  JOBLINE_TASK_QUEUE: z.string().min(1).max(200).default('jobline'),
  JOBLINE_API_HOST: z.string().min(1).default('127.0.0.1'),
  JOBLINE_API_PORT: port.default(3000),
  JOBLINE_PUBLIC_URL: z.url().optional(),
  // Host names the API answers for besides loopback names, IP addresses and JOBLINE_PUBLIC_URL's host.
  JOBLINE_ALLOWED_HOSTS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^(\*|(\*\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?|\[[0-9a-f:.]+\])$/, 'a host name, *.suffix, or *')))
    .optional(),
  // Authentication (README "Security"): the API key file; JOBLINE_AUTH=none runs without keys off loopback.
  JOBLINE_API_KEYS_FILE: z.string().min(1).optional(),
  JOBLINE_AUTH: z.enum(['none']).optional(),
  JOBLINE_PUBLIC_DOCS: flagOn,
  // Jobline's own metrics (API /metrics, the worker's ports); 0 turns them off (the bench measures their cost).
  JOBLINE_METRICS: flagOn,
  JOBLINE_PUBLIC_METRICS: flagOn,
  // Shared state of several API processes (the per-key submission rate); unset: each process counts alone.
  JOBLINE_REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'a redis:// or rediss:// URL' }).optional(),
  JOBLINE_BODY_LIMIT_BYTES: positiveInt.max(64 * 1024 * 1024).default(1024 * 1024),
  JOBLINE_DATA_DIR: z.string().min(1).default('data'),
  JOBLINE_TEMPORAL_IP: z.string().min(1).default('127.0.0.1'),
  JOBLINE_TEMPORAL_PORT: port.default(7233),
  JOBLINE_TEMPORAL_UI_PORT: port.default(8233),
  JOBLINE_TEMPORAL_METRICS_PORT: port.default(9233),
  JOBLINE_RETENTION_DAYS: positiveInt.max(3650).default(7),
  JOBLINE_TEMPORAL_SQLITE_SYNCHRONOUS: z.enum(['normal', 'full']).default('normal'),
  JOBLINE_ALLOW_PRIVATE_TARGETS: flag,
  JOBLINE_WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt.max(10_000).default(100),
  JOBLINE_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: positiveInt.max(10_000).default(40),
  // Worker metrics (README "Observability"): Jobline's own series, and the Temporal SDK's; 0 = a free port.
  JOBLINE_WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  JOBLINE_WORKER_METRICS_PORT: port.default(9464),
  JOBLINE_WORKER_SDK_METRICS_PORT: port.default(9465),
  JOBLINE_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
  // Worker pools per resource class (README "Load and faults"): which classes a worker serves, slots per
  // class (`io=50,reports=4`, a bare number for the rest) and the server-side activity rate per class queue.
  JOBLINE_WORKER_QUEUES: ClassList.optional(),
  JOBLINE_WORKER_SLOTS: perClassSchema(z.number().int().min(1).max(10_000)).optional(),
  JOBLINE_QUEUE_RATE_LIMIT: perClassSchema(z.number().positive().max(1_000_000)).optional(),
  // Backpressure at the API (README "Load and faults"): per class, or a bare number for every class; unset: off.
  JOBLINE_MAX_BACKLOG: perClassSchema(z.number().int().min(1).max(1_000_000_000)).optional(),
  JOBLINE_MAX_BACKLOG_AGE_MS: perClassSchema(
    z
      .number()
      .int()
      .min(1_000)
      .max(7 * 24 * 60 * 60_000),
  ).optional(),
  // Crash recovery (README "Chaos and crash recovery"): how soon another worker takes over a dead one's work.
  JOBLINE_WORKER_STICKY_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(60_000).default(2_000),
  JOBLINE_WORKER_MAX_HEARTBEAT_THROTTLE_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  // `npm run autoscale` (README "Autoscaler"); its flags override these.
  JOBLINE_AUTOSCALE_CLASSES: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,30}:\d+:\d+(,[a-z][a-z0-9-]{0,30}:\d+:\d+)*$/, 'class:min:max[,class:min:max…]')
    .default('default:1:4'),
  JOBLINE_AUTOSCALE_TARGET_BACKLOG: positiveInt.max(1_000_000).default(10),
  JOBLINE_AUTOSCALE_MAX_BACKLOG_AGE_MS: positiveInt.default(30_000),
  JOBLINE_AUTOSCALE_HYSTERESIS: z.coerce.number().min(0).max(0.95).default(0.5),
  JOBLINE_AUTOSCALE_COOLDOWN_MS: z.coerce.number().int().min(0).default(60_000),
  JOBLINE_AUTOSCALE_UP_COOLDOWN_MS: z.coerce.number().int().min(0).default(15_000),
  JOBLINE_AUTOSCALE_INTERVAL_MS: positiveInt.min(200).default(2_000),
  JOBLINE_AUTOSCALE_METRICS_PORT: port.default(9470),
  // Bounds on what one request may ask for (README: "Limits").
  JOBLINE_SCHEDULE_MIN_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(24 * 60 * 60_000)
    .default(60_000),
  JOBLINE_MAX_SCHEDULES: positiveInt.max(100_000).default(100),
  // Payload encryption at rest (README: "Encryption at rest"): `id:base64key,…`, the first is the current key.
  // The message of a bad value names the entry and the key id, never the key.
  JOBLINE_ENCRYPTION_KEYS: z
    .string()
    .transform((value, ctx) => {
      try {
        return EncryptionKeyring.parse(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
  // Origins besides the Web UI's (TEMPORAL_UI_URL or the embedded one) whose pages may call /codec/*.
  JOBLINE_CODEC_CORS_ORIGINS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url().refine((url) => new URL(url).origin === url.replace(/\/$/, ''), 'an origin: scheme://host[:port]')))
    .optional(),
  JOBLINE_TEMPORAL_DEADLINE_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  // Webhooks (README "Notifications"): the signing secrets (whsec_…, comma-separated; all sign), the retries.
  JOBLINE_WEBHOOK_SECRETS: WebhookSecrets.optional(),
  JOBLINE_WEBHOOK_MAX_ATTEMPTS: positiveInt.max(100).default(DEFAULT_WEBHOOK_RETRY.maxAttempts),
  JOBLINE_WEBHOOK_INITIAL_INTERVAL_MS: positiveInt.max(24 * 60 * 60_000).default(DEFAULT_WEBHOOK_RETRY.initialIntervalMs),
  JOBLINE_WEBHOOK_MAX_INTERVAL_MS: positiveInt.max(24 * 60 * 60_000).default(DEFAULT_WEBHOOK_RETRY.maxIntervalMs),
  JOBLINE_WEBHOOK_TIMEOUT_MS: positiveInt.max(120_000).default(10_000),
  // Live status (GET /v1/jobs/{id}/events): the idle comment's period, and how often one watcher per job reads
  // the pending attempt (running/retrying, heartbeat progress) that the history does not record.
  JOBLINE_SSE_KEEPALIVE_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  JOBLINE_SSE_POLL_MS: z.coerce.number().int().min(250).max(60_000).default(1_000),
  // ...and how many such reads all watchers of one API process share per second (the cost stays bounded).
  JOBLINE_SSE_DESCRIBES_PER_SEC: z.coerce.number().int().min(1).max(1_000).default(20),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  // Tracing (README "Observability"): on when an OTLP endpoint is set. src/tracing reads them before this
  // schema runs (it must hook `http` first) and the OTLP exporter reads them (and the other OTEL_*) itself;
  // they are here so that a bad one stops start-up by name.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),

  // Reports (docs/reports.md): where their data comes from and where their artifacts go.
  JOBLINE_DATABASE_URL: z.string().min(1).default('postgres://postgres@127.0.0.1:5432/test'),
  JOBLINE_REPORT_SOURCE_DIR: z.string().min(1).default('data/demo'),
  JOBLINE_REPORT_CHECKPOINT_MS: positiveInt.max(600_000).default(1_000),
  // Tables that reports, batch queries and pg-upsert may name (src/tables/table-access.ts).
  JOBLINE_PG_SCHEMA: SqlIdentifier.refine((name) => !/^pg_/.test(name) && name !== 'information_schema', {
    error: 'must not be a system schema (pg_*, information_schema)',
  }).default('public'),
  JOBLINE_PG_TABLES: z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    )
    .pipe(z.array(SqlIdentifier).min(1, 'list at least one table, or leave unset for every table of JOBLINE_PG_SCHEMA'))
    .optional(),
  JOBLINE_ARTIFACT_STORE: z.enum(['fs', 's3']).default('fs'),
  JOBLINE_ARTIFACT_DIR: z.string().min(1).default('data/artifacts'),
  JOBLINE_S3_ENDPOINT: z.url().optional(),
  JOBLINE_S3_REGION: z.string().min(1).default('us-east-1'),
  JOBLINE_S3_BUCKET: z.string().min(3).max(63).optional(),
  JOBLINE_S3_PREFIX: z.string().default(''),
  JOBLINE_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  JOBLINE_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  JOBLINE_S3_FORCE_PATH_STYLE: flag,
});

export type Env = z.infer<typeof EnvSchema>;

export interface TemporalTarget {
  /** Undefined: Jobline starts its own embedded dev server. */
  address?: string;
  namespace: string;
  tls?: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string };
  apiKey?: string;
  uiUrl?: string;
}

export interface Config {
  temporal: TemporalTarget;
  taskQueue: string;
  api: {
    host: string;
    port: number;
    publicUrl?: string;
    bodyLimitBytes: number;
    /** How long a request's Temporal calls may take before the API answers 503 (shorter while Temporal is known down). */
    temporalDeadlineMs: number;
    /** JOBLINE_ALLOWED_HOSTS: extra Host names served; `*` serves any. */
    allowedHosts: string[];
    /** Live status streams: keep-alive comment period and the pending-attempt poll of a job's watcher. */
    liveEvents: { keepAliveMs: number; pollMs: number; describesPerSec: number };
  };
  auth: {
    /** JOBLINE_API_KEYS_FILE: keys, tenants and roles; unset: open on loopback (see authModeFor). */
    keysFile?: string;
    /** JOBLINE_AUTH=none: no keys on purpose, also off loopback. */
    mode?: 'none';
    /** /docs and /openapi.json without a key. */
    publicDocs: boolean;
    /** /metrics without a key. */
    publicMetrics: boolean;
  };
  /** JOBLINE_REDIS_URL: where API processes share counters (submission rates); may hold a password: never log it. */
  redisUrl?: string;
  schedules: { minIntervalMs: number; maxCount: number };
  embedded: {
    cliPath: string;
    ip: string;
    port: number;
    uiPort: number;
    metricsPort: number;
    dbFile: string;
    retentionDays: number;
    sqliteSynchronous: 'normal' | 'full';
  };
  dataDir: string;
  allowPrivateTargets: boolean;
  worker: {
    maxConcurrentActivities: number;
    maxConcurrentWorkflowTasks: number;
    shutdownGraceMs: number;
    metrics: { enabled: boolean; host: string; port: number; sdkPort: number };
    /** The resource classes this worker serves (one Temporal Worker each); all by default. */
    classes: ResourceClass[];
    /** Activity slots per class; a class not named gets maxConcurrentActivities. */
    slots?: PerClass;
    /** Activities per second per class queue, enforced by the server (maxTaskQueueActivitiesPerSecond). */
    queueRateLimit?: PerClass;
    /** How long a workflow task waits on a (maybe dead) worker's sticky queue before any worker may take it. */
    stickyTimeoutMs: number;
    /** Heartbeats (a report's checkpoint) reach the server at least this often, whatever the heartbeat timeout. */
    maxHeartbeatThrottleMs: number;
  };
  /** Refuse new jobs (429) while a queue they would wait in is over these; unset: no limit. */
  backpressure: { maxBacklog?: PerClass; maxBacklogAgeMs?: PerClass };
  /** `npm run autoscale`'s defaults (src/autoscaler/options.ts reads them with its flags). */
  autoscale: {
    classes: string;
    targetBacklogPerWorker: number;
    maxBacklogAgeMs: number;
    hysteresis: number;
    cooldownMs: number;
    upCooldownMs: number;
    intervalMs: number;
    metricsPort: number;
  };
  logLevel: Env['LOG_LEVEL'];
  /** Payload encryption keys (JOBLINE_ENCRYPTION_KEYS); undefined: payloads are stored as the SDK encodes them. */
  encryption?: EncryptionKeyring;
  /** Extra origins the codec server grants CORS (JOBLINE_CODEC_CORS_ORIGINS). */
  codecCorsOrigins: string[];
  /** Where spans go over OTLP/HTTP; unset: tracing is off. */
  tracing: { endpoint?: string; serviceName?: string };
  reports: ReportsConfig;
  artifacts: ArtifactsConfig;
  webhooks: WebhooksConfig;
}

export interface WebhooksConfig {
  /** Every delivery is signed with each (so receivers can rotate); none: the API refuses `notify`. Never logged. */
  secrets: string[];
  retry: WebhookRetryPolicy;
  /** How long one try waits for the receiver's answer. */
  timeoutMs: number;
}

export interface ReportsConfig {
  databaseUrl: string;
  /** File sources (`csv`, `ndjson`) are paths relative to this directory and may not leave it. */
  sourceDir: string;
  /** How often a running report heartbeats its checkpoint. */
  checkpointIntervalMs: number;
  /** The tables reports and batches may read or write (JOBLINE_PG_SCHEMA, JOBLINE_PG_TABLES). */
  tables: TablePolicy;
}

export type ArtifactsConfig = { store: 'fs'; dir: string } | ({ store: 's3' } & S3StoreOptions);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The Web UI to link jobs to: TEMPORAL_UI_URL, or the embedded server's when Jobline runs that. */
export function webUiUrl(config: Config): string | undefined {
  if (config.temporal.uiUrl) return config.temporal.uiUrl;
  return config.temporal.address ? undefined : `http://${config.embedded.ip}:${config.embedded.uiPort}`;
}

export const PROJECT_ROOT = path.resolve(__dirname, '..');
export const DEFAULT_CLI_PATH = path.join(PROJECT_ROOT, '.temporal', 'bin', 'temporal');

/** Parses the environment once; the error lists every bad variable by name. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "unset", as shells and compose files tend to produce them.
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const env = parsed.data;
  const dataDir = path.resolve(PROJECT_ROOT, env.JOBLINE_DATA_DIR);
  const tlsWanted = env.TEMPORAL_TLS || Boolean(env.TEMPORAL_TLS_CERT_PATH || env.TEMPORAL_TLS_CA_PATH || env.TEMPORAL_API_KEY);
  if (Boolean(env.TEMPORAL_TLS_CERT_PATH) !== Boolean(env.TEMPORAL_TLS_KEY_PATH)) {
    throw new ConfigError(['TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together']);
  }
  const artifacts = artifactsConfig(env);
  return {
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      tls:
        env.TEMPORAL_ADDRESS && tlsWanted
          ? {
              certPath: env.TEMPORAL_TLS_CERT_PATH,
              keyPath: env.TEMPORAL_TLS_KEY_PATH,
              caPath: env.TEMPORAL_TLS_CA_PATH,
              serverName: env.TEMPORAL_TLS_SERVER_NAME,
            }
          : undefined,
      apiKey: env.TEMPORAL_API_KEY,
      uiUrl: env.TEMPORAL_UI_URL,
    },
    taskQueue: env.JOBLINE_TASK_QUEUE,
    api: {
      host: env.JOBLINE_API_HOST,
      port: env.JOBLINE_API_PORT,
      publicUrl: env.JOBLINE_PUBLIC_URL,
      bodyLimitBytes: env.JOBLINE_BODY_LIMIT_BYTES,
      temporalDeadlineMs: env.JOBLINE_TEMPORAL_DEADLINE_MS,
      allowedHosts: env.JOBLINE_ALLOWED_HOSTS ?? [],
      liveEvents: {
        keepAliveMs: env.JOBLINE_SSE_KEEPALIVE_MS,
        pollMs: env.JOBLINE_SSE_POLL_MS,
        describesPerSec: env.JOBLINE_SSE_DESCRIBES_PER_SEC,
      },
    },
    auth: {
      keysFile: env.JOBLINE_API_KEYS_FILE ? path.resolve(env.JOBLINE_API_KEYS_FILE) : undefined,
      mode: env.JOBLINE_AUTH,
      publicDocs: env.JOBLINE_PUBLIC_DOCS,
      publicMetrics: env.JOBLINE_PUBLIC_METRICS,
    },
    redisUrl: env.JOBLINE_REDIS_URL,
    schedules: { minIntervalMs: env.JOBLINE_SCHEDULE_MIN_INTERVAL_MS, maxCount: env.JOBLINE_MAX_SCHEDULES },
    embedded: {
      cliPath: env.TEMPORAL_CLI_PATH ?? DEFAULT_CLI_PATH,
      ip: env.JOBLINE_TEMPORAL_IP,
      port: env.JOBLINE_TEMPORAL_PORT,
      uiPort: env.JOBLINE_TEMPORAL_UI_PORT,
      metricsPort: env.JOBLINE_TEMPORAL_METRICS_PORT,
      dbFile: path.join(dataDir, 'temporal.db'),
      retentionDays: env.JOBLINE_RETENTION_DAYS,
      sqliteSynchronous: env.JOBLINE_TEMPORAL_SQLITE_SYNCHRONOUS,
    },
    dataDir,
    allowPrivateTargets: env.JOBLINE_ALLOW_PRIVATE_TARGETS,
    worker: {
      maxConcurrentActivities: env.JOBLINE_WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTasks: env.JOBLINE_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      shutdownGraceMs: env.JOBLINE_SHUTDOWN_GRACE_MS,
      stickyTimeoutMs: env.JOBLINE_WORKER_STICKY_TIMEOUT_MS,
      maxHeartbeatThrottleMs: env.JOBLINE_WORKER_MAX_HEARTBEAT_THROTTLE_MS,
      metrics: {
        enabled: env.JOBLINE_METRICS,
        host: env.JOBLINE_WORKER_METRICS_HOST,
        port: env.JOBLINE_WORKER_METRICS_PORT,
        sdkPort: env.JOBLINE_WORKER_SDK_METRICS_PORT,
      },
      classes: env.JOBLINE_WORKER_QUEUES ?? [...RESOURCE_CLASSES],
      slots: env.JOBLINE_WORKER_SLOTS,
      queueRateLimit: env.JOBLINE_QUEUE_RATE_LIMIT,
    },
    backpressure: { maxBacklog: env.JOBLINE_MAX_BACKLOG, maxBacklogAgeMs: env.JOBLINE_MAX_BACKLOG_AGE_MS },
    autoscale: {
      classes: env.JOBLINE_AUTOSCALE_CLASSES,
      targetBacklogPerWorker: env.JOBLINE_AUTOSCALE_TARGET_BACKLOG,
      maxBacklogAgeMs: env.JOBLINE_AUTOSCALE_MAX_BACKLOG_AGE_MS,
      hysteresis: env.JOBLINE_AUTOSCALE_HYSTERESIS,
      cooldownMs: env.JOBLINE_AUTOSCALE_COOLDOWN_MS,
      upCooldownMs: env.JOBLINE_AUTOSCALE_UP_COOLDOWN_MS,
      intervalMs: env.JOBLINE_AUTOSCALE_INTERVAL_MS,
      metricsPort: env.JOBLINE_AUTOSCALE_METRICS_PORT,
    },
    logLevel: env.LOG_LEVEL,
    encryption: env.JOBLINE_ENCRYPTION_KEYS,
    codecCorsOrigins: (env.JOBLINE_CODEC_CORS_ORIGINS ?? []).map((url) => new URL(url).origin),
    tracing: {
      endpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT,
      serviceName: env.OTEL_SERVICE_NAME,
    },
    reports: {
      databaseUrl: env.JOBLINE_DATABASE_URL,
      sourceDir: path.resolve(PROJECT_ROOT, env.JOBLINE_REPORT_SOURCE_DIR),
      checkpointIntervalMs: env.JOBLINE_REPORT_CHECKPOINT_MS,
      tables: { schema: env.JOBLINE_PG_SCHEMA, ...(env.JOBLINE_PG_TABLES ? { tables: env.JOBLINE_PG_TABLES } : {}) },
    },
    artifacts,
    webhooks: {
      secrets: env.JOBLINE_WEBHOOK_SECRETS ?? [],
      retry: {
        ...DEFAULT_WEBHOOK_RETRY,
        maxAttempts: env.JOBLINE_WEBHOOK_MAX_ATTEMPTS,
        initialIntervalMs: env.JOBLINE_WEBHOOK_INITIAL_INTERVAL_MS,
        maxIntervalMs: Math.max(env.JOBLINE_WEBHOOK_MAX_INTERVAL_MS, env.JOBLINE_WEBHOOK_INITIAL_INTERVAL_MS),
      },
      timeoutMs: env.JOBLINE_WEBHOOK_TIMEOUT_MS,
    },
  };
}

function artifactsConfig(env: Env): ArtifactsConfig {
  if (env.JOBLINE_ARTIFACT_STORE === 'fs') return { store: 'fs', dir: path.resolve(PROJECT_ROOT, env.JOBLINE_ARTIFACT_DIR) };
  if (!env.JOBLINE_S3_BUCKET) throw new ConfigError(['JOBLINE_S3_BUCKET: required when JOBLINE_ARTIFACT_STORE=s3']);
  if (Boolean(env.JOBLINE_S3_ACCESS_KEY_ID) !== Boolean(env.JOBLINE_S3_SECRET_ACCESS_KEY)) {
    throw new ConfigError(['JOBLINE_S3_ACCESS_KEY_ID and JOBLINE_S3_SECRET_ACCESS_KEY must be set together']);
  }
  return {
    store: 's3',
    bucket: env.JOBLINE_S3_BUCKET,
    prefix: env.JOBLINE_S3_PREFIX,
    region: env.JOBLINE_S3_REGION,
    endpoint: env.JOBLINE_S3_ENDPOINT,
    forcePathStyle: env.JOBLINE_S3_FORCE_PATH_STYLE,
    credentials:
      env.JOBLINE_S3_ACCESS_KEY_ID && env.JOBLINE_S3_SECRET_ACCESS_KEY
        ? { accessKeyId: env.JOBLINE_S3_ACCESS_KEY_ID, secretAccessKey: env.JOBLINE_S3_SECRET_ACCESS_KEY }
        : undefined,
  };
}
