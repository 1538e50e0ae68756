import { Router } from 'express';
import type { Client } from '@temporalio/client';

const READY_DEADLINE_MS = 2_000;

export function healthRouter(client: Client, namespace: string): Router {
  const router = Router();

  /** Liveness: the process serves HTTP. */
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  /** Readiness: Temporal answers for our namespace, so a submitted job can start. */
  router.get('/readyz', async (_req, res) => {
    try {
      await client.connection.withDeadline(Date.now() + READY_DEADLINE_MS, () =>
        client.connection.workflowService.describeNamespace({ namespace }),
      );
      res.json({ status: 'ready' });
    } catch (err) {
      res.status(503).type('application/problem+json').send(
        JSON.stringify({
          type: '/problems/temporal-unavailable',
          title: 'The Temporal server is unavailable',
          status: 503,
          detail: `Temporal did not answer: ${(err as Error).message}`,
        }),
      );
    }
  });

  return router;
}
