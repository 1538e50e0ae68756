import express from 'express';
import { pinoHttp } from 'pino-http';
import type { Client } from '@temporalio/client';
import { webUiUrl, type Config } from '../config';
import type { LevelWithSilent } from 'pino';
import { createArtifactStore, type ArtifactStore } from '../artifacts';
import { authenticate } from '../auth/authenticate';
import { authModeFor } from '../auth/auth-mode';
import { KeyRing } from '../auth/key-ring';
import { jobTypeNames } from '../jobs';
import { ApiMetrics } from '../metrics/api-metrics';
import { registerDeadLetterGauge } from '../metrics/dead-letter-gauge';
import { registerQueueGauges } from '../metrics/queue-gauges';
import { createRegistry, metricsHandler } from '../metrics/registry';
import { TaskQueueStats } from '../metrics/task-queue-stats';
import { loadConfig } from '../config';
import { sourceAccessFrom, type SourceAccess } from '../jobs/admission';
import { LOG_REDACTION, logger, type Logger } from '../logger';
import { DeadLetterService } from './dead-letters';
import { JobReader } from './job-reader';
import { JobService } from './job-service';
import { jsonDepthGuard } from './json-depth';
import { HttpProblem, problemHandler } from './problem';
import { crossSiteGuard, hostGuard, type RequestGuardOptions } from './request-guard';
import { BatchService } from './batch-service';
import { artifactsRouter } from './routes/artifacts';
import { batchCatalogRouter } from './routes/batch-catalog';
import { batchesRouter } from './routes/batches';
import { deadLettersRouter } from './routes/dead-letters';
import { docsRouter } from './routes/docs';
import { healthRouter } from './routes/health';
import { jobsRouter } from './routes/jobs';
import { reportsRouter } from './routes/reports';
import { schedulesRouter } from './routes/schedules';
import { ScheduleService } from './schedule-service';
import { TemporalHealth } from './temporal-health';
import { InFlightLimit } from '../tenancy/in-flight-limit';
import { classTaskQueues } from '../jobs/resource-classes';
import { Backpressure, type BackpressureLimits } from './backpressure';

export interface AppOptions {
  client: Client;
  namespace: string;
  taskQueue: string;
  logger: Logger;
  bodyLimitBytes: number;
  /** Base URL of the Temporal Web UI, for links in job views. */
  uiUrl?: string;
  /** Where report artifacts are read from; by default the store the environment configures. */
  artifacts?: ArtifactStore;
  /** Accept jobs whose URL is a literal private address (`JOBLINE_ALLOW_PRIVATE_TARGETS`); refused by default. */
  allowPrivateTargets?: boolean;
  /** Deadline of a request's Temporal calls; by default JOBLINE_TEMPORAL_DEADLINE_MS. */
  temporalDeadlineMs?: number;
  /** Schedule bounds; by default JOBLINE_SCHEDULE_MIN_INTERVAL_MS and JOBLINE_MAX_SCHEDULES. */
  schedules?: Config['schedules'];
  /** Which Host and Origin headers are the API's own (JOBLINE_ALLOWED_HOSTS, JOBLINE_PUBLIC_URL, JOBLINE_API_HOST). */
  requestGuard?: RequestGuardOptions;
  /** Files and tables jobs may name, checked at submission; unset: only the worker checks them. */
  sourceAccess?: SourceAccess;
  /** The API keys; unset: no authentication (open on loopback, or JOBLINE_AUTH=none). */
  keys?: KeyRing;
  /** With keys: leave /docs and /openapi.json open (JOBLINE_PUBLIC_DOCS, default on). */
  publicDocs?: boolean;
  /** `/metrics` without a key when auth is on (JOBLINE_PUBLIC_METRICS; default on, so Prometheus needs no key). */
  publicMetrics?: boolean;
  /** Backlog limits per resource class (JOBLINE_MAX_BACKLOG, JOBLINE_MAX_BACKLOG_AGE_MS); unset: no backpressure. */
  backpressure?: BackpressureLimits;
}

/** The API's options as every Jobline process builds them from its Config. */
export function appOptionsFrom(config: Config, client: Client): AppOptions {
  return {
    client,
    namespace: config.temporal.namespace,
    taskQueue: config.taskQueue,
    logger,
    bodyLimitBytes: config.api.bodyLimitBytes,
    uiUrl: webUiUrl(config),
    allowPrivateTargets: config.allowPrivateTargets,
    temporalDeadlineMs: config.api.temporalDeadlineMs,
    schedules: config.schedules,
    requestGuard: { allowedHosts: config.api.allowedHosts, publicUrl: config.api.publicUrl, bindHost: config.api.host },
    sourceAccess: sourceAccessFrom(config),
    // Refuses an unsafe combination (no keys off loopback) before anything listens.
    keys: authModeFor(config.auth, config.api.host) === 'keys' ? new KeyRing(config.auth.keysFile!) : undefined,
    publicDocs: config.auth.publicDocs,
    publicMetrics: config.auth.publicMetrics,
    backpressure: config.backpressure,
  };
}

