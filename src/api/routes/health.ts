import { Router } from 'express';
import { RETRY_AFTER_SECONDS } from '../problem';
import type { Logger } from '../../logger';
import type { Backpressure } from '../backpressure';
import type { TemporalHealth } from '../temporal-health';

const READY_DEADLINE_MS = 2_000;

export function healthRouter(health: TemporalHealth, options: { log?: Logger; backpressure?: Backpressure } = {}): Router {
  const { log, backpressure } = options;
  const router = Router();

  /** Liveness: the process serves HTTP. */
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  /** Readiness: Temporal answers for our namespace, so a submitted job can start. Also tells the API's deadlines. */
  router.get('/readyz', async (_req, res) => {
    try {
      await health.check(READY_DEADLINE_MS);
      // A full backlog does not make the API unready (taking it out of a load balancer would not drain the
      // queue): it is reported, and submissions answer 429 meanwhile. Off: the body stays `{status: 'ready'}`.
      const backlog = backpressure?.enabled ? await backpressure.state().catch(() => undefined) : undefined;
      res.json({ status: 'ready', ...(backlog ? { backpressure: backlog } : {}) });
    } catch (err) {
      // The cause goes to the log: an answer anyone may ask for names no internal address or error text.
      log?.warn({ err }, 'readiness check failed');
      res
        .status(503)
        .set('Retry-After', String(RETRY_AFTER_SECONDS))
        .type('application/problem+json')
        .send(
          JSON.stringify({
            type: '/problems/temporal-unavailable',
            title: 'The Temporal server is unavailable',
            status: 503,
            detail: 'Temporal did not answer the readiness check',
          }),
        );
    }
  });

  return router;
}
