import express from 'express';
import { pinoHttp } from 'pino-http';
import type { Client } from '@temporalio/client';
import { webUiUrl, type Config } from '../config';
import type { LevelWithSilent } from 'pino';
import { createArtifactStore, type ArtifactStore } from '../artifacts';
import { loadConfig } from '../config';
import { LOG_REDACTION, logger, type Logger } from '../logger';
import { DeadLetterService } from './dead-letters';
import { JobReader } from './job-reader';
import { JobService } from './job-service';
import { HttpProblem, problemHandler } from './problem';
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
  };
}

/** The HTTP API: a thin shell that validates, then starts, describes or signals workflows. */
export function createApp(options: AppOptions): express.Express {
  const { client, logger } = options;
  const reader = new JobReader(client, { namespace: options.namespace, uiUrl: options.uiUrl });
  const artifacts = options.artifacts ?? createArtifactStore(loadConfig().artifacts);
  const batches = new BatchService(reader, artifacts, options.taskQueue);
  const jobs = new JobService(reader, options.taskQueue, batches);
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(
    pinoHttp<express.Request, express.Response, never>({
      logger,
      // Callers' own credentials (Authorization, X-Api-Key, cookies), whatever logger the app was given.
      redact: LOG_REDACTION,
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      customLogLevel: (_req, res, err): LevelWithSilent => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );
  // Parse every body as JSON when it claims to be JSON; the routes refuse other content types.
  // strict: false lets `null` or `42` through to the schema, which names what is wrong with them.
  app.use(express.json({ limit: options.bodyLimitBytes, strict: false, type: ['application/json', 'application/*+json'] }));
  app.use(healthRouter(client, options.namespace));
  app.use(docsRouter());
  app.use(jobsRouter(jobs, reader));
  app.use(batchesRouter(batches));
  app.use(batchCatalogRouter());
  app.use(deadLettersRouter(new DeadLetterService(reader)));
  app.use(schedulesRouter(new ScheduleService(client, { taskQueue: options.taskQueue, namespace: options.namespace, uiUrl: options.uiUrl })));
  app.use(reportsRouter());
  app.use(artifactsRouter(artifacts, reader));
  app.use((req, _res, next) => next(new HttpProblem(404, 'not-found', `no route for ${req.method} ${req.path}`)));
  app.use(problemHandler(logger));
  return app;
}
