import { Router } from 'express';
import { BATCH_HANDLERS } from '../../batch/handlers';
import { BATCH_QUERIES } from '../../batch/queries';
import { requestSchema } from '../openapi';

/** `GET /v1/batch-handlers` and `GET /v1/batch-queries`: what a batch may name, with JSON schemas. */
export function batchCatalogRouter(): Router {
  const router = Router();
  // Built once: the definitions are code and do not change while the process runs.
  const handlers = {
    handlers: BATCH_HANDLERS.map((handler) => ({
      name: handler.name,
      description: handler.description,
      handlerInput: requestSchema(handler.input),
      item: requestSchema(handler.item),
    })),
  };
  const queries = {
    queries: BATCH_QUERIES.map((query) => ({ name: query.name, description: query.description, params: requestSchema(query.params) })),
  };
  router.get('/v1/batch-handlers', (_req, res) => {
    res.json(handlers);
  });
  router.get('/v1/batch-queries', (_req, res) => {
    res.json(queries);
  });
  return router;
}
