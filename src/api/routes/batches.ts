import { Router } from 'express';
import { principalOf } from '../../auth/principal';
import type { BatchService } from '../batch-service';
import { jobIdParam } from './params';

export function batchesRouter(batches: BatchService): Router {
  const router = Router();
  router.param('id', jobIdParam);

  router.post('/v1/jobs/:id/retry-failed', async (req, res) => {
    const job = await batches.retryFailed(req.params.id, principalOf(res));
    res.location(job.links.self);
    res.status(202).json(job);
  });

  router.get('/v1/jobs/:id/failed-items', async (req, res) => {
    res.json(await batches.failedItems(req.params.id, req.query, principalOf(res)));
  });

  return router;
}
