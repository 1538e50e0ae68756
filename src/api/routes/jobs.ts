import { Router } from 'express';
import { principalOf } from '../../auth/principal';
import { listJobs, ListJobsQuery } from '../job-listing';
import type { JobReader } from '../job-reader';
import type { JobService } from '../job-service';
import { validationProblem } from '../problem';
import { jsonBody } from './body';
import { jobIdParam } from './params';

export function jobsRouter(jobs: JobService, reader: JobReader): Router {
  const router = Router();
  router.param('id', jobIdParam);

  router.post('/v1/jobs', async (req, res) => {
    const idempotencyKey = req.get('idempotency-key');
    const { created, job } = await jobs.submit(
      jsonBody(req),
      { idempotencyKey, correlationId: req.get('x-correlation-id') },
      principalOf(res),
    );
    res.setHeader('X-Correlation-Id', job.correlationId);
    // Echoed so a client sees which key its job is bound to: resending it after a lost answer is safe.
    if (idempotencyKey) res.setHeader('Idempotency-Key', idempotencyKey);
    res.location(job.links.self);
    res.status(created ? 202 : 200).json(job);
  });

  router.get('/v1/jobs', async (req, res) => {
    const query = ListJobsQuery.safeParse(req.query);
    if (!query.success) throw validationProblem(query.error);
    res.json(await listJobs(reader, query.data, principalOf(res)));
  });

  router.get('/v1/jobs/:id', async (req, res) => {
    const job = await jobs.get(req.params.id, principalOf(res));
    res.setHeader('X-Correlation-Id', job.correlationId);
    res.json(job);
  });

  router.get('/v1/jobs/:id/result', async (req, res) => {
    res.json({ id: req.params.id, result: await jobs.result(req.params.id, principalOf(res)) });
  });

  router.post('/v1/jobs/:id/cancel', async (req, res) => {
    const job = await jobs.cancel(req.params.id, principalOf(res));
    res.status(202).json({ ...job, cancelRequested: true });
  });

  return router;
}
