import type { WorkflowStartOptions } from '@temporalio/client';
import { findJobType, jobTypeNames, workflowOf } from '../jobs';
import { requestHash, resolveJobSpec } from '../jobs/resolve-spec';
import type { JobSpec } from '../jobs/spec';
import { CorrelationId, IdempotencyKey, SubmitJobRequest } from '../jobs/submission';
import { initialMemo, initialSearchAttributes } from '../jobs/start-attributes';
import type { JobMemo } from '../workflows/job-state';
import type { runJob } from '../workflows/run-job';
import { fairPriority, type Owner } from '../tenancy/fair-priority';
import { refuseUndeliverableNotify } from './notify-policy';
import { refusePrivateTargets, type TargetPolicy } from './private-targets';
import { HttpProblem, validationProblem } from './problem';

export interface SubmitHeaders {
  idempotencyKey?: string;
  correlationId?: string;
}

/** A validated submission: the spec the workflow runs and how to start it. */
export interface PreparedJob {
  spec: JobSpec;
  request: SubmitJobRequest;
  requestHash: string;
  idempotencyKey?: string;
  memo: JobMemo;
  /** Start options without the workflow id and task queue, which the caller decides. */
  /** `runJob`, or the composite workflow the job type names. */
  workflowType: string;
  startOptions: Pick<WorkflowStartOptions<typeof runJob>, 'args' | 'memo' | 'typedSearchAttributes' | 'priority'>;
}

/**
 * Validates a job submission (body and headers) and resolves it into a spec owned by `owner`'s tenant.
 * Throws HttpProblem (4xx) naming the failing field; nothing is started here.
 */
export function prepareJob(body: unknown, headers: SubmitHeaders, targets: TargetPolicy, owner: Owner): PreparedJob {
  const parsed = SubmitJobRequest.safeParse(body);
  if (!parsed.success) throw validationProblem(parsed.error);
  const request = parsed.data;
  const idempotencyKey = parseHeader(IdempotencyKey, headers.idempotencyKey, 'Idempotency-Key');
  const correlationId = parseHeader(CorrelationId, headers.correlationId, 'X-Correlation-Id');
  const jobType = findJobType(request.type);
  if (!jobType) {
    const known = jobTypeNames().join(', ');
    throw new HttpProblem(400, 'unknown-job-type', `unknown job type "${request.type}"; known types: ${known}`, {
      errors: [{ field: 'type', message: `must be one of: ${known}` }],
    });
  }
  const input = jobType.input.safeParse(request.input);
  if (!input.success) throw validationProblem(input.error, ['input']);
  refusePrivateTargets(jobType.type, input.data, targets);
  refuseUndeliverableNotify(jobType.type, request.notify, input.data, targets);

  const spec = resolveJobSpec({
    request,
    jobType,
    input: input.data,
    idempotencyKey,
    correlationId,
    dependsOn: request.dependsOn,
    tenant: owner.tenant,
  });
  const hash = requestHash(request);
  // Only a keyed request is ever compared with an earlier one: without a key the hash would be history bytes for nothing.
  const memo = initialMemo(spec, idempotencyKey ? hash : undefined);
  return {
    spec,
    request,
    requestHash: hash,
    idempotencyKey,
    memo,
    workflowType: workflowOf(jobType),
    startOptions: {
      args: [spec],
      memo: memo as unknown as Record<string, unknown>,
      typedSearchAttributes: initialSearchAttributes(spec),
      priority: fairPriority(spec.priority, owner),
    },
  };
}

function parseHeader(schema: typeof IdempotencyKey, value: string | undefined, header: string): string | undefined {
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues[0]?.message ?? 'invalid';
  throw new HttpProblem(400, 'invalid-request', `${header}: ${message}`, { errors: [{ field: `header:${header}`, message }] });
}
