import { Router } from 'express';
import { z } from 'zod';
import { principalOf } from '../../auth/principal';
import type { DeadLetterService } from '../dead-letters';
import { ListingCursor, ListingTenant } from '../job-listing';
import { validationProblem } from '../problem';
import { jsonBody } from './body';
import { jobIdParam } from './params';

const ListDeadLettersQuery = z
  .object({
    type: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, 'a job type name')
      .optional(),
    tenant: ListingTenant.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: ListingCursor.optional(),
  })
  .strict();

export function deadLettersRouter(deadLetters: DeadLetterService): Router {
  const router = Router();
  router.param('id', jobIdParam);

  router.get('/v1/dead-letters', async (req, res) => {
    const query = ListDeadLettersQuery.safeParse(req.query);
    if (!query.success) throw validationProblem(query.error);
    res.json(await deadLetters.list(query.data, principalOf(res)));
  });

  // Declared before the `:id` routes so that "retry" is never read as a job id.
  router.post('/v1/dead-letters/retry', async (req, res) => {
    res.status(202).json(await deadLetters.retryAll(jsonBody(req), principalOf(res)));
  });

  router.get('/v1/dead-letters/:id', async (req, res) => {
    res.json(await deadLetters.inspect(req.params.id, principalOf(res)));
  });

  router.post('/v1/dead-letters/:id/retry', async (req, res) => {
    const job = await deadLetters.retry(req.params.id, req.body, principalOf(res));
    res.status(202).json({ ...job, retryRequested: true });
  });

  router.post('/v1/dead-letters/:id/discard', async (req, res) => {
    const job = await deadLetters.discard(req.params.id, req.body, principalOf(res));
    res.status(202).json({ ...job, discardRequested: true });
  });

  return router;
}
