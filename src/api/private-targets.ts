import { literalTargetRefusal } from '../net/address-class';
import { httpDeliver, type HttpDeliverInput } from '../batch/handlers';
import type { BatchPlan } from '../batch/types';
import { batchJob } from '../jobs/batch';
import { httpJob, type HttpJobInput } from '../jobs/http';
import { pipelineJob } from '../jobs/index';
import type { PipelinePlan } from '../jobs/pipeline';
import { HttpProblem, type FieldError } from './problem';

/** Whether jobs may call private, loopback and link-local hosts (`JOBLINE_ALLOW_PRIVATE_TARGETS`). */
export interface TargetPolicy {
  allowPrivateTargets: boolean;
  /** Whether jobs may ask for webhooks (`notify`): the server has signing secrets (JOBLINE_WEBHOOK_SECRETS). */
  webhooks?: boolean;
}

/** A URL a job will call, and where it sits in the job's input. */
interface OutboundUrl {
  path: Array<string | number>;
  url: string;
}

/** Every URL a job calls, as its (parsed) input names them: pipeline nodes and http-deliver batches included. */
export function outboundUrls(type: string, input: unknown): OutboundUrl[] {
  if (type === httpJob.type) return [{ path: ['url'], url: (input as HttpJobInput).url }];
  if (type === batchJob.type) {
    const plan = input as BatchPlan;
    return plan.handler === httpDeliver.name ? [{ path: ['handlerInput', 'url'], url: (plan.handlerInput as HttpDeliverInput).url }] : [];
  }
  if (type === pipelineJob.type) {
    return (input as PipelinePlan).nodes.flatMap((node, index) =>
      outboundUrls(node.spec.type, node.spec.input).map((target) => ({ ...target, path: ['nodes', index, 'input', ...target.path] })),
    );
  }
  return [];
}

/**
 * Refuses, at submission, a job whose URL is a literal private target (an IP address that is not public,
 * `localhost`): it could only fail later. Names are judged when they resolve, at every connection.
 */
export function refusePrivateTargets(type: string, input: unknown, policy: TargetPolicy): void {
  if (policy.allowPrivateTargets) return;
  const errors: FieldError[] = outboundUrls(type, input).flatMap(({ path, url }) => {
    const parsed = new URL(url);
    const refusal = literalTargetRefusal(parsed);
    if (!refusal) return [];
    const message = `${parsed.hostname} is not a public target (${refusal}): private, loopback, link-local and other non-public targets are refused on this server`;
    return [{ field: ['input', ...path].join('.'), message }];
  });
  if (errors.length === 0) return;
  throw new HttpProblem(400, 'invalid-request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
}
