import type { JobView } from '../../src/api/job-view';
import type { BatchResult } from '../../src/batch/types';
import { sleep } from '../load';
import { parseOptions as parseCoreOptions, type BenchOptions } from '../options';
import type { ProcessMonitor } from '../procfs';
import { startJobline, startTemporalServer } from '../scenarios/temporal';
import { persistenceSnapshot, persistenceUsage } from '../server-metrics';
import { frontendRequests, requestsPer } from './frontend-requests';
import { summarize } from '../stats';
import { batchTimeline } from './history';
import { loadAverage, type BatchRun } from './measure';
import type { BatchBenchOptions } from './options';

export interface JoblineBatchBench {
  /** Submits one batch job over `items` lines of `file` (relative to the source dir) and waits for it. */
  run(items: number, file: string): Promise<BatchRun>;
  stop(): Promise<void>;
}

const STILL_GOING = new Set<JobView['status']>(['queued', 'running', 'retrying', 'waiting', 'scheduled']);

/**
 * The core bench's set-up (bench/scenarios/temporal.ts): a fresh dev server on a temp database, the Jobline
 * worker and API as separate processes. The worker finds the NDJSON file through JOBLINE_REPORT_SOURCE_DIR;
 * the children inherit the bench's environment, so it is set here before they start.
 */
export async function startJoblineBatch(
  options: BatchBenchOptions,
  monitor: ProcessMonitor,
  dirs: { logs: string; source: string; artifacts: string },
): Promise<JoblineBatchBench> {
  const core = parseCoreOptions([], process.env);
  if (core === 'help') throw new Error('unreachable');
  const coreOptions: BenchOptions = { ...core, db: options.db, logLevel: options.logLevel, clients: 1, profile: options.profile };
  process.env.JOBLINE_REPORT_SOURCE_DIR = dirs.source;
  process.env.JOBLINE_ARTIFACT_DIR = dirs.artifacts;
  const server = await startTemporalServer(coreOptions, monitor);
  const jobline = await startJobline(coreOptions, server, monitor, dirs.logs).catch(async (err: unknown) => {
    await server.stop();
    throw err;
  });
  const api = jobline.apiUrl;
  const metricsUrl = server.server.metricsUrl;
  const database = async () => (metricsUrl ? persistenceSnapshot(metricsUrl) : undefined);
  const requests = async () => (metricsUrl ? frontendRequests(metricsUrl) : undefined);
  return {
    async run(items, file) {
      const body = JSON.stringify({
        type: 'batch',
        input: {
          handler: 'noop',
          source: { type: 'ndjson', path: file },
          ...(options.apiDefaults ? {} : { chunkSize: options.chunkSize, concurrency: options.concurrency }),
        },
      });
      await sleep(500); // let the previous run's tail settle
      const [dbBefore, requestsBefore] = [await database(), await requests()];
      const loadBefore = loadAverage();
      const mark = monitor.startPhase();
      const started = Date.now();
      const deadline = started + options.timeoutSec * 1000;
      const submitted = await fetch(`${api}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await submitted.text();
      const postMs = Date.now() - started;
      const id = submitted.status === 202 ? (JSON.parse(text) as { id?: string }).id : undefined;
      if (!id) throw new Error(`POST /v1/jobs answered ${submitted.status}: ${text.slice(0, 500)}`);
      const getMs: number[] = [];
      /** [ms since the POST when the GET was sent, its latency, the status it answered]: the slow ones, for the JSON. */
      const slowGets: Array<[number, number, string]> = [];
      let runningAfterMs: number | undefined;
      let view: JobView;
      for (;;) {
        const before = Date.now();
        const response = await fetch(`${api}/v1/jobs/${encodeURIComponent(id)}`);
        const answer = await response.text();
        getMs.push(Date.now() - before);
        if (response.status !== 200) throw new Error(`GET /v1/jobs/${id} answered ${response.status}: ${answer.slice(0, 500)}`);
        view = JSON.parse(answer) as JobView;
        if (getMs.at(-1)! >= 250) slowGets.push([before - started, getMs.at(-1)!, view.status]);
        if (view.status === 'completed') break;
        if (!STILL_GOING.has(view.status)) throw new Error(`batch ${id} ended ${view.status}: ${JSON.stringify(view.lastError)}`);
        if (view.status === 'running') runningAfterMs ??= Date.now() - started;
        if (Date.now() > deadline)
          throw new Error(`batch ${id} not completed within ${options.timeoutSec} s: ${JSON.stringify(view.progress)}`);
        await sleep(options.pollMs);
      }
      const seenAt = Date.now();
      const ms = seenAt - started;
      const usage = monitor.endPhase(mark);
      const [dbAfter, requestsAfter] = [await database(), await requests()];
      const result = view.result as BatchResult | undefined;
      if (!result || result.total !== items || result.succeeded !== items || result.failed !== 0) {
        throw new Error(
          `batch ${id} completed with the wrong counts (want ${items} succeeded, 0 failed): ${JSON.stringify(result ?? view).slice(0, 500)}`,
        );
      }
      const { failedChunks: _failed, ...counts } = result;
      const timeline = await batchTimeline(server.client, id, options.concurrency);
      return {
        system: 'jobline',
        items,
        ms,
        itemsPerSecond: items / (ms / 1000),
        usage,
        load: [loadBefore, loadAverage()],
        detail: {
          jobId: id,
          postMs,
          runningAfterMs,
          getMs: summarize(getMs),
          lastGetMs: getMs.at(-1),
          slowGets,
          /** POST sent → the workflow's first event; its last event → the GET that saw `completed` answered. */
          startLagMs: timeline.firstEventAt - started,
          endLagMs: seenAt - timeline.lastEventAt,
          result: counts,
          progress: view.progress,
          timeline,
          // The dev server's database calls per chunk (the GET polls' describe and query included).
          ...(dbBefore && dbAfter ? { persistencePerChunk: persistenceUsage(dbBefore, dbAfter, timeline.chunks, 6) } : {}),
          ...(requestsBefore && requestsAfter
            ? { frontendRequestsPerChunk: requestsPer(requestsBefore, requestsAfter, timeline.chunks) }
            : {}),
        },
      };
    },
    async stop() {
      try {
        await jobline.stop();
      } finally {
        await server.stop();
      }
    },
  };
}
