import { Router, type Request, type Response } from 'express';
import { principalOf } from '../../auth/principal';
import { TERMINAL_STATUSES } from '../../jobs/status';
import { compareKeys, parseEventId, START_KEY, type EventKey } from '../events/event-id';
import { EventStream } from '../events/event-stream';
import type { JobWatchers } from '../events/job-watchers';
import { waitOf } from '../events/wait-param';
import type { JobReader } from '../job-reader';
import type { JobService } from '../job-service';
import type { JobView } from '../job-view';
import { HttpProblem } from '../problem';
import { jobIdParam } from './params';

export interface JobEventsOptions {
  /** The idle comment's period (JOBLINE_SSE_KEEPALIVE_MS). */
  keepAliveMs: number;
  /** The deadline of the read that answers a `?wait` once it ends (the request's own has run out by then). */
  callDeadlineMs: number;
}

/**
 * Live status: `GET /v1/jobs/{id}/events` (Server-Sent Events) and `GET /v1/jobs/{id}?wait=` (a long poll).
 * Both read the job's shared watcher; a `GET /v1/jobs/{id}` without a wait goes on to the jobs router as it is.
 */
export function jobEventsRouter(jobs: JobService, reader: JobReader, watchers: JobWatchers, options: JobEventsOptions): Router {
  const router = Router();
  router.param('id', jobIdParam);

  router.get('/v1/jobs/:id/events', async (req, res) => {
    const after = lastEventIdOf(req);
    // The reader's describe: 404 (and any access check) before the stream starts.
    const description = await reader.describe(req.params.id, principalOf(res));
    // Opened by the first event to send, or once the job is known to be still running: a client that saw the
    // `end` and reconnects gets 204, which tells an EventSource to stop reconnecting.
    let stream: EventStream | undefined;
    // Undefined once the request was answered otherwise (a 503 while Temporal is down).
    const open = (): EventStream | undefined => {
      if (!stream && !res.headersSent && !res.writableEnded) stream = new EventStream(res, options.keepAliveMs);
      return stream;
    };
    const { unsubscribe } = watchers.subscribe(req.params.id, description, {
      event: (event) => {
        if (compareKeys(event.key, after) > 0) open()?.send(event);
      },
      ready: () => void open(),
      close: () => (stream ? stream.end() : res.headersSent || res.status(204).end()),
    });
    res.once('close', unsubscribe);
  });

  router.get('/v1/jobs/:id', async (req, res, next) => {
    const wait = waitOf(req);
    if (!wait) return next();
    const id = req.params.id;
    const principal = principalOf(res);
    const description = await reader.describe(id, principal);
    const before = await jobs.get(id, principal);
    if (wait.fromPrefer) {
      res.setHeader('Preference-Applied', `wait=${wait.ms / 1000}`);
      res.setHeader('Vary', 'Prefer');
    }
    let job: JobView = before;
    if (wait.ms > 0 && !TERMINAL_STATUSES.has(before.status)) {
      await changeOrDeadline(watchers, res, description, before, wait.ms);
      if (res.writableEnded || req.socket.destroyed) return;
      job = await reader.client.connection.withDeadline(Date.now() + options.callDeadlineMs, () => jobs.get(id, principal));
    }
    res.setHeader('X-Correlation-Id', job.correlationId);
    res.json(job);
  });

  return router;
}

/** `Last-Event-ID` (what an EventSource sends when it reconnects); a malformed one is a 400, not a replay. */
function lastEventIdOf(req: Request): EventKey {
  const header = req.get('last-event-id');
  if (header === undefined || header === '') return START_KEY;
  const key = parseEventId(header.trim());
  if (!key) {
    const message = 'must be the id of an event this stream sent';
    throw new HttpProblem(400, 'invalid-request', `Last-Event-ID: ${message}`, { errors: [{ field: 'Last-Event-ID', message }] });
  }
  return key;
}

/** Resolves when the job's status differs from `before`'s, it ends, the wait is over, or the client left. */
function changeOrDeadline(
  watchers: JobWatchers,
  res: Response,
  description: Parameters<JobWatchers['subscribe']>[1],
  before: JobView,
  ms: number,
): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    // subscribe() replays earlier events as not live and never closes synchronously: done() cannot run before it returns.
    const subscription = watchers.subscribe(before.id, description, {
      event: (event, live) => {
        if (!live) return;
        if (event.type === 'end' || (event.type === 'status' && event.data.status !== before.status)) done();
      },
      close: done,
    });
    res.once('close', done);
    function done() {
      clearTimeout(timer);
      subscription.unsubscribe();
      resolve();
    }
  });
}
