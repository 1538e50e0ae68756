import { Router, type Request } from 'express';
import { ScheduleNoteRequest } from '../../schedules/schedule-request';
import type { ScheduleService } from '../schedule-service';
import { jsonBody } from './body';

/** Pause and resume take an optional `{ note }`. */
function noteOf(req: Request): string | undefined {
  return ScheduleNoteRequest.parse(req.body)?.note;
}

export function schedulesRouter(schedules: ScheduleService): Router {
  const router = Router();

  router.post('/v1/schedules', async (req, res) => {
    // Idempotency-Key is ignored: the schedule id already makes creation idempotent (a repeat is a 409).
    const schedule = await schedules.create(jsonBody(req), { correlationId: req.get('x-correlation-id') });
    res.location(schedule.links.self);
    res.status(201).json(schedule);
  });

  router.get('/v1/schedules', async (_req, res) => {
    res.json({ schedules: await schedules.list() });
  });

  router.get('/v1/schedules/:id', async (req, res) => {
    res.json(await schedules.get(req.params.id));
  });

  router.delete('/v1/schedules/:id', async (req, res) => {
    await schedules.delete(req.params.id);
    res.status(204).end();
  });

  router.post('/v1/schedules/:id/pause', async (req, res) => {
    res.json(await schedules.pause(req.params.id, noteOf(req)));
  });

  router.post('/v1/schedules/:id/resume', async (req, res) => {
    res.json(await schedules.resume(req.params.id, noteOf(req)));
  });

  router.post('/v1/schedules/:id/trigger', async (req, res) => {
    const schedule = await schedules.trigger(req.params.id);
    res.location(schedule.links.self);
    res.status(202).json(schedule);
  });

  return router;
}
