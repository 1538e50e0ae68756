import express from 'express';
import { pinoHttp } from 'pino-http';
import type { Client } from '@temporalio/client';
import { webUiUrl, type Config } from '../config';
import type { LevelWithSilent } from 'pino';
import { createArtifactStore, type ArtifactStore } from '../artifacts';
import { auditLog } from '../auth/audit';
import { authenticate } from '../auth/authenticate';
import { setUpAuth, type AuthSetup } from '../auth/auth-setup';
import { authorize } from '../auth/authorize';
import type { KeyRing } from '../auth/key-ring';
import { limitSubmissions } from '../auth/rate-limit';
import { assertEveryRouteListed, resolveOperation } from '../auth/resolve-operation';
import { SubmissionRateLimiter } from '../auth/submission-rate';
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
import { jsonBodies } from './json-bodies';
import { jsonDepthGuard } from './json-depth';
import { jobLogFields } from './log-fields';
import { HttpProblem, problemHandler } from './problem';
import { crossSiteGuard, hostGuard, type RequestGuardOptions } from './request-guard';
import { BatchService } from './batch-service';
import { artifactsRouter } from './routes/artifacts';
import { batchCatalogRouter } from './routes/batch-catalog';
import { batchesRouter } from './routes/batches';
import { codecRouter, codecServerOptionsFrom, type CodecServerOptions } from './routes/codec';
import { deadLettersRouter } from './routes/dead-letters';
import { docsRouter } from './routes/docs';
import { healthRouter } from './routes/health';
import { jobsRouter } from './routes/jobs';
import { liveEventsRouter } from './events/live-events';
import { reportsRouter } from './routes/reports';
import { schedulesRouter } from './routes/schedules';
import { webhooksRouter } from './routes/webhooks';
import { WebhookDeliveries } from './webhook-deliveries';
import { ScheduleService } from './schedule-service';
import { securityHeaders } from './security-headers';
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
  /** Accept `notify` (webhooks): the workers sign with JOBLINE_WEBHOOK_SECRETS. Refused when false (the default). */
  webhooks?: boolean;
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
  /** Jobline's metrics (`/metrics`, request timing); on unless JOBLINE_METRICS=0. */
  metrics?: boolean;
  /** `/metrics` without a key when auth is on (JOBLINE_PUBLIC_METRICS; default on, so Prometheus needs no key). */
  publicMetrics?: boolean;
  /** The codec server (/codec/*); unset: it answers 404. */
  codec?: CodecServerOptions;
  /** Counts submissions of keys that have a `rateLimit`; by default in this process's memory (with keys only). */
  rateLimiter?: SubmissionRateLimiter;
  /** Live status streams (JOBLINE_SSE_KEEPALIVE_MS, JOBLINE_SSE_POLL_MS); by default from the environment. */
  liveEvents?: Config['api']['liveEvents'];
  /** Backlog limits per resource class (JOBLINE_MAX_BACKLOG, JOBLINE_MAX_BACKLOG_AGE_MS); unset: no backpressure. */
  backpressure?: BackpressureLimits;
}

/**
 * The API's options as every Jobline process builds them from its Config. `auth` (setUpAuth) is the process's
 * authentication: made here when not given, and refused here when unsafe (no keys off loopback).
 */