/** The API's metrics: its own series, queue depth of every class's task queue, dead letters, process basics. */
function apiMetrics(client: Client, options: AppOptions, queueStats: TaskQueueStats): ApiMetrics {
  const registry = createRegistry();
  const types = [...new Set([...jobTypeNames(), 'batch'])];
  // Workflow tasks exist only on the main queue (the `default` class's); the class queues hold activities.
  const queues = classTaskQueues(options.taskQueue).map(({ resourceClass, taskQueue }) => ({
    taskQueue,
    kinds: resourceClass === 'default' ? (['workflow', 'activity'] as const) : (['activity'] as const),
  }));
  registerQueueGauges(registry, queueStats, () => queues);
  registerDeadLetterGauge(registry, client, types);
  return new ApiMetrics(registry, new Set(types));
}

/** The HTTP API: a thin shell that validates, then starts, describes or signals workflows. */
export function createApp(options: AppOptions): express.Express {
  const { client, logger } = options;
  const reader = new JobReader(client, { namespace: options.namespace, uiUrl: options.uiUrl });
  const artifacts = options.artifacts ?? createArtifactStore(loadConfig().artifacts);
  const batches = new BatchService(reader, artifacts, options.taskQueue);
  const allowPrivateTargets = options.allowPrivateTargets ?? false;
  // One reader of queue depth for the gauges and backpressure: at most one DescribeTaskQueue per queue a second.
  const queueStats = new TaskQueueStats(client, options.namespace, 1_000);
  const backpressure = new Backpressure(queueStats, options.taskQueue, options.backpressure ?? {}, logger);
  const jobs = new JobService(reader, options.taskQueue, batches, {
    targets: { allowPrivateTargets },
    access: options.sourceAccess,
    inFlight: new InFlightLimit(client),
    backpressure,
  });
  const env = options.temporalDeadlineMs === undefined || !options.schedules ? loadConfig() : undefined;
  const health = new TemporalHealth(client.connection, options.namespace, options.temporalDeadlineMs ?? env!.api.temporalDeadlineMs);
  const scheduleLimits = options.schedules ?? env!.schedules;
  const metrics = apiMetrics(client, options, queueStats);
  const app = express();
  app.disable('x-powered-by');
  app.use(metrics.observe());
  app.set('query parser', 'simple');
  app.use(
    pinoHttp<express.Request, express.Response, never>({
      logger,
      // Callers' own credentials (Authorization, X-Api-Key, cookies), whatever logger the app was given.
      redact: LOG_REDACTION,
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      customLogLevel: (_req, res, err): LevelWithSilent =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    }),
  );
  // Before anything reads the request: a Host that is not ours (DNS rebinding) is 421, and a state-changing
  // request from another site or with a body that is not JSON is 403 or 415.
  app.use(hostGuard(options.requestGuard ?? {}));
  app.use(crossSiteGuard(options.requestGuard ?? {}));
  // Who is asking, before any body is read; probes (/healthz, /readyz) need no key.
  if (options.keys) {
    app.use(authenticate(options.keys, { publicDocs: options.publicDocs ?? true, publicMetrics: options.publicMetrics ?? true }));
  }
  app.get('/metrics', metricsHandler(metrics.registry));
  // Parse every body as JSON when it claims to be JSON; crossSiteGuard refused other content types.
  // strict: false lets `null` or `42` through to the schema, which names what is wrong with them.
  app.use(express.json({ limit: options.bodyLimitBytes, strict: false, type: ['application/json', 'application/*+json'] }));
  // Everything after the parser may recurse over the body (zod, the idempotency hash): bound its depth first.
  app.use(jsonDepthGuard());
  // /readyz sets its own deadline and is the health state's own probe; /healthz never calls Temporal.
  app.use(healthRouter(health, backpressure));
  // Every Temporal call a request makes runs under a deadline, so an outage answers 503 in seconds.
  app.use(health.requestScope());
  app.use(docsRouter());
  app.use(jobsRouter(jobs, reader));
  app.use(batchesRouter(batches));
  app.use(batchCatalogRouter());
  app.use(deadLettersRouter(new DeadLetterService(reader)));
  const schedules = new ScheduleService(client, {
    taskQueue: options.taskQueue,
    namespace: options.namespace,
    uiUrl: options.uiUrl,
    minIntervalMs: scheduleLimits.minIntervalMs,
    maxSchedules: scheduleLimits.maxCount,
    allowPrivateTargets,
  });
  app.use(schedulesRouter(schedules));
  app.use(reportsRouter());
  app.use(artifactsRouter(artifacts, reader));
  app.use((req, _res, next) => next(new HttpProblem(404, 'not-found', `no route for ${req.method} ${req.path}`)));
  app.use(health.observeErrors());
  app.use(problemHandler(logger));
  return app;
}
