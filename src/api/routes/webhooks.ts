import { Router } from 'express';
import { principalOf } from '../../auth/principal';
import { validationProblem } from '../problem';
import { ListWebhookFailuresQuery, type WebhookDeliveries } from '../webhook-deliveries';
import { jobIdParam } from './params';

/** Failed webhook deliveries: listed apart from the dead letters (a failed webhook is not a failed job). */
export function webhooksRouter(deliveries: WebhookDeliveries): Router {
  const router = Router();
  // A webhook id is a workflow id (`<job id>/webhook/<event>`): the same bounds as a job id.
  router.param('webhookId', jobIdParam);

  router.get('/v1/webhook-failures', async (req, res) => {
    const query = ListWebhookFailuresQuery.safeParse(req.query);
    if (!query.success) throw validationProblem(query.error);
    res.json(await deliveries.failures(query.data, principalOf(res)));
  });

  router.post('/v1/webhook-failures/:webhookId/redeliver', async (req, res) => {
    const delivery = await deliveries.redeliver(req.params.webhookId, principalOf(res));
    res.status(202).json({ ...delivery, redeliverRequested: true });
  });

  return router;
}
