import { Router, type Request } from 'express';
import type { JobService } from '../job-service';
import { HttpProblem } from '../problem';

function requireJson(req: Request): void {
  if (!req.is('application/json')) {
    throw new HttpProblem(415, 'unsupported-media-type', 'send the body as JSON with Content-Type: application/json');
  }
}

export function jobsRouter(jobs: JobService): Router {
  const router = Router();

  router.post('/v1/jobs', async (req, res) => {
    requireJson(req);
    const { created, job } = await jobs.submit(req.body, {
      idempotencyKey: req.get('idempotency-key'),
      correlationId: req.get('x-correlation-id'),
    });
    res.setHeader('X-Correlation-Id', job.correlationId);
    res.location(job.links.self);
    res.status(created ? 202 : 200).json(job);
  });

  router.get('/v1/jobs/:id', async (req, res) => {
    const job = await jobs.get(req.params.id);
    res.setHeader('X-Correlation-Id', job.correlationId);
    res.json(job);
  });

  router.get('/v1/jobs/:id/result', async (req, res) => {
    res.json({ id: req.params.id, result: await jobs.result(req.params.id) });
  });

  return router;
}
