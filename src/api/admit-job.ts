import { findJobType } from '../jobs';
import type { SourceAccess } from '../jobs/admission';
import type { PreparedJob } from './prepare-job';
import { HttpProblem } from './problem';

/**
 * The checks after the schema that need this deployment (the job type's `admit`: does the source file
 * exist inside the source directory, is the table allowed). Throws a 400 naming each field under `input.`;
 * nothing has started yet. The worker checks the same again when it opens the file or table.
 */
export async function admitJob(prepared: PreparedJob, access: SourceAccess): Promise<void> {
  const admit = findJobType(prepared.spec.type)?.admit;
  if (!admit) return;
  const issues = await admit(prepared.spec.input, access);
  if (issues.length === 0) return;
  const errors = issues.map((issue) => ({ field: ['input', ...issue.path].join('.'), message: issue.message }));
  throw new HttpProblem(400, 'invalid-request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
}