export function appOptionsFrom(config: Config, client: Client, auth: AuthSetup = setUpAuth(config, logger)): AppOptions {
  return {
    client,
    namespace: config.temporal.namespace,
    taskQueue: config.taskQueue,
    logger,
    bodyLimitBytes: config.api.bodyLimitBytes,
    uiUrl: webUiUrl(config),
    allowPrivateTargets: config.allowPrivateTargets,
    webhooks: config.webhooks.secrets.length > 0,
    temporalDeadlineMs: config.api.temporalDeadlineMs,
    schedules: config.schedules,
    requestGuard: { allowedHosts: config.api.allowedHosts, publicUrl: config.api.publicUrl, bindHost: config.api.host },
    sourceAccess: sourceAccessFrom(config),
    keys: auth.keys,
    rateLimiter: auth.rateLimiter,
    publicDocs: config.auth.publicDocs,
    publicMetrics: config.auth.publicMetrics,
    metrics: config.worker.metrics.enabled,
    codec: codecServerOptionsFrom(config),
    liveEvents: config.api.liveEvents,
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
  const targets = { allowPrivateTargets, webhooks: options.webhooks ?? false };
  const jobs = new JobService(reader, options.taskQueue, batches, {
    targets,
    access: options.sourceAccess,
    inFlight: new InFlightLimit(client),
    backpressure,
  });
  const env = options.temporalDeadlineMs === undefined || !options.schedules ? loadConfig() : undefined;
  const health = new TemporalHealth(client.connection, options.namespace, options.temporalDeadlineMs ?? env!.api.temporalDeadlineMs);
  const scheduleLimits = options.schedules ?? env!.schedules;
  const metrics = options.metrics === false ? undefined : apiMetrics(client, options, queueStats);
  const app = express();
  app.disable('x-powered-by');
  if (metrics) app.use(metrics.observe());
  app.set('query parser', 'simple');
  app.use(
    pinoHttp<express.Request, express.Response, never>({
      logger,
      // Callers' own credentials (Authorization, X-Api-Key, cookies), whatever logger the app was given.
      redact: LOG_REDACTION,
      // Not customProps: it reads pino symbols from pino-http's own pino 9, which our pino 10 logger lacks (a crash).
      customSuccessObject: (req, res, fields: object) => ({ ...fields, ...jobLogFields(req, res) }),
      customErrorObject: (req, res, _err, fields: object) => ({ ...fields, ...jobLogFields(req, res) }),
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      customLogLevel: (_req, res, err): LevelWithSilent =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    }),
  );
  app.use(securityHeaders());
  // Which operation of the table (src/auth/operations.ts) the request is for: its role, body limit, rate.
  app.use(resolveOperation());
  // Every state-changing request leaves an audit line once answered, refused ones included.
  app.use(auditLog(logger, { keys: options.keys !== undefined }));
  // Before anything reads the request: a Host that is not ours (DNS rebinding) is 421.
  app.use(hostGuard(options.requestGuard ?? {}));
  // Who is asking, and may they, before any body is read; probes (/healthz, /readyz) and CORS preflights need no key.
  if (options.keys) {
    app.use(authenticate(options.keys, { publicDocs: options.publicDocs ?? true, publicMetrics: options.publicMetrics ?? true }));
    app.use(authorize());
    app.use(limitSubmissions(options.rateLimiter ?? new SubmissionRateLimiter()));
  }
  // Before the cross-site guard: the Web UI calls the codec from its own origin, under CORS the router grants.
  // After authentication: the router checks the principal's role.
  app.use(codecRouter(options.codec ?? { corsOrigins: [] }));
  // A state-changing request from another site or with a body that is not JSON is 403 or 415.
  app.use(crossSiteGuard(options.requestGuard ?? {}));
  if (metrics) app.get('/metrics', metricsHandler(metrics.registry));
  app.use(jsonBodies(options.bodyLimitBytes));
  // Everything after the parser may recurse over the body (zod, the idempotency hash): bound its depth first.
  app.use(jsonDepthGuard());
  // /readyz sets its own deadline and is the health state's own probe; /healthz never calls Temporal.
  app.use(healthRouter(health, { log: logger, backpressure }));
  // Every Temporal call a request makes runs under a deadline, so an outage answers 503 in seconds.
  app.use(health.requestScope());
  app.use(docsRouter());
  app.use(liveEventsRouter(options, jobs, reader, metrics));
  app.use(jobsRouter(jobs, reader));
  app.use(batchesRouter(batches));
  app.use(batchCatalogRouter());
  app.use(deadLettersRouter(new DeadLetterService(reader)));
  app.use(webhooksRouter(new WebhookDeliveries(client)));
  const schedules = new ScheduleService(client, {
    taskQueue: options.taskQueue,
    namespace: options.namespace,
    uiUrl: options.uiUrl,
    minIntervalMs: scheduleLimits.minIntervalMs,
    maxSchedules: scheduleLimits.maxCount,
    allowPrivateTargets,
    webhooks: targets.webhooks,
  });
  app.use(schedulesRouter(schedules));
  app.use(reportsRouter());
  app.use(artifactsRouter(artifacts, reader));
  app.use((req, _res, next) => next(new HttpProblem(404, 'not-found', `no route for ${req.method} ${req.path}`)));
  // Fails closed: a route without a row in the operations table would skip the role check.
  assertEveryRouteListed(app);
  app.use(health.observeErrors());
  app.use(problemHandler(logger));
  return app;
}
