import { Router } from 'express';
import { z } from 'zod';
import { REPORTS } from '../../reports';

/** `GET /v1/reports`: the named report definitions with their parameter JSON schemas. */
export function reportsRouter(): Router {
  const router = Router();
  // Built once: the definitions are code and do not change while the process runs.
  const body = {
    reports: REPORTS.map((report) => {
      const { $schema: _ignored, ...params } = z.toJSONSchema(report.params, { io: 'input', unrepresentable: 'any' });
      return { name: report.name, description: report.description, params };
    }),
  };
  router.get('/v1/reports', (_req, res) => {
    res.json(body);
  });
  return router;
}
