import type { Router } from 'express';
import { Registry } from 'prom-client';
import { OPEN_PRINCIPAL } from '../../auth/principal';
import { loadConfig } from '../../config';
import type { ApiMetrics } from '../../metrics/api-metrics';
import type { AppOptions } from '../app';
import type { JobReader } from '../job-reader';
import type { JobService } from '../job-service';
import { jobEventsRouter } from '../routes/job-events';
import { JobWatchers } from './job-watchers';
import { LiveMetrics } from './live-metrics';
import { PollBudget } from './poll-budget';

/** The live-status routes with this app's watchers, wired from the app's options. */
export function liveEventsRouter(options: AppOptions, jobs: JobService, reader: JobReader, metrics: ApiMetrics | undefined): Router {
  const settings = options.liveEvents ?? loadConfig().api.liveEvents;
  const callDeadlineMs = options.temporalDeadlineMs ?? loadConfig().api.temporalDeadlineMs;
  const watchers = new JobWatchers({
    client: options.client,
    namespace: options.namespace,
    polls: new PollBudget(settings.describesPerSec, settings.pollMs),
    callDeadlineMs,
    // Shared by every subscriber of the job: each one passed its own tenant check (reader.describe) before
    // it subscribed, and a job has one tenant, so the view is read with full access once for all of them.
    finalView: (id) => jobs.get(id, OPEN_PRINCIPAL),
    // With JOBLINE_METRICS=0 the series are kept in a registry nobody serves.
    metrics: new LiveMetrics(metrics?.registry ?? new Registry()),
    logger: options.logger,
  });
  return jobEventsRouter(jobs, reader, watchers, { keepAliveMs: settings.keepAliveMs, callDeadlineMs });
}
