import { Router, type Request } from 'express';
import { z } from 'zod';
import { principalOf } from '../../auth/principal';
import { ListingTenant } from '../job-listing';
import { validationProblem } from '../problem';
import { ScheduleNoteRequest } from '../../schedules/schedule-request';
import type { ScheduleService } from '../schedule-service';
import { jsonBody } from './body';

/** Pause and resume take an optional `{ note }`. */
function noteOf(req: Request): string | undefined {
  return ScheduleNoteRequest.parse(req.body)?.note;
}

/** `?tenant=`: an admin's filter (other parameters are ignored, as they always were). */
const ListSchedulesQuery = z.object({ tenant: ListingTenant.optional() });

export function schedulesRouter(schedules: ScheduleService): Router {
  const router = Router();

  router.post('/v1/schedules', async (req, res) => {
    // Idempotency-Key is ignored: the schedule id already makes creation idempotent (a repeat is a 409).
    const schedule = await schedules.create(jsonBody(req), { correlationId: req.get('x-correlation-id') }, principalOf(res));
    res.location(schedule.links.self);
    res.status(201).json(schedule);
  });

  router.get('/v1/schedules', async (req, res) => {
    const query = ListSchedulesQuery.safeParse(req.query);
    if (!query.success) throw validationProblem(query.error);
    res.json({ schedules: await schedules.list(principalOf(res), query.data.tenant) });
  });

  router.get('/v1/schedules/:id', async (req, res) => {
    res.json(await schedules.get(req.params.id, principalOf(res)));
  });

  router.delete('/v1/schedules/:id', async (req, res) => {
    await schedules.delete(req.params.id, principalOf(res));
    res.status(204).end();
  });

  router.post('/v1/schedules/:id/pause', async (req, res) => {
    res.json(await schedules.pause(req.params.id, principalOf(res), noteOf(req)));
  });

  router.post('/v1/schedules/:id/resume', async (req, res) => {
    res.json(await schedules.resume(req.params.id, principalOf(res), noteOf(req)));
  });

  router.post('/v1/schedules/:id/trigger', async (req, res) => {
    const schedule = await schedules.trigger(req.params.id, principalOf(res));
    res.location(schedule.links.self);
    res.status(202).json(schedule);
  });

  return router;
}
