import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { JOB_TYPES } from '../../jobs';
import { openApiDocument, requestSchema } from '../openapi';

export function docsRouter(): Router {
  const router = Router();
  const document = openApiDocument();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.use('/docs', swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: 'Jobline API' }));
  router.get('/v1/job-types', (_req, res) => {
    res.json({
      jobTypes: JOB_TYPES.map((jobType) => ({
        type: jobType.type,
        description: jobType.description,
        input: requestSchema(jobType.input),
        defaults: jobType.defaults,
      })),
    });
  });
  return router;
}
